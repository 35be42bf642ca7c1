"""Typed threshold rules over stored signals, shared by the build and `corpus refilter`.

A Rule names one signal column, a bound and the reason code it drops with. The same Rule
decides inside a pipeline (ThresholdFilter) and in SQL over a finished build (Rule.sql_fires),
so re-filtering never recomputes a signal and never disagrees with the build.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from datatrove.data import Document

from corpus import vocab
from corpus.stages import StageContext
from filters.base import CorpusFilter

ANY_LANG = "*"


@dataclass(frozen=True)
class Rule:
    key: str  # signal column (declared in corpus.vocab)
    reason: str  # reason code (declared in corpus.vocab)
    min: float | None = None  # drop when value < min
    max: float | None = None  # drop when value > max

    def __post_init__(self):
        if self.key not in vocab.KEYS:
            raise ValueError(f"rule on undeclared signal {self.key!r}")
        if self.reason not in vocab.REASONS:
            raise ValueError(f"rule with undeclared reason {self.reason!r}")
        if self.min is None and self.max is None:
            raise ValueError(f"rule on {self.key!r} has neither min nor max")

    def fires(self, value) -> bool:
        """A missing or NaN signal never fires: absence of evidence keeps the document."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return False
        return (self.min is not None and value < self.min) or (self.max is not None and value > self.max)

    def sql_fires(self) -> str:
        parts = []
        if self.min is not None:
            parts.append(f"{self.key} < {self.min!r}")
        if self.max is not None:
            parts.append(f"{self.key} > {self.max!r}")
        return f"({self.key} is not null and not isnan({self.key}::double) and ({' or '.join(parts)}))"


def bound_rules(bounds: dict[str, dict], reasons: dict[str, tuple[str | None, str | None]]) -> list[Rule]:
    """Rules from {signal: {"min": x, "max": y}} and {signal: (reason below min, reason above max)};
    a null bound, or a side without a reason, makes no rule."""
    rules = []
    for key, b in bounds.items():
        below, above = reasons[key]
        if b.get("min") is not None and below:
            rules.append(Rule(key, below, min=b["min"]))
        if b.get("max") is not None and above:
            rules.append(Rule(key, above, max=b["max"]))
    return rules


def rules_for(rules: dict[str, tuple[Rule, ...]], lang: str | None) -> tuple[Rule, ...]:
    return rules.get(lang or "", rules.get(ANY_LANG, ()))


class ThresholdFilter(CorpusFilter):
    """Drops a document when the first of its language's rules fires; never computes signals."""

    name = "threshold filter"

    def __init__(self, ctx: StageContext | None, stage: str, rules: dict[str, tuple[Rule, ...]]):
        super().__init__(ctx, stage=stage)
        self.rules = rules

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        md = doc.metadata
        for rule in rules_for(self.rules, md.get(vocab.LANG)):
            if rule.fires(md.get(rule.key)):
                return False, rule.reason
        return True
