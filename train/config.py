"""Run configuration for `corpus train -c train.yaml`: frozen dataclasses loaded from YAML.

The model section is a preset from train/presets.yaml with any fields overridden; vocab_size comes
from the token shards' index unless set. With `init_from`, the architecture comes from that
checkpoint and only the context fields (rope_theta, max_seq_len) may change: Yi's context extension.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml

from corpus.core.configlib import check, from_dict, load_yaml, merge
from train.model import ModelConfig

PRESETS_FILE = Path(__file__).with_name("presets.yaml")
CONTEXT_FIELDS = ("rope_theta", "max_seq_len")


@dataclass(frozen=True)
class OptimConfig:
    lr: float = 1e-3
    min_lr: float = 1e-4  # cosine decays to this
    weight_decay: float = 0.1
    beta1: float = 0.9
    beta2: float = 0.95
    grad_clip: float = 1.0  # 0 disables clipping
    warmup_steps: int = 100
    schedule: Literal["cosine", "constant"] = "cosine"

    def __post_init__(self):
        check(self.lr > 0 and 0 <= self.min_lr <= self.lr, "optim.min_lr", "need 0 <= min_lr <= lr, lr > 0")
        check(self.warmup_steps >= 0, "optim.warmup_steps", "must be >= 0")


@dataclass(frozen=True)
class TrainConfig:
    data: str  # token shard directory written by `corpus tokenize`
    out_dir: str
    model: ModelConfig
    optim: OptimConfig = field(default_factory=OptimConfig)
    seq_len: int = 256
    batch_size: int = 16  # sequences per micro-batch per process
    grad_accum: int = 1
    max_steps: int = 1000
    mixed_precision: Literal["no", "bf16", "fp16"] = "no"
    eval_every: int = 200
    eval_batches: int = 20
    log_every: int = 10
    ckpt_every: int = 500
    keep_checkpoints: int = 2
    seed: int = 1337
    init_from: str = ""  # checkpoint dir to start from (weights only): upscaled or context-extended models
    compile: bool = False
    cpu_threads: int = 0  # torch intra-op threads; 0 keeps torch's default (1 is faster on a busy CPU)
    progress: bool = True

    def __post_init__(self):
        check(self.seq_len <= self.model.max_seq_len, "seq_len", f"exceeds model.max_seq_len {self.model.max_seq_len}")
        for k in ("batch_size", "grad_accum", "max_steps", "eval_every", "log_every", "ckpt_every"):
            check(getattr(self, k) > 0, k, "must be positive")
        # a resumed run must log the same windows of steps as an uninterrupted one
        check(self.ckpt_every % self.log_every == 0, "ckpt_every", "must be a multiple of log_every")

    def tokens_per_step(self, world_size: int = 1) -> int:
        return self.batch_size * self.grad_accum * self.seq_len * world_size


def presets() -> dict[str, dict]:
    return yaml.safe_load(PRESETS_FILE.read_text())


def model_config(section: dict, vocab_size: int | None = None) -> ModelConfig:
    """A `model:` mapping (optionally `preset: NAME` plus overrides) to a ModelConfig."""
    section = dict(section)
    name = section.pop("preset", None)
    base = {}
    if name is not None:
        table = presets()
        check(name in table, "model.preset", f"unknown preset {name!r} (known: {', '.join(table)})")
        base = table[name]
    merged = merge(base, section)
    if "vocab_size" not in merged and vocab_size is not None:
        merged["vocab_size"] = vocab_size
    return from_dict(ModelConfig, merged, "model")


def load_train_config(path: str | None = None, data: dict | None = None, overrides: dict | None = None) -> TrainConfig:
    raw = merge(load_yaml(path) if path else {}, data or {})
    raw = merge(raw, overrides or {})
    check("data" in raw and "out_dir" in raw, "data", "a run config needs 'data' and 'out_dir'")
    model_section = dict(raw.get("model") or {})
    if raw.get("init_from"):
        from train.checkpoint import read_model_config

        base = dataclasses.asdict(read_model_config(raw["init_from"]))
        changed = set(model_section) - {"preset"}
        check(
            changed <= set(CONTEXT_FIELDS),
            "model",
            f"with init_from only {CONTEXT_FIELDS} may change, not {sorted(changed - set(CONTEXT_FIELDS))}",
        )
        model_section = merge(base, {k: v for k, v in model_section.items() if k != "preset"})
    from tokens.shards import read_index

    check(os.path.exists(os.path.join(raw["data"], "index.json")), "data", f"no token shards at {raw['data']}")
    raw["model"] = model_config(model_section, vocab_size=read_index(raw["data"])["vocab_size"])
    return from_dict(TrainConfig, raw)
