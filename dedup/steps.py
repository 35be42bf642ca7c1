"""Pipeline steps shared by the dedup stages: reading one input file per task, dropping the
documents a group step decided against, and the base of steps that only write files."""

from __future__ import annotations

import os

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from corpus.core import progress
from corpus.core.steps import CorpusFilter, StageContext
from dedup.layout import DedupPlan
from dedup.records import read_docs

IDX = "_dedup_idx"  # row of the document in its input file (private: never written)
KEEP = "_dedup_keep"  # False: a group step chose another copy, or nothing was left
REASON = "_dedup_reason"


class FileStep(PipelineStep):
    """A step that reads the plan's files and writes files; it passes no documents on."""

    type = "🫂 - DEDUP"

    def __init__(self, plan: DedupPlan):
        super().__init__()
        self.plan = plan

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        self.work(rank)
        yield from ()

    def work(self, rank: int) -> None:
        raise NotImplementedError


class RankReader(PipelineStep):
    """Task r reads input file r (the plan's numbering) after deleting what a killed run left."""

    name = "dedup reader"
    type = "📖 - READER"

    def __init__(self, plan: DedupPlan, ctx: StageContext):
        super().__init__()
        self.plan, self.ctx = plan, ctx

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for stale in self.ctx.layout.rank_outputs(self.ctx.segment, rank):
            os.remove(stale)
        tally = progress.start_task(self.ctx.layout, self.ctx.segment, rank)
        for idx, doc in read_docs(self.plan.files[rank]):
            doc.metadata[IDX] = idx
            self.stat_update("documents")
            tally.add(progress.READ)
            yield doc


class DecisionFilter(CorpusFilter):
    """Drops documents an earlier step marked with KEEP=False, with the reason it gave."""

    name = "dedup decision"

    def __init__(self, ctx: StageContext, stage: str):
        super().__init__(StageContext(ctx.layout, ctx.segment), stage=stage)

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        md = doc.metadata
        if md.pop(KEEP, True):
            return True
        return False, md.pop(REASON)
