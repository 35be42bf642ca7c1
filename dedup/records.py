"""Hash records spilled to disk by shard, document tables, and atomic file writes.

Each hash task appends records (a structured numpy array whose first field is the 64-bit
key) and spills them to one file per (shard, task) whenever its buffer passes a bound; a
group task loads only its shard. A task killed half-way leaves at most `.tmp` files, and its
rerun first deletes every file it may have written.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from datatrove.data import Document

from corpus.core.readers import row_document
from dedup.layout import DedupPlan


def save_npy(path: str, arr: np.ndarray) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        np.save(f, arr)
    os.replace(tmp, path)


def save_parquet(path: str, table: pa.Table) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)


def shard_of(keys: np.ndarray, shards: int) -> np.ndarray:
    return ((keys >> np.uint64(40)) % np.uint64(shards)).astype(np.int64)


class SpillWriter:
    def __init__(self, plan: DedupPlan, rank: int, dtype: np.dtype):
        self.plan, self.rank, self.dtype, self.limit = plan, rank, dtype, plan.spill_records
        self.buffer: list[np.ndarray] = []
        self.buffered = 0
        self.part = 0
        for stale in plan.records_of_rank(rank):
            os.remove(stale)

    def add(self, records: np.ndarray) -> None:
        self.buffer.append(records)
        self.buffered += len(records)
        if self.buffered >= self.limit:
            self.flush()

    def flush(self) -> None:
        if not self.buffer:
            return
        recs = np.concatenate(self.buffer)
        which = shard_of(recs["key"], self.plan.shards)
        order = np.argsort(which, kind="stable")
        recs, which = recs[order], which[order]
        bounds = np.searchsorted(which, np.arange(self.plan.shards + 1))
        for s in range(self.plan.shards):
            if bounds[s + 1] > bounds[s]:
                save_npy(self.plan.records_file(self.rank, s, self.part), recs[bounds[s] : bounds[s + 1]])
        self.part += 1
        self.buffer, self.buffered = [], 0


def load_shard(plan: DedupPlan, shard: int, dtype: np.dtype) -> np.ndarray:
    parts = [np.load(p) for p in plan.records_of_shard(shard)]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)


def read_docs(path: str, columns: list[str] | None = None) -> Iterator[tuple[int, Document]]:
    """(row index, document) of one survivors file, in file order."""
    idx = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=1024, columns=columns):
        for row in batch.to_pylist():
            yield idx, row_document(row)
            idx += 1


def group_starts(sorted_keys: np.ndarray) -> np.ndarray:
    """Index of the first row of each run of equal keys in a sorted array."""
    if len(sorted_keys) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
