"""Checkpoints: OUT/ckpt/step_0000500/{state.pt,model.json}. A directory appears under its final name
only when complete (written to a temporary name, then renamed), so a killed run resumes from the
last whole checkpoint."""

from __future__ import annotations

import dataclasses
import glob
import json
import os
import shutil

import torch

from corpus.core.configlib import from_dict
from train.model import ModelConfig, Transformer

STATE_FILE = "state.pt"
MODEL_CONFIG_FILE = "model.json"


def ckpt_dir(out_dir: str, step: int) -> str:
    return os.path.join(out_dir, "ckpt", f"step_{step:07d}")


def latest(out_dir: str) -> str | None:
    found = sorted(glob.glob(os.path.join(out_dir, "ckpt", "step_*[0-9]")))
    return found[-1] if found else None


def save(out_dir: str, step: int, model: torch.nn.Module, optimizer, extra: dict, keep: int) -> str:
    final = save_to(ckpt_dir(out_dir, step), model, optimizer, {"step": step, **extra})
    for old in sorted(glob.glob(os.path.join(out_dir, "ckpt", "step_*[0-9]")))[:-keep] if keep else []:
        shutil.rmtree(old)
    return final


def save_to(final: str, model: torch.nn.Module, optimizer=None, extra: dict | None = None) -> str:
    tmp = final.rstrip("/") + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    state = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict() if optimizer else None,
        "step": 0,
        **(extra or {}),
    }
    torch.save(state, os.path.join(tmp, STATE_FILE))
    with open(os.path.join(tmp, MODEL_CONFIG_FILE), "w") as f:
        json.dump(dataclasses.asdict(model.cfg), f, indent=2)
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)
    return final


def read_model_config(path: str) -> ModelConfig:
    with open(os.path.join(path, MODEL_CONFIG_FILE)) as f:
        return from_dict(ModelConfig, json.load(f), "model")


def load_state(path: str) -> dict:
    return torch.load(os.path.join(path, STATE_FILE), map_location="cpu", weights_only=False)


def load_model(path: str, cfg: ModelConfig | None = None) -> Transformer:
    """The model of a checkpoint directory; cfg may change context fields (rope_theta, max_seq_len)."""
    model = Transformer(cfg or read_model_config(path))
    model.load_state_dict(load_state(path)["model"])
    return model
