"""Config section for cascaded deduplication (paragraph exact, MinHash fuzzy, exact document)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal

import yaml

from corpus.core.configlib import check, for_lang, from_dict

DEFAULTS_FILE = Path(__file__).parent / "data" / "defaults.yaml"
SURVIVOR_FIELDS = ("length",)  # besides declared metadata keys: computed from the text


@cache
def _defaults() -> dict:
    return yaml.safe_load(DEFAULTS_FILE.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Shingling:
    unit: Literal["word", "char"] = "word"
    n: int = 5  # words or characters per shingle

    def __post_init__(self):
        check(self.n >= 1, "dedup.minhash.shingles.n", "must be >= 1")


def _default_shingles() -> dict[str, Shingling]:
    return {lang: from_dict(Shingling, v) for lang, v in _defaults()["shingles"].items()}


@dataclass(frozen=True)
class ParagraphConfig:
    max_repeats: int = 1  # copies of a paragraph kept corpus-wide: the first ones in document order
    # a document that lost more than this share of its characters is dropped, not kept as a remnant
    max_removed_fraction: float = 0.8
    # lines with fewer letters and digits than this are never removed
    min_chars: dict[str, int] = field(default_factory=lambda: dict(_defaults()["paragraph_min_chars"]))

    def __post_init__(self):
        check(self.max_repeats >= 1, "dedup.paragraph.max_repeats", "must be >= 1")
        check(0.0 < self.max_removed_fraction <= 1.0, "dedup.paragraph.max_removed_fraction", "must be in (0, 1]")
        check("*" in self.min_chars, "dedup.paragraph.min_chars", "needs a '*' entry for other languages")
        for lang, n in self.min_chars.items():
            check(n >= 0, f"dedup.paragraph.min_chars.{lang}", "must be >= 0")

    def min_chars_for(self, lang: str | None) -> int:
        return for_lang(self.min_chars, lang)


@dataclass(frozen=True)
class MinhashConfig:
    # 14 x 8 catches a pair at Jaccard 0.8 with probability 0.92 (`corpus dedup explain`)
    bands: int = 14
    rows: int = 8
    shingles: dict[str, Shingling] = field(default_factory=_default_shingles)
    verify: bool = True  # confirm LSH candidate pairs by true Jaccard of their shingle sets
    verify_threshold: float = 0.8

    def __post_init__(self):
        check(self.bands >= 1, "dedup.minhash.bands", "must be >= 1")
        check(self.rows >= 1, "dedup.minhash.rows", "must be >= 1")
        check("*" in self.shingles, "dedup.minhash.shingles", "needs a '*' entry for other languages")
        check(0.0 < self.verify_threshold <= 1.0, "dedup.minhash.verify_threshold", "must be within (0, 1]")

    @property
    def permutations(self) -> int:
        return self.bands * self.rows

    def shingling_for(self, lang: str | None) -> Shingling:
        return for_lang(self.shingles, lang)


@dataclass(frozen=True)
class DedupConfig:
    paragraph: ParagraphConfig = field(default_factory=ParagraphConfig)
    minhash: MinhashConfig = field(default_factory=MinhashConfig)
    # which copy of a duplicate group survives: fields in priority order, "-" = highest first;
    # missing values rank last; the document id breaks remaining ties (deterministic)
    survivor_key: tuple[str, ...] = ("-quality_score", "-length", "warc_date")
    # per-task memory for hash records: sets how many hash shards the records are spread over and
    # how many records a task buffers before spilling them to disk
    memory_mb: float = 256.0

    def __post_init__(self):
        from corpus.core import vocab

        check(self.memory_mb > 0, "dedup.memory_mb", "must be > 0")
        for f in self.survivor_key:
            name = f.lstrip("-")
            check(
                name in SURVIVOR_FIELDS or name in vocab.KEYS,
                "dedup.survivor_key",
                f"{name!r} is neither 'length' nor a declared metadata key",
            )
