import json

import pytest
import torch

from train.export import export_hf
from train.model import ModelConfig, Transformer

transformers = pytest.importorskip("transformers")

LOGIT_TOLERANCE = 1e-4  # float32 on CPU; differences come only from operation order


@pytest.mark.parametrize("tied,kv,theta", [(False, 2, 10000.0), (True, 4, 5_000_000.0), (False, 1, 500.0)])
def test_export_roundtrip_through_transformers_gives_same_logits(tmp_path, tied, kv, theta):
    torch.manual_seed(0)
    cfg = ModelConfig(
        vocab_size=300,
        d_model=64,
        n_layers=2,
        n_heads=4,
        n_kv_heads=kv,
        max_seq_len=64,
        rope_theta=theta,
        tie_embeddings=tied,
    )
    model = Transformer(cfg).eval()
    for p in model.parameters():  # move weights away from init so every tensor matters
        p.data.add_(torch.randn_like(p) * 0.02)
    export_hf(model, str(tmp_path / "hf"))
    hf = transformers.LlamaForCausalLM.from_pretrained(str(tmp_path / "hf"), dtype=torch.float32).eval()
    x = torch.randint(0, 300, (2, 40))
    with torch.no_grad():
        ours, _ = model(x)
        theirs = hf(x).logits
    assert ours.shape == theirs.shape
    assert (ours - theirs).abs().max().item() < LOGIT_TOLERANCE
    config = json.loads((tmp_path / "hf" / "config.json").read_text())
    assert config["num_key_value_heads"] == kv and config["tie_word_embeddings"] == tied
