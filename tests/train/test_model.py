import math

import pytest
import torch

from train.config import model_config
from train.model import ModelConfig, Transformer, apply_rope, rope_cache, swiglu_hidden
from corpus.core.configlib import ConfigError


def test_gqa_with_all_kv_heads_equals_plain_multi_head_attention():
    torch.manual_seed(0)
    cfg = ModelConfig(vocab_size=50, d_model=32, n_layers=1, n_heads=4, n_kv_heads=4, max_seq_len=16)
    attn = Transformer(cfg).layers[0].self_attn
    x = torch.randn(2, 10, 32)
    cos, sin = rope_cache(cfg.head_dim, 10, cfg.rope_theta)
    # textbook multi-head attention with an explicit causal mask and softmax
    q = apply_rope(attn.q_proj(x).view(2, 10, 4, 8).transpose(1, 2), cos, sin)
    k = apply_rope(attn.k_proj(x).view(2, 10, 4, 8).transpose(1, 2), cos, sin)
    v = attn.v_proj(x).view(2, 10, 4, 8).transpose(1, 2)
    scores = q @ k.transpose(-1, -2) / math.sqrt(8)
    scores = scores.masked_fill(torch.ones(10, 10, dtype=torch.bool).triu(1), float("-inf"))
    ref = attn.o_proj((scores.softmax(-1) @ v).transpose(1, 2).reshape(2, 10, 32))
    torch.testing.assert_close(attn(x, cos, sin), ref, atol=1e-5, rtol=1e-5)


def test_gqa_shares_each_kv_head_across_its_query_group():
    torch.manual_seed(0)
    cfg = ModelConfig(vocab_size=50, d_model=32, n_layers=1, n_heads=4, n_kv_heads=2, max_seq_len=16)
    attn = Transformer(cfg).layers[0].self_attn
    assert attn.k_proj.weight.shape == (16, 32)  # 2 KV heads x head size 8
    # the same model with KV weights repeated per query head is plain MHA with identical output
    mha = Transformer(ModelConfig(vocab_size=50, d_model=32, n_layers=1, n_heads=4, n_kv_heads=4, max_seq_len=16))
    m = mha.layers[0].self_attn
    m.q_proj.weight.data.copy_(attn.q_proj.weight)
    m.o_proj.weight.data.copy_(attn.o_proj.weight)
    for name in ("k_proj", "v_proj"):
        w = getattr(attn, name).weight.view(2, 8, 32).repeat_interleave(2, dim=0).reshape(32, 32)
        getattr(m, name).weight.data.copy_(w)
    x = torch.randn(1, 7, 32)
    cos, sin = rope_cache(8, 7, cfg.rope_theta)
    torch.testing.assert_close(attn(x, cos, sin), m(x, cos, sin), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("theta", [10000.0, 5_000_000.0])
def test_rope_scores_depend_only_on_relative_position(theta):
    torch.manual_seed(0)
    q, k = torch.randn(16), torch.randn(16)
    cos, sin = rope_cache(16, 64, theta)

    def score(m, n):
        rq = apply_rope(q.view(1, 1, 1, 16), cos[m : m + 1], sin[m : m + 1])
        rk = apply_rope(k.view(1, 1, 1, 16), cos[n : n + 1], sin[n : n + 1])
        return (rq * rk).sum().item()

    assert score(5, 2) == pytest.approx(score(40, 37), abs=1e-4)
    assert score(9, 9) == pytest.approx(score(0, 0), abs=1e-4) == pytest.approx(float(q @ k), abs=1e-4)
    assert abs(score(5, 2) - score(5, 4)) > 1e-3  # and it does depend on the offset


def test_rope_preserves_norm():
    x = torch.randn(1, 2, 8, 16)
    cos, sin = rope_cache(16, 8, 10000.0)
    torch.testing.assert_close(apply_rope(x, cos, sin).norm(dim=-1), x.norm(dim=-1))


def test_swiglu_hidden_is_about_eight_thirds():
    for d in (128, 768, 4096):
        h = swiglu_hidden(d)
        assert h % 64 == 0 and 0 <= h - 8 * d / 3 < 64


@pytest.mark.parametrize(
    "name,low,high",
    [("tiny", 0.8e6, 1.4e6), ("proxy-100m", 80e6, 120e6), ("yi-6b", 5.9e9, 6.2e9), ("yi-9b", 8.6e9, 9.0e9)],
)
def test_presets_have_the_stated_sizes(name, low, high):
    cfg = model_config({"preset": name}, vocab_size=64000 if name.startswith("yi") else 4096)
    with torch.device("meta"):  # no memory: shapes only
        model = Transformer(cfg)
    n = model.num_params(non_embedding=not name.startswith(("yi", "proxy")))
    assert low <= n <= high, n


def test_tied_embeddings_share_one_matrix():
    m = Transformer(ModelConfig(vocab_size=100, d_model=32, n_layers=1, n_heads=2, n_kv_heads=1, tie_embeddings=True))
    assert m.lm_head.weight is m.embed_tokens.weight


@pytest.mark.parametrize(
    "section,key",
    [
        ({"n_heads": 3, "d_model": 128}, "model.d_model"),
        ({"n_kv_heads": 3}, "model.n_kv_heads"),
        ({"preset": "nope"}, "model.preset"),
        ({"d_modl": 3}, "model.d_modl"),
    ],
)
def test_bad_model_config_names_the_key(section, key):
    with pytest.raises(ConfigError) as e:
        model_config({"preset": "tiny", **section} if "preset" not in section else section, vocab_size=100)
    assert e.value.key == key


def test_loss_is_log_vocab_at_init():
    torch.manual_seed(0)
    m = Transformer(ModelConfig(vocab_size=512, d_model=64, n_layers=2, n_heads=4, n_kv_heads=2, max_seq_len=32))
    x = torch.randint(0, 512, (4, 32))
    _, loss = m(x, x)
    assert abs(loss.item() - math.log(512)) < 0.1
