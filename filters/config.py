"""Config sections for the filter families (heuristics, learned scorers)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from corpus.configlib import check

HEURISTIC_FAMILIES = ("gopher_quality", "gopher_repetition", "c4", "fineweb", "garbled", "word_blocklist")


@dataclass(frozen=True)
class HeuristicsConfig:
    enabled: bool = True
    families: tuple[str, ...] = HEURISTIC_FAMILIES  # families whose stages compute signals and decide
    defaults: str = ""  # YAML of per-language params and thresholds; "": filters/data/heuristics.yaml
    # overrides of the defaults: lang (or "*" for every language) -> signal -> {"min": x, "max": y};
    # a null bound switches that side of the rule off
    thresholds: dict[str, dict[str, dict[str, float | None]]] = field(default_factory=dict)
    blocklists: dict[str, tuple[str, ...]] = field(default_factory=dict)  # lang -> extra term files
    use_default_blocklists: bool = True

    def __post_init__(self):
        for i, f in enumerate(self.families):
            check(f in HEURISTIC_FAMILIES, f"heuristics.families[{i}]", f"unknown family {f!r}")
        from filters.heuristics.params import REASONS  # (imports this module)

        for lang, rules in self.thresholds.items():
            for key, bounds in rules.items():
                check(key in REASONS, f"heuristics.thresholds.{lang}.{key}", "not a heuristic signal")
                for b in bounds:
                    check(b in ("min", "max"), f"heuristics.thresholds.{lang}.{key}.{b}", "bound must be min or max")


@dataclass(frozen=True)
class ScorerSection:
    enabled: bool = True
    # per language (or "*") overrides of filters/data/scorers.yaml, e.g. {"zh": {"min_score": 0.2}}
    thresholds: dict[str, dict[str, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class CoherenceSection(ScorerSection):
    action: Literal["drop", "segment"] = "drop"  # segment: cut at the weakest boundary, keep the longer side


# threshold names each scorer's rules read (filters/scorer_stages.py); drop_* are 0/1 switches,
# drop_below_cutoff reads the cutoff the model's manifest recorded at training time
THRESHOLD_NAMES = {"perplexity": ("drop_tail", "max_ppl"), "quality": ("min_score", "drop_below_cutoff"),
                   "coherence": ("min_score", "drop_below_cutoff"),
                   "safety": ("max_score", "max_term_hits", "drop_url_hit", "drop_age_gate")}


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
        for scorer, names in THRESHOLD_NAMES.items():
            for lang, values in getattr(self, scorer).thresholds.items():
                for name in values:
                    check(name in names, f"scorers.{scorer}.thresholds.{lang}.{name}",
                          f"unknown threshold (known: {', '.join(names)})")


@dataclass(frozen=True)
class PageTypeConfig:
    defaults: str = ""  # YAML of per-language thresholds; "": filters/data/page_type.yaml
    # overrides: lang (or "*") -> signal -> {"min": x, "max": y}; a null bound switches that side off
    thresholds: dict[str, dict[str, dict[str, float | None]]] = field(default_factory=dict)

    def __post_init__(self):
        from filters.page_type import REASONS  # (imports this module)

        for lang, rules in self.thresholds.items():
            for key, bounds in rules.items():
                check(key in REASONS, f"page_type.thresholds.{lang}.{key}", "not a page_type signal with a rule")
                for b in bounds:
                    check(b in ("min", "max"), f"page_type.thresholds.{lang}.{key}.{b}", "bound must be min or max")
