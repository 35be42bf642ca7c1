"""The step contracts every stage builds on: the stage context, the three kinds of per-document
step (filters decide, scorers annotate, formatters rewrite), threshold rules, and the declaration
of a stage.

The three step kinds are datatrove PipelineSteps. A filter is a datatrove BaseFilter whose dropped
documents go to the `dropped` table with its stage and reason; a scorer only adds declared
metadata keys; a formatter only changes text (and may record what it changed as signals).
"""

from __future__ import annotations

import math
from abc import abstractmethod
from dataclasses import dataclass

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.filters.base_filter import BaseFilter, get_filter_result

from corpus import vocab
from corpus.layout import Layout
from corpus.writers import PENDING_DROP, FateWriter

ANY_LANG = "*"  # thresholds and per-language settings: the entry for every language not listed


@dataclass(frozen=True)
class StageContext:
    layout: Layout
    segment: int
    annotate_only: bool = False  # filters forward everything and note their verdict (--annotate-all)


class CorpusFilter(BaseFilter):
    """A BaseFilter whose stage is known, so dropped rows carry (stage, reason).

    With ``ctx.annotate_only`` (`corpus build --annotate-all`) the filter forwards every
    document and only notes its first verdict; PendingDropWriter at the end of the segment
    sends such documents to `dropped`, so every signal is computed for every document while the
    fates stay those of a short-circuiting build.
    """

    stage: str = ""

    def __init__(self, ctx: StageContext | None = None, writer: str | None = None, stage: str | None = None):
        self.stage = stage or self.stage
        assert self.stage in vocab.STAGES, f"{type(self).__name__}.stage must be declared in corpus.vocab"
        excl = (FateWriter(ctx.layout, vocab.FATE_DROPPED, stage=self.stage, segment=ctx.segment, writer=writer)
                if ctx else None)
        super().__init__(exclusion_writer=excl)
        self.annotate_only = bool(ctx and ctx.annotate_only)

    @abstractmethod
    def filter(self, doc: Document) -> bool | tuple[bool, str]: ...

    def filter_batch(self, batch: list[Document]) -> list[bool | tuple[bool, str]]:
        results = [self.filter(d) for d in batch]
        if not self.annotate_only:
            return results
        for doc, res in zip(batch, results):
            keep, reason = get_filter_result(res)
            if not keep and PENDING_DROP not in doc.metadata:
                doc.metadata[PENDING_DROP] = (self.stage, reason)
        return [True] * len(batch)


class PendingDropWriter(PipelineStep):
    """Last step of an --annotate-all segment: documents a filter voted out go to `dropped`."""

    name = "pending drops"
    type = "💽 - WRITER"

    def __init__(self, ctx: StageContext):
        super().__init__()
        self.writer = FateWriter(ctx.layout, vocab.FATE_DROPPED, stage=None, segment=ctx.segment, writer="annotated")

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        with self.writer as w:
            for doc in data:
                if PENDING_DROP in doc.metadata:
                    self.stat_update("dropped")
                    w.write(doc, rank)
                else:
                    yield doc


class Formatter(PipelineStep):
    """Rewrites `doc.text` in place (and may record what it changed as signals); never drops."""

    type = "✂️ - FORMAT"

    @abstractmethod
    def rewrite(self, doc: Document) -> None: ...

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for doc in data:
            before = doc.text
            with self.track_time():
                self.rewrite(doc)
            if doc.text != before:
                self.stat_update("rewritten")
            yield doc


class Scorer(PipelineStep):
    """Annotates documents with `score(doc) -> dict`; never drops, never edits text."""

    type = "📊 - SCORER"
    batch_size = 1

    @abstractmethod
    def score(self, doc: Document) -> dict[str, float | int | str | None]: ...

    def score_batch(self, docs: list[Document]) -> list[dict]:
        return [self.score(d) for d in docs]

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        from datatrove.utils.batching import batched

        for batch in batched(data, self.batch_size):
            with self.track_time("batch" if self.batch_size > 1 else None):
                results = self.score_batch(batch)
            for doc, signals in zip(batch, results):
                doc.metadata.update(signals)
                self.stat_update("scored")
                yield doc


# ---------------------------------------------------------------- threshold rules
# A Rule names one signal column, a bound and the reason code it drops with. The same Rule decides
# inside a pipeline (ThresholdFilter) and in SQL over a finished build (Rule.sql_fires), so
# re-filtering never recomputes a signal and never disagrees with the build.


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
