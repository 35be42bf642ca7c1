"""Config sections for the filter families (heuristics, learned scorers)."""

from __future__ import annotations

from dataclasses import dataclass, field

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
        for lang, rules in self.thresholds.items():
            for key, bounds in rules.items():
                for b in bounds:
                    check(b in ("min", "max"), f"heuristics.thresholds.{lang}.{key}.{b}", "bound must be min or max")


@dataclass(frozen=True)
class ScorersConfig:
    enabled: bool = True
