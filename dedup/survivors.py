"""Connected components over duplicate edges, the surviving copy of each, and the annotator.

Memory of the components step is O(documents that have a duplicate) plus one shard's edges:
edges are merged into the component labels one shard file at a time (scipy's
connected_components over the labels so far).
Survivor choice is a sort by the configured key over cluster members only.
"""

from __future__ import annotations

import os

import numpy as np
import polars as pl
import pyarrow as pa
from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from dedup.layout import DedupPlan
from dedup.records import save_parquet
from dedup.steps import IDX, KEEP, REASON, FileStep

LENGTH = "length"


def key_fields(survivor_key: tuple[str, ...]) -> list[tuple[str, bool]]:
    """(field, descending) pairs of a survivor key such as ("-quality_score", "warc_date")."""
    return [(f.lstrip("-"), f.startswith("-")) for f in survivor_key]


class DocTable:
    """Per input file: row, id and the survivor-key fields of every document."""

    def __init__(self, survivor_key: tuple[str, ...]):
        self.fields = [f for f, _ in key_fields(survivor_key)]
        self.rows: list[dict] = []

    def add(self, idx: int, doc) -> None:
        row = {"idx": idx, "id": doc.id}
        for f in self.fields:
            row[f] = len(doc.text) if f == LENGTH else doc.metadata.get(f)
        self.rows.append(row)

    @property
    def count(self) -> int:
        return len(self.rows)

    def save(self, path: str) -> None:
        save_parquet(
            path, pa.Table.from_pylist(self.rows) if self.rows else pa.table({"idx": pa.array([], pa.int64())})
        )


def components(edge_files: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(nodes, label) over the edges of several (E, 2) uint64 .npy files: nodes sorted, label =
    component number. Memory: the nodes plus one file's edges. Each file merges its edges into
    the labels so far: a graph over the current labels, whose components relabel every node."""
    uniques = [np.unique(np.load(f, mmap_mode="r")) for f in edge_files]
    nodes = np.unique(np.concatenate(uniques)) if uniques else np.zeros(0, dtype=np.uint64)
    labels = np.arange(len(nodes))
    for f in edge_files:
        edges = np.searchsorted(nodes, np.load(f))  # (E, 2) node numbers
        if len(edges) == 0:
            continue
        ends = labels[edges]  # (E, 2) current labels of both ends
        graph = coo_matrix((np.ones(len(ends), dtype=np.int8), (ends[:, 0], ends[:, 1])), shape=(len(nodes),) * 2)
        _, merged = connected_components(graph, directed=False)
        labels = merged[labels]
    return nodes, labels


def member_table(plan: DedupPlan, nodes: np.ndarray, labels: np.ndarray, fields: list[str]) -> pl.DataFrame:
    ranks, idxs = (nodes >> np.uint64(32)).astype(np.int64), (nodes & np.uint64(0xFFFFFFFF)).astype(np.int64)
    frames = []
    for r in np.unique(ranks):
        sel = ranks == r
        want = pl.DataFrame({"idx": idxs[sel], "comp": labels[sel].astype(np.int64)})
        table = pl.read_parquet(plan.doc_table(int(r)))
        frames.append(want.join(table, on="idx", how="left").with_columns(pl.lit(int(r)).alias("rank")))
    df = pl.concat(frames, how="diagonal_relaxed")
    for f in fields:
        if f not in df.columns:
            df = df.with_columns(pl.lit(None).alias(f))
    return df


def choose(df: pl.DataFrame, survivor_key: tuple[str, ...]) -> pl.DataFrame:
    """Adds cluster_id (smallest member id), cluster_size and keep (first by the survivor key)."""
    fk = key_fields(survivor_key)
    df = df.sort(
        ["comp"] + [f for f, _ in fk] + ["id"], descending=[False] + [d for _, d in fk] + [False], nulls_last=True
    )
    return df.with_columns(
        pl.col("id").min().over("comp").alias("cluster_id"),
        pl.len().over("comp").cast(pl.Int64).alias("cluster_size"),
        (pl.int_range(pl.len()).over("comp") == 0).alias("keep"),
    )


class Clusters(FileStep):
    """One task: components of all edges, survivor per component, decisions per input file."""

    name = "dedup clusters"

    def __init__(self, plan: DedupPlan, survivor_key: tuple[str, ...]):
        super().__init__(plan)
        self.survivor_key = survivor_key

    def work(self, rank: int) -> None:
        nodes, labels = components(self.plan.group_outputs())
        by_rank = {}
        if len(nodes):
            df = choose(
                member_table(self.plan, nodes, labels, [f for f, _ in key_fields(self.survivor_key)]), self.survivor_key
            )
            self.stat_update("clusters", value=int(df["comp"].n_unique()))
            self.stat_update("duplicates", value=int((~df["keep"]).sum()))
            by_rank = df.partition_by("rank", as_dict=True)
        empty = pl.DataFrame(
            schema={"idx": pl.Int64, "cluster_id": pl.String, "cluster_size": pl.Int64, "keep": pl.Boolean}
        )
        for r in range(self.plan.input_tasks):
            part = by_rank.get((r,), empty).select("idx", "cluster_id", "cluster_size", "keep")
            save_parquet(self.plan.decisions(r), part.to_arrow())


class DuplicateClusterAnnotator(PipelineStep):
    """Every document gets its cluster id and size (its own id and 1 when unique); copies that
    did not survive are marked for the decision filter."""

    name = "dedup cluster annotator"
    type = "📊 - SCORER"

    def __init__(self, plan: DedupPlan, id_key: str | None, size_key: str, reason: str):
        super().__init__()
        self.plan, self.id_key, self.size_key, self.reason = plan, id_key, size_key, reason

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        path = self.plan.decisions(rank)
        table = pl.read_parquet(path) if os.path.exists(path) else None
        decided = {row[0]: row[1:] for row in table.iter_rows()} if table is not None else {}
        for doc in data:
            cid, size, keep = decided.get(doc.metadata[IDX], (doc.id, 1, True))
            if self.id_key:
                doc.metadata[self.id_key] = cid
            doc.metadata[self.size_key] = size
            if not keep:
                doc.metadata[KEEP], doc.metadata[REASON] = False, self.reason
            yield doc
