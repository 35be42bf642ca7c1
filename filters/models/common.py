"""Shared pieces of model training: text normalisation, held-out splits, manifests, checksums."""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
import unicodedata
from pathlib import Path

from corpus.core.files import file_sha256, package_versions
from filters.units import HAN_CLASS

MANIFEST = "manifest.json"
_DIGITS = re.compile(r"\d")
_SPACES = re.compile(r"[ \t\u3000\xa0]+")
# one token per Han character, per Latin/digit run, per other symbol: whitespace-free Chinese and
# pre-tokenised English ("word , word") come out the same as ordinary text
_TOKENS = re.compile(rf"[{HAN_CLASS}]|[^\W\d_]+|\d+|[^\w\s]", re.UNICODE)


# CCNet folds typographic punctuation to ASCII before SentencePiece (Wenzek et al. 2020, section 3.3),
# so that a page typed with curly quotes is not an outlier of a model trained on straight ones. NFKC
# already folds the full-width forms (，？！：；（）); these are the ones it leaves.
_PUNCT = str.maketrans(
    {
        "‘": "'",
        "’": "'",
        "´": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "«": '"',
        "»": '"',
        "「": '"',
        "」": '"',
        "『": '"',
        "』": '"',
        "《": '"',
        "》": '"',
        "〈": "<",
        "〉": ">",
        "【": "[",
        "】": "]",
        "。": ". ",
        "、": ",",
        "…": "...",
        "━": "-",
        "►": "-",
    }
)


def normalize_line(line: str) -> str:
    """CCNet-style normalisation before SentencePiece: NFKC, typographic punctuation to ASCII, lower
    case, digits to 0, one space."""
    line = unicodedata.normalize("NFKC", line).translate(_PUNCT).lower()
    return _SPACES.sub(" ", _DIGITS.sub("0", line)).strip()


def tokens(text: str, max_chars: int = 4000) -> list[str]:
    return _TOKENS.findall(unicodedata.normalize("NFKC", text[:max_chars]).lower())


def ft_line(text: str, max_chars: int = 4000, line_marks: bool = False) -> str:
    """One fastText input line: tokens separated by spaces, digits folded. With `line_marks` each
    line of the text starts with a token for its length (LINE_MARKS), so the model sees a page's
    shape (a list of short lines, a table dump) beside its words; no text token can look like one."""
    if not line_marks:
        return _DIGITS.sub("0", " ".join(tokens(text, max_chars)))
    parts = []
    for line in text[:max_chars].split("\n"):
        toks = tokens(line)
        if toks:
            n = len(line.strip())
            parts += [next(mark for limit, mark in LINE_MARKS if n < limit), *toks]
    return _DIGITS.sub("0", " ".join(parts))


# line length (characters) -> the token that starts the line: underscores never survive `tokens`
LINE_MARKS = ((20, "__ls__"), (60, "__lm__"), (200, "__ll__"), (float("inf"), "__lx__"))


def in_heldout(text: str, fraction: float, seed: int) -> bool:
    """Deterministic split by content hash: the same text lands on the same side in every run."""
    h = hashlib.sha1(f"{seed}\x00{text}".encode("utf-8")).digest()
    return int.from_bytes(h[:8], "big") / 2**64 < fraction


def split(texts: list[str], fraction: float, seed: int) -> tuple[list[str], list[str]]:
    train, held = [], []
    for t in texts:
        (held if in_heldout(t, fraction, seed) else train).append(t)
    return train, held


def sha256_texts(texts: list[str]) -> str:
    h = hashlib.sha256()
    for t in texts:
        h.update(t.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()


def file_entries(model_dir: str | Path) -> dict:
    """Checksum and size of every file in a model directory except the manifest itself."""
    out = {}
    for p in sorted(Path(model_dir).iterdir()):
        if p.is_file() and p.name != MANIFEST:
            out[p.name] = {"sha256": file_sha256(p), "bytes": p.stat().st_size}
    return out


PACKAGES = ("fasttext-numpy2-wheel", "kenlm", "sentencepiece", "scikit-learn", "numpy")


def write_manifest(
    model_dir: str | Path,
    kind: str,
    lang: str,
    inputs: dict,
    params: dict,
    metrics: dict,
    started: float,
    extra: dict | None = None,
) -> dict:
    versions = {k: v for k, v in package_versions(PACKAGES).items() if v}
    manifest = {
        "kind": kind,
        "lang": lang,
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "train_seconds": round(time.time() - started, 3),
        "inputs": inputs,
        "params": params,
        "metrics": metrics,
        "files": file_entries(model_dir),
        "packages": versions,
        **(extra or {}),
    }
    Path(model_dir, MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return manifest


def read_manifest(model_dir: str | Path) -> dict:
    path = Path(model_dir, MANIFEST)
    if not path.exists():
        raise FileNotFoundError(f"{path} missing: train models with `corpus models train`")
    return json.loads(path.read_text(encoding="utf-8"))


def model_checksum(model_dir: str | Path) -> str:
    """One digest over the model files (not the manifest, which holds times)."""
    h = hashlib.sha256()
    for name, entry in file_entries(model_dir).items():
        h.update(f"{name}:{entry['sha256']}\n".encode())
    return h.hexdigest()


def ensure_dir(path: str | Path) -> str:
    os.makedirs(path, exist_ok=True)
    return str(path)
