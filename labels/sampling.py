"""Label-driven down-sampling: a keep probability per label, a draw from a hash of the document id.

The draw is stored (`topic_draw`), so a LabelRule is an ordinary threshold rule on it, scoped to
the documents carrying one label: the build and `corpus refilter` decide identically.
"""

from __future__ import annotations

from dataclasses import dataclass

import xxhash
from datatrove.data import Document

from corpus.core import vocab
from corpus.core.steps import ANY_LANG, CorpusFilter, Rule, StageContext, note_rule, sql_double


def draw(doc_id: str, seed: int) -> float:
    """Uniform in [0, 1) and fixed per (id, seed): the same document meets the same fate in every run."""
    return xxhash.xxh64_intdigest(doc_id.encode("utf-8"), seed=seed) / 2**64


@dataclass(frozen=True)
class LabelRule(Rule):
    """Drop when the label column equals `label` and the draw is above the keep probability.

    The bound is `keep`, not min/max: a plain threshold on the draw over all documents (what the
    report draws for min/max rules) would say nothing about one label's documents."""

    label_key: str = ""
    label: str = ""
    score_key: str = ""
    min_label_score: float = 0.0
    keep: float = 1.0

    def __post_init__(self):
        if self.key not in vocab.KEYS or self.reason not in vocab.REASONS:
            raise ValueError(f"rule on undeclared signal {self.key!r} or reason {self.reason!r}")

    def fires(self, value) -> bool:
        return value is not None and value > self.keep

    def describe(self) -> str:
        return f"max {self.keep:g} where {self.label_key} = {self.label}"

    def crossed(self, value) -> float | None:
        return float(self.keep)

    def sql_crossed(self) -> str:
        return sql_double(self.keep)

    def fires_on(self, md: dict) -> bool:
        if md.get(self.label_key) != self.label or (md.get(self.score_key) or 0.0) < self.min_label_score:
            return False
        return self.fires(md.get(self.key))

    def sql_fires(self) -> str:
        scope = f"{self.label_key} = '{self.label}' and coalesce({self.score_key}, 0) >= {self.min_label_score!r}"
        return f"({scope} and {self.key} is not null and {self.key} > {self.keep!r})"


def label_rules(keep: dict[str, float], min_score: float = 0.0) -> dict[str, tuple[Rule, ...]]:
    """Formats first (ads, spam), then topics; the first rule that fires names the reason."""
    rules = []
    for label, p in sorted(keep.items(), key=lambda kv: (kv[0] not in vocab.FORMAT_LABELS, kv[0])):
        if p >= 1.0:
            continue
        col, score = (
            (vocab.FORMAT, vocab.FORMAT_SCORE)
            if label in vocab.FORMAT_LABELS
            else (vocab.TOPIC_LABEL, vocab.TOPIC_SCORE)
        )
        rules.append(
            LabelRule(
                vocab.TOPIC_DRAW,
                vocab.DOWNSAMPLED[label],
                label_key=col,
                label=label,
                score_key=score,
                min_label_score=min_score,
                keep=p,
            )
        )
    return {ANY_LANG: tuple(rules)}


class LabelSampler(CorpusFilter):
    name = "label sampler"
    stage = vocab.TOPIC

    def __init__(self, ctx: StageContext | None, seed: int, rules: dict[str, tuple[LabelRule, ...]]):
        super().__init__(ctx)
        self.seed, self.rules = seed, rules.get(ANY_LANG, ())

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        md = doc.metadata
        md[vocab.TOPIC_DRAW] = draw(doc.id, self.seed)
        for rule in self.rules:
            if rule.fires_on(md):
                note_rule(doc, rule)
                return False, rule.reason
        return True
