"""Exact document dedup: one record per document keyed by the hash of its normalised text."""

from __future__ import annotations

import numpy as np

from dedup.fuzzy import RECORD, star_edges
from dedup.hashing import hash_str, normalise_line
from dedup.layout import DedupPlan, doc_ref
from dedup.records import SpillWriter, load_shard, read_docs, save_npy
from dedup.steps import FileStep
from dedup.survivors import DocTable


class TextHashes(FileStep):
    name = "exact text hashes"

    def __init__(self, plan: DedupPlan, seed: int, survivor_key: tuple[str, ...]):
        super().__init__(plan)
        self.seed, self.survivor_key = seed, survivor_key

    def work(self, rank: int) -> None:
        spill = SpillWriter(self.plan, rank, RECORD)
        table = DocTable(self.survivor_key)
        keys, refs = [], []
        for idx, doc in read_docs(self.plan.files[rank]):
            table.add(idx, doc)
            keys.append(hash_str(normalise_line(doc.text), self.seed))
            refs.append(doc_ref(rank, idx))
        recs = np.zeros(len(keys), dtype=RECORD)
        recs["key"], recs["doc"] = keys, refs
        spill.add(recs)
        spill.flush()
        table.save(self.plan.doc_table(rank))


class ExactGroups(FileStep):
    name = "exact groups"

    def work(self, rank: int) -> None:
        recs = load_shard(self.plan, rank, RECORD)
        recs = recs[np.lexsort((recs["doc"], recs["key"]))]
        save_npy(self.plan.group_output(rank), star_edges(recs["key"], recs["doc"]))
