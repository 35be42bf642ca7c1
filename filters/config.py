"""Config sections for the filter families (heuristics, learned scorers)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

from corpus.core.configlib import FilePath, OnDisk, check

# Thresholds of every stage are one top-level section of the build config (`thresholds:`); the
# sections here hold how signals are computed.


def _holds_models(root: str) -> bool:
    """Any model at all: a directory without one would have every learned stage score nothing. The
    layout is filters.models.registry's KIND/LANG/manifest.json (importing it would make a cycle)."""
    return any(Path(root).glob("*/*/manifest.json"))


ModelsDir = Annotated[str, OnDisk("dir", holds=_holds_models, what="model written by `corpus models train`")]


@dataclass(frozen=True)
class HeuristicsConfig:
    defaults_file: FilePath = ""  # YAML of per-language params and thresholds; "": filters/data/heuristics.yaml
    blocklists: dict[str, tuple[FilePath, ...]] = field(default_factory=dict)  # lang -> extra term files
    use_default_blocklists: bool = True

    @property
    def defaults(self) -> str:
        """The former name of defaults_file (filters/heuristics/params.py reads it so)."""
        return self.defaults_file


@dataclass(frozen=True)
class CoherenceSection:
    action: Literal["drop", "segment"] = "drop"  # segment: cut at the weakest boundary, keep the longer side


@dataclass(frozen=True)
class ScorersConfig:
    # directory written by `corpus models train`; empty: tiny demo models trained once into a cache
    models_dir: ModelsDir = ""
    # per-language thresholds; empty: filters/data/scorers.yaml (scorers_demo.yaml with the demo models)
    defaults_file: FilePath = ""
    batch_size: int = 64  # documents per scorer call (fastText predicts a list at once)
    coherence: CoherenceSection = field(default_factory=CoherenceSection)

    def __post_init__(self):
        check(self.batch_size >= 1, "scorers.batch_size", "must be >= 1")


@dataclass(frozen=True)
class PageTypeConfig:
    defaults_file: FilePath = ""  # YAML of per-language thresholds; "": filters/data/page_type.yaml
