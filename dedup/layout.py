"""Every file a dedup stage writes between its pipelines, and every task count, in one place.

A stage's chain (hash -> group -> clusters -> filter) agrees on names and counts because all
its steps take the same DedupPlan: input files (one task each), hash shards (one task each).
"""

from __future__ import annotations

import glob
import math
import os
from dataclasses import dataclass

import pyarrow.parquet as pq

from corpus.core import vocab
from corpus.core.layout import Layout, rank_name

SORT_OVERHEAD = 3  # a shard's records are held about three times over while sorted and grouped


def doc_ref(rank: int, idx):
    """64-bit document reference: input file (task) in the high half, row in the low half."""
    return (rank << 32) | idx


@dataclass(frozen=True)
class DedupPlan:
    work: str  # folder of this stage's intermediate files
    files: tuple[str, ...]  # input Parquet files: task r of the hash and filter steps reads files[r]
    shards: int  # hash shards: task s of the group step reads shard s of every input task
    spill_records: int  # records a hash task buffers before writing them out

    # ---- task counts
    @property
    def input_tasks(self) -> int:
        return len(self.files)

    # ---- hash records, grouped by shard
    def records_file(self, rank: int, shard: int, part: int) -> str:
        return os.path.join(self.work, "records", f"{rank_name(shard)}-{rank_name(rank)}-{part:04d}.npy")

    def records_of_shard(self, shard: int) -> list[str]:
        return sorted(glob.glob(os.path.join(self.work, "records", f"{rank_name(shard)}-*.npy")))

    def records_of_rank(self, rank: int) -> list[str]:
        return glob.glob(os.path.join(self.work, "records", f"*-{rank_name(rank)}-*.npy"))

    # ---- per input task
    def doc_table(self, rank: int) -> str:
        return os.path.join(self.work, "docs", f"{rank_name(rank)}.parquet")

    def shingles_file(self, rank: int) -> str:
        return os.path.join(self.work, "shingles", f"{rank_name(rank)}.npy")

    def shingle_offsets(self, rank: int) -> str:
        return os.path.join(self.work, "shingles", f"{rank_name(rank)}-offsets.npy")

    def decisions(self, rank: int) -> str:
        return os.path.join(self.work, "decisions", f"{rank_name(rank)}.parquet")

    # ---- per shard
    def group_output(self, shard: int) -> str:
        """Edges (pairs of doc refs) of the fuzzy/exact stages, removals of the paragraph stage."""
        return os.path.join(self.work, "groups", f"{rank_name(shard)}.npy")

    def group_outputs(self) -> list[str]:
        return [self.group_output(s) for s in range(self.shards)]

    # ---- logging dirs, one per pipeline of the chain
    @staticmethod
    def logging_dir(layout: Layout, segment: int, step: str) -> str:
        return layout.logging_dir(segment, step)


def make_plan(
    layout: Layout, segment: int, stage: str, input_dir: str, records, record_bytes: int, memory_mb: float
) -> DedupPlan:
    """Shards enough that one shard's records, sorted, fit memory_mb. `records(files)` estimates
    the record count from Parquet metadata, so a rerun on the same input computes the same plan."""
    files = tuple(sorted(glob.glob(os.path.join(input_dir, "*.parquet"))))
    need = records(files) * record_bytes * SORT_OVERHEAD
    budget = memory_mb * 2**20
    shards = max(1, math.ceil(need / budget))
    work = f"{layout.work_dir(segment)}-{stage}"  # under Layout.segment_reads(segment)
    return DedupPlan(work, files, shards, spill_records=max(1024, int(budget / SORT_OVERHEAD / record_bytes)))


def row_count(files: tuple[str, ...]) -> int:
    return sum(pq.ParquetFile(f).metadata.num_rows for f in files)


def text_bytes(files: tuple[str, ...]) -> int:
    """Uncompressed size of the text column (Parquet metadata)."""
    total = 0
    for f in files:
        md = pq.ParquetFile(f).metadata
        for g in range(md.num_row_groups):
            rg = md.row_group(g)
            for c in range(rg.num_columns):
                if rg.column(c).path_in_schema == vocab.TEXT:
                    total += rg.column(c).total_uncompressed_size
    return total
