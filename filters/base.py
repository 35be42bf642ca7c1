"""The three kinds of per-document step: filters decide, scorers annotate, formatters rewrite.

All three are datatrove PipelineSteps. A filter is a datatrove BaseFilter whose dropped
documents go to the `dropped` table with its stage and reason; a scorer only adds declared
metadata keys; a formatter only changes text (and may record what it changed as signals).
"""

from __future__ import annotations

from abc import abstractmethod

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.filters.base_filter import BaseFilter

from corpus import vocab
from corpus.layout import Layout
from corpus.writers import FateWriter

ANNOTATE_ALL = "_annotate_all"  # private marker: downstream scorers still run on this document


class CorpusFilter(BaseFilter):
    """A BaseFilter whose stage is known, so dropped rows carry (stage, reason).

    With ``annotate_only`` the filter records its verdict but forwards the document, which is
    how `corpus build --annotate-all` computes every signal for every document; the verdict is
    then re-applied by `corpus refilter` from the stored signals.
    """

    stage: str = ""

    def __init__(self, layout: Layout | None = None, segment: int = 0, writer: str | None = None):
        assert self.stage in vocab.STAGES, f"{type(self).__name__}.stage must be declared in corpus.vocab"
        excl = FateWriter(layout, vocab.FATE_DROPPED, stage=self.stage, segment=segment, writer=writer) if layout else None
        super().__init__(exclusion_writer=excl)

    @abstractmethod
    def filter(self, doc: Document) -> bool | tuple[bool, str]: ...


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
