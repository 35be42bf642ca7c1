"""Where each model lives inside a models directory, and the index of what was trained."""

from __future__ import annotations

import json
from pathlib import Path

KINDS = ("kenlm", "quality", "coherence", "safety")
INDEX = "index.json"


def model_dir(root: str | Path, kind: str, lang: str) -> Path:
    assert kind in KINDS, kind
    return Path(root) / kind / lang


def has_model(root: str | Path, kind: str, lang: str) -> bool:
    return (model_dir(root, kind, lang) / "manifest.json").exists()


def write_index(root: str | Path, entries: list[dict], extra: dict) -> None:
    Path(root, INDEX).write_text(
        json.dumps({**extra, "models": entries}, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
