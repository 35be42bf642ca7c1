"""Pages rated 0-5 by the rubric (filters/data/ratings/README.md), with a fixed train / held-out split.

Two sets: the shared data folder's `quality/ratings.jsonl` (its split is `shared_split.tsv` here) and
this repository's own `filters/data/ratings/ratings.jsonl` (a `split` field per row). Training reads
only the train part, and only pages of shards outside the retention benchmark's inputs; the
held-out part is for checking (benchmarks/learned_filters.py) and never chooses anything.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

RATINGS_DIR = Path(__file__).resolve().parents[1] / "data" / "ratings"
OWN = RATINGS_DIR / "ratings.jsonl"
SHARED = "quality/ratings.jsonl"  # relative to the shared data folder
SHARED_SPLIT = RATINGS_DIR / "shared_split.tsv"
# shards the retention benchmark reads (evalsets/retention_inputs.py): their pages are held out whatever the split
RETENTION_SHARDS = ("warc/en-articles-00.warc.gz", "warc/zh-news-00.warc.gz",
                    "warc-real/commoncrawl_real/resiliparse_CC-MAIN-2020-34_sample.warc.gz", "html/zh-more/")
BANDS = {"good": (4, 5), "mid": (3, 3), "poor": (0, 2)}  # rating bands of the cutoff rule's sets
BAND_NAMES = {"good": "rated 4-5", "mid": "rated 3", "poor": "rated 0-2"}


@dataclass(frozen=True)
class Rated:
    url: str
    lang: str
    rating: int
    split: str  # "train" | "heldout"
    source_file: str
    set_name: str  # "shared" | "own"


def band(rating: int) -> str:
    return next(b for b, (lo, hi) in BANDS.items() if lo <= rating <= hi)


def fixed_split(url: str, source_file: str) -> str:
    """The split rule the shared ratings' split file was written with: a page of a retention shard is
    held out; of the others, half by the hash of the url."""
    if source_file.startswith(RETENTION_SHARDS):
        return "heldout"
    return "heldout" if hashlib.sha1(url.encode("utf-8")).digest()[0] % 2 else "train"


def _jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load(data_root: str | Path | None) -> list[Rated]:
    """Every rated page of both sets (the shared one only when data_root has it)."""
    out = []
    shared = Path(data_root) / SHARED if data_root else None
    if shared is not None and shared.exists():
        split = dict(line.rstrip("\n").split("\t")[:2] for line in SHARED_SPLIT.read_text(encoding="utf-8").splitlines()
                     if line and not line.startswith("#"))
        for r in _jsonl(shared):
            out.append(Rated(r["url"], r["lang"], int(r["rating"]), split.get(r["url"], "heldout"), r["source_file"],
                             "shared"))
    if OWN.exists():
        for r in _jsonl(OWN):
            out.append(Rated(r["url"], r["lang"], int(r["rating"]), r["split"], r["source_file"], "own"))
    return out
