import pytest
import torch

from train.model import ModelConfig, Transformer
from train.surgery import LOSS_TOLERANCE, layer_cosines, upscale, upscale_report


def _model(seed=0, layers=4):
    torch.manual_seed(seed)
    return Transformer(
        ModelConfig(vocab_size=1000, d_model=64, n_layers=layers, n_heads=4, n_kv_heads=2, max_seq_len=64)
    )


def _dampen(model, layers, scale):
    """Shrink the residual-branch outputs of some layers: they become near-identity maps."""
    with torch.no_grad():
        for i in layers:
            model.layers[i].self_attn.o_proj.weight.mul_(scale)
            model.layers[i].mlp.down_proj.weight.mul_(scale)


def test_upscale_duplicates_the_range_in_place():
    m = _model()
    deep = upscale(m, 1, 3)
    assert deep.cfg.n_layers == 6
    for new_i, old_i in enumerate([0, 1, 2, 1, 2, 3]):
        torch.testing.assert_close(deep.layers[new_i].mlp.up_proj.weight, m.layers[old_i].mlp.up_proj.weight)
    assert deep.layers[1].mlp.up_proj.weight.data_ptr() != deep.layers[3].mlp.up_proj.weight.data_ptr()
    with pytest.raises(ValueError):
        upscale(m, 3, 5)


def test_near_identity_layers_keep_the_loss(shards):
    m = _model()
    _dampen(m, [1, 2], 1e-3)
    report = upscale_report(m, 1, 3, str(shards), 64, 2)
    assert report["near_identity"] and report["within_tolerance"]
    assert abs(report["loss_after"] - report["loss_before"]) <= LOSS_TOLERANCE
    assert min(report["layer_cosine"][1:3]) > 0.99
    assert report["layers_after"] == 6


def test_report_says_so_when_duplicated_layers_are_not_identity(shards):
    m = _model()
    with torch.no_grad():  # strong layers: outputs far from their inputs
        for layer in m.layers:
            for p in layer.parameters():
                if p.dim() == 2:
                    p.mul_(20)
        m.lm_head.weight.mul_(50)  # large logits, so the loss depends on the final hidden state
    report = upscale_report(m, 1, 3, str(shards), 64, 2)
    assert not report["near_identity"]
    assert "change their input" in report["verdict"]
    assert abs(report["loss_delta"]) > LOSS_TOLERANCE


def test_layer_cosine_is_one_for_an_identity_layer():
    m = _model(layers=2)
    _dampen(m, [0], 0.0)
    cos = layer_cosines(m, [torch.randint(0, 1000, (2, 16))])
    assert cos[0] == pytest.approx(1.0, abs=1e-5) and cos[1] < 0.999
