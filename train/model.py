"""A decoder-only Llama/Yi-style language model in one file.

RMSNorm, rotary position embeddings with a configurable base (rope_theta), grouped-query
attention, SwiGLU MLP, tied or untied embeddings. Parameter names follow the Hugging Face
Llama layout one-to-one (see train/export.py), so export is a rename, not a conversion.

Shapes: B batch, T sequence, C model width, nh query heads, nkv key/value heads, hs head size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from corpus.core.configlib import check


def swiglu_hidden(d_model: int, multiple_of: int = 64) -> int:
    """8/3·d keeps SwiGLU's three matrices at the parameter count of a 4·d GELU MLP (Llama's choice);
    rounded up to a multiple for efficient matmuls."""
    hidden = int(8 * d_model / 3)
    return multiple_of * ((hidden + multiple_of - 1) // multiple_of)


@dataclass(frozen=True)
class ModelConfig:
    vocab_size: int = 4096
    d_model: int = 128
    n_layers: int = 4
    n_heads: int = 4
    n_kv_heads: int = 4  # < n_heads: grouped-query attention (Yi-6B: 32 heads share 4 KV heads)
    ffn_hidden: int = 0  # 0: swiglu_hidden(d_model)
    max_seq_len: int = 256
    rope_theta: float = 10000.0  # Yi's "RoPE ABF" raises it (5e6) before long-context training
    norm_eps: float = 1e-5
    tie_embeddings: bool = False
    init_std: float = 0.02

    def __post_init__(self):
        check(self.d_model % self.n_heads == 0, "model.d_model", "must be divisible by model.n_heads")
        check(self.n_heads % self.n_kv_heads == 0, "model.n_kv_heads", "must divide model.n_heads")
        check((self.d_model // self.n_heads) % 2 == 0, "model.n_heads", "head size must be even for RoPE")
        check(self.vocab_size > 0 and self.n_layers > 0, "model", "vocab_size and n_layers must be positive")
        check(self.rope_theta > 0, "model.rope_theta", "must be positive")

    @property
    def head_dim(self) -> int:
        return self.d_model // self.n_heads

    @property
    def hidden(self) -> int:
        return self.ffn_hidden or swiglu_hidden(self.d_model)


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        # normalise in float32 as Llama does, so bf16 runs do not lose the small variances
        return self.weight * F.rms_norm(x.float(), (x.shape[-1],), eps=self.eps).to(x.dtype)


def rope_cache(head_dim: int, seq_len: int, theta: float, device=None) -> tuple[torch.Tensor, torch.Tensor]:
    """cos, sin of shape (T, hs): frequency i repeats in both halves (Llama's rotate_half layout)."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float32, device=device) / head_dim))
    angles = torch.outer(torch.arange(seq_len, dtype=torch.float32, device=device), inv_freq)  # (T, hs/2)
    angles = torch.cat([angles, angles], dim=-1)  # (T, hs)
    return angles.cos(), angles.sin()


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """x: (B, h, T, hs); rotates each (x_i, x_{i+hs/2}) pair by position·freq_i."""
    half = x.shape[-1] // 2
    rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
    return (x * cos + rotated * sin).to(x.dtype)


class Attention(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.nh, self.nkv, self.hs = cfg.n_heads, cfg.n_kv_heads, cfg.head_dim
        self.q_proj = nn.Linear(cfg.d_model, self.nh * self.hs, bias=False)
        self.k_proj = nn.Linear(cfg.d_model, self.nkv * self.hs, bias=False)
        self.v_proj = nn.Linear(cfg.d_model, self.nkv * self.hs, bias=False)
        self.o_proj = nn.Linear(self.nh * self.hs, cfg.d_model, bias=False)

    def forward(self, x, cos, sin):
        B, T, C = x.shape
        q = self.q_proj(x).view(B, T, self.nh, self.hs).transpose(1, 2)  # (B, nh, T, hs)
        k = self.k_proj(x).view(B, T, self.nkv, self.hs).transpose(1, 2)  # (B, nkv, T, hs)
        v = self.v_proj(x).view(B, T, self.nkv, self.hs).transpose(1, 2)  # (B, nkv, T, hs)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        # GQA: each KV head serves nh/nkv consecutive query heads (SDPA broadcasts, no copies)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=self.nkv != self.nh)  # (B, nh, T, hs)
        return self.o_proj(y.transpose(1, 2).reshape(B, T, C))


class MLP(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.gate_proj = nn.Linear(cfg.d_model, cfg.hidden, bias=False)
        self.up_proj = nn.Linear(cfg.d_model, cfg.hidden, bias=False)
        self.down_proj = nn.Linear(cfg.hidden, cfg.d_model, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Block(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.input_layernorm = RMSNorm(cfg.d_model, cfg.norm_eps)
        self.self_attn = Attention(cfg)
        self.post_attention_layernorm = RMSNorm(cfg.d_model, cfg.norm_eps)
        self.mlp = MLP(cfg)

    def forward(self, x, cos, sin):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin)
        return x + self.mlp(self.post_attention_layernorm(x))


class Transformer(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.layers = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self.norm = RMSNorm(cfg.d_model, cfg.norm_eps)
        self.lm_head = nn.Linear(cfg.d_model, cfg.vocab_size, bias=False)
        if cfg.tie_embeddings:
            self.lm_head.weight = self.embed_tokens.weight
        cos, sin = rope_cache(cfg.head_dim, cfg.max_seq_len, cfg.rope_theta)
        # not persistent: derived from the config, so a rope_theta change needs no checkpoint edit
        self.register_buffer("rope_cos", cos, persistent=False)
        self.register_buffer("rope_sin", sin, persistent=False)
        self.apply(self._init_weights)
        for name, p in self.named_parameters():  # GPT-2: scale residual projections by depth
            if name.endswith(("o_proj.weight", "down_proj.weight")):
                nn.init.normal_(p, 0.0, cfg.init_std / math.sqrt(2 * cfg.n_layers))

    def _init_weights(self, module):
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, 0.0, self.cfg.init_std)

    def num_params(self, non_embedding: bool = True) -> int:
        n = sum(p.numel() for p in self.parameters())
        if non_embedding:
            n -= self.embed_tokens.weight.numel()
        return n

    def hidden_states(self, idx: torch.Tensor) -> list[torch.Tensor]:
        """Residual stream before each layer and after the last: n_layers + 1 tensors (B, T, C)."""
        T = idx.shape[1]
        cos, sin = self.rope_cos[:T], self.rope_sin[:T]
        x = self.embed_tokens(idx)
        states = [x]
        for layer in self.layers:
            x = layer(x, cos, sin)
            states.append(x)
        return states

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None):
        """idx: (B, T) token ids. Returns logits (B, T, V) and, with targets (B, T), the mean loss."""
        B, T = idx.shape
        assert T <= self.cfg.max_seq_len, f"sequence {T} longer than max_seq_len {self.cfg.max_seq_len}"
        cos, sin = self.rope_cos[:T], self.rope_sin[:T]
        x = self.embed_tokens(idx)  # (B, T, C)
        for layer in self.layers:
            x = layer(x, cos, sin)
        logits = self.lm_head(self.norm(x))  # (B, T, V)
        if targets is None:
            return logits, None
        loss = F.cross_entropy(logits.float().view(-1, logits.size(-1)), targets.reshape(-1), ignore_index=-1)
        return logits, loss

    def flops_per_token(self, seq_len: int) -> float:
        """Training FLOPs per token: 6·N for the matmuls plus 12·L·T·C for attention scores (PaLM appendix B)."""
        n = self.num_params(non_embedding=True)
        if self.cfg.tie_embeddings:  # the tied lm_head still does its matmul
            n += self.lm_head.weight.numel()
        return 6 * n + 12 * self.cfg.n_layers * seq_len * self.cfg.d_model
