"""The labelled pages (English articles, Chinese news; gold main text per page) and the
bag-of-tokens scores extraction is judged by.

Tokens: Han ideographs one by one, runs of other letters/digits, case-folded; whitespace and
punctuation ignored, identically for every system.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from pathlib import Path

from filters.units import HAN_CLASS

SETS = {"en": "en-articles", "zh": "zh-news"}
GT_FIELD = {"en": "articleBody", "zh": "content"}
# Han ideographs (CJK unified + ext A + compatibility) one by one; other word characters in runs
_TOKEN = re.compile(rf"[{HAN_CLASS}]|[^\W_{HAN_CLASS}]+")


def tokens(text: str | None) -> Counter:
    return Counter(_TOKEN.findall((text or "").casefold()))


def prf(pred: Counter, gold: Counter) -> tuple[float, float, float, int, int, int]:
    """(precision, recall, F1, overlap, predicted tokens, gold tokens)."""
    overlap = sum((pred & gold).values())
    npred, ngold = sum(pred.values()), sum(gold.values())
    p = overlap / npred if npred else (1.0 if not ngold else 0.0)
    r = overlap / ngold if ngold else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f, overlap, npred, ngold


def load_truth(data: Path, lang: str) -> dict[str, dict]:
    """page id -> {url, text, path}."""
    folder = data / "html" / SETS[lang]
    if not (folder / "ground-truth.json.gz").is_file():
        raise SystemExit(f"no labelled pages in {folder}: --data must be the shared data folder (../shared/data)")
    with gzip.open(folder / "ground-truth.json.gz", "rt", encoding="utf-8") as f:
        gt = json.load(f)
    return {
        pid: {"url": v["url"], "text": v[GT_FIELD[lang]], "path": folder / "pages" / f"{pid}.html.gz"}
        for pid, v in gt.items()
    }


def labelled_pages(data: Path):
    """(lang, index in sorted ids, truth, decoded HTML) of every labelled page, read from its page
    file; the index splits pages into the even (tuning) and odd (held-out) halves."""
    from corpus.core.charset import decode

    for lang in SETS:
        truth = load_truth(data, lang)
        for i, pid in enumerate(sorted(truth)):
            with gzip.open(truth[pid]["path"], "rb") as f:
                yield lang, i, truth[pid], decode(f.read())[0]
