"""Config sections for the filter families (heuristics, learned scorers)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from corpus.configlib import check

# Thresholds of every stage are one top-level section (corpus.config.BuildConfig.thresholds); the
# sections here hold how signals are computed.


@dataclass(frozen=True)
class HeuristicsConfig:
    defaults: str = ""  # YAML of per-language params and thresholds; "": filters/data/heuristics.yaml
    blocklists: dict[str, tuple[str, ...]] = field(default_factory=dict)  # lang -> extra term files
    use_default_blocklists: bool = True


@dataclass(frozen=True)
class CoherenceSection:
    action: Literal["drop", "segment"] = "drop"  # segment: cut at the weakest boundary, keep the longer side


@dataclass(frozen=True)
class ScorersConfig:
    # directory written by `corpus models train`; empty: tiny demo models trained once into a cache
    models_dir: str = ""
    # per-language thresholds; empty: filters/data/scorers.yaml (scorers_demo.yaml with the demo models)
    defaults_file: str = ""
    batch_size: int = 64  # documents per scorer call (fastText predicts a list at once)
    coherence: CoherenceSection = field(default_factory=CoherenceSection)

    def __post_init__(self):
        check(self.batch_size >= 1, "scorers.batch_size", "must be >= 1")


@dataclass(frozen=True)
class PageTypeConfig:
    defaults: str = ""  # YAML of per-language thresholds; "": filters/data/page_type.yaml
