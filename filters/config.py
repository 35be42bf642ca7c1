"""Config sections for the filter families (heuristics, learned scorers)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from corpus.configlib import check


@dataclass(frozen=True)
class HeuristicsConfig:
    enabled: bool = True


@dataclass(frozen=True)
class ScorerSection:
    enabled: bool = True
    # per language (or "*") overrides of filters/data/scorers.yaml, e.g. {"zh": {"min_score": 0.2}}
    thresholds: dict[str, dict[str, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class CoherenceSection(ScorerSection):
    action: Literal["drop", "segment"] = "drop"  # segment: cut at the weakest boundary, keep the longer side


@dataclass(frozen=True)
class ScorersConfig:
    enabled: bool = True
    # directory written by `corpus models train`; empty: tiny demo models trained once into a cache
    models_dir: str = ""
    # per-language thresholds; empty: filters/data/scorers.yaml (scorers_demo.yaml with the demo models)
    defaults_file: str = ""
    batch_size: int = 64  # documents per scorer call (fastText predicts a list at once)
    perplexity: ScorerSection = field(default_factory=ScorerSection)
    quality: ScorerSection = field(default_factory=ScorerSection)
    coherence: CoherenceSection = field(default_factory=CoherenceSection)
    safety: ScorerSection = field(default_factory=ScorerSection)

    def __post_init__(self):
        check(self.batch_size >= 1, "scorers.batch_size", "must be >= 1")
