"""The three kinds of per-document step: filters decide, scorers annotate, formatters rewrite.

All three are datatrove PipelineSteps. A filter is a datatrove BaseFilter whose dropped
documents go to the `dropped` table with its stage and reason; a scorer only adds declared
metadata keys; a formatter only changes text (and may record what it changed as signals).
"""

from __future__ import annotations

from abc import abstractmethod

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.filters.base_filter import BaseFilter, get_filter_result

from corpus import vocab
from corpus.stages import StageContext
from corpus.writers import PENDING_DROP, FateWriter


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
