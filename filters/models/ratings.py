"""Pages rated 0-5 by the rubric (filters/data/ratings/README.md), with a fixed train / held-out split.

Two sets: the shared data folder's `quality/ratings.jsonl` (its split is `shared_split.tsv` here) and
this repository's own `filters/data/ratings/ratings.jsonl` (a `split` field per row). Both were rated on
trafilatura's text; `rerated.jsonl` rates again, on the text the native core gives, the pages of either set
where that text differs from the one rated (`Rated.rating_of` picks by a document's `extractor`). Training reads
only the train part; the held-out part is for checking (benchmarks/learned_filters.py) and never
chooses anything. A page of a shard or folder the retention benchmark reads (`RETENTION_SOURCES`) is
held out whatever its split says (`load`), and `collect` leaves such pages out of the crawl sample
too (`in_retention`), so no page the retention floors are measured on trains a model or sets a cutoff.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from pathlib import Path

RATINGS_DIR = Path(__file__).resolve().parents[1] / "data" / "ratings"
OWN = RATINGS_DIR / "ratings.jsonl"
SHARED = "quality/ratings.jsonl"  # relative to the shared data folder
SHARED_SPLIT = RATINGS_DIR / "shared_split.tsv"
RERATED = RATINGS_DIR / "rerated.jsonl"
# what the retention benchmark reads (evalsets/retention_inputs.py), relative to the shared data folder: a
# shard, or a folder and everything under it (compared by whole path components, so "html/zh-more" matches
# "html/zh-more" and "/data/html/zh-more/gne_news_pages/x.html.gz", never "html/zh-more-2")
RETENTION_SOURCES = (
    "warc/en-articles-00.warc.gz",
    "warc/zh-news-00.warc.gz",
    "warc-real/commoncrawl_real/resiliparse_CC-MAIN-2020-34_sample.warc.gz",
    "html/en-articles",
    "html/zh-news",
    "html/zh-more",
)
# html/zh-more has no shard: evalsets.retention_inputs.html_pages writes its pages into a WARC under these urls
RETENTION_URLS = ("https://gne.example/", "https://gerapy.example/")
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
    # (extractor, rating) of the text another extractor gives where it differs from the text rated
    again: tuple[tuple[str, int], ...] = ()

    def rating_of(self, extractor: str | None) -> int:
        """The rating of the text a document got from `extractor` (its `extractor` signal)."""
        return dict(self.again).get(extractor, self.rating) if extractor else self.rating


def band(rating: int) -> str:
    return next(b for b, (lo, hi) in BANDS.items() if lo <= rating <= hi)


def in_retention(source_file: str, url: str = "") -> bool:
    """Whether a page comes from what the retention benchmark reads: `source_file` relative to the data
    folder or absolute (a build's `source_file` column), or `url` one that benchmark gives its own pages."""
    parts = tuple(p for p in str(source_file).replace("\\", "/").split("/") if p not in ("", "."))
    for src in RETENTION_SOURCES:
        want = tuple(src.split("/"))
        if any(parts[i : i + len(want)] == want for i in range(len(parts) - len(want) + 1)):
            return True
    return bool(url) and url.startswith(RETENTION_URLS)


def fixed_split(url: str, source_file: str) -> str:
    """The split rule the shared ratings' split file was written with: a page of a retention source is
    held out; of the others, half by the hash of the url."""
    if in_retention(source_file, url):
        return "heldout"
    return "heldout" if hashlib.sha1(url.encode("utf-8")).digest()[0] % 2 else "train"


def _jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load(data_root: str | Path | None, own: Path | None = None) -> list[Rated]:
    """Every rated page of both sets (the shared one only when data_root has it; `own`: this repository's
    set unless given); a page of a retention source is held out whatever its split field says."""
    out, own = [], Path(own or OWN)
    shared = Path(data_root) / SHARED if data_root else None
    if shared is not None and shared.exists():
        split = dict(
            line.rstrip("\n").split("\t")[:2]
            for line in SHARED_SPLIT.read_text(encoding="utf-8").splitlines()
            if line and not line.startswith("#")
        )
        for r in _jsonl(shared):
            out.append(
                Rated(r["url"], r["lang"], int(r["rating"]), split.get(r["url"], "heldout"), r["source_file"], "shared")
            )
    if own.exists():
        for r in _jsonl(own):
            out.append(Rated(r["url"], r["lang"], int(r["rating"]), r["split"], r["source_file"], "own"))
    again: dict[str, list] = {}
    for r in _jsonl(RERATED) if RERATED.exists() else []:
        again.setdefault(r["url"], []).append((r["extractor"], int(r["rating"])))
    out = [replace(r, again=tuple(again[r.url])) if r.url in again else r for r in out]
    return [replace(r, split="heldout") if in_retention(r.source_file, r.url) else r for r in out]
