"""MinHash LSH: signatures (one task per input file), candidate pairs per hash shard.

Each document contributes one record per band (band key, document); documents that share a
band key in any band are candidates, optionally confirmed by the true Jaccard similarity of
their shingle sets (kept on disk by the signature step, memory-mapped by the pair step).
"""

from __future__ import annotations

import numpy as np

from corpus.core import vocab
from dedup.config import MinhashConfig
from dedup.hashing import batch_shingles, jaccard
from dedup.layout import DedupPlan, doc_ref
from dedup.minhash import MinHasher
from dedup.records import SpillWriter, group_starts, load_shard, read_docs, save_npy
from dedup.steps import FileStep
from dedup.survivors import DocTable

RECORD = np.dtype([("key", np.uint64), ("doc", np.uint64)])
BATCH = 256  # documents per signature batch


class MinhashSignatures(FileStep):
    name = "minhash signatures"

    def __init__(self, plan: DedupPlan, mcfg: MinhashConfig, seed: int, survivor_key: tuple[str, ...]):
        super().__init__(plan)
        self.mcfg, self.seed, self.survivor_key = mcfg, seed, survivor_key

    def work(self, rank: int) -> None:
        hasher = MinHasher(self.mcfg.bands, self.mcfg.rows, self.seed)
        spill = SpillWriter(self.plan, rank, RECORD)
        table = DocTable(self.survivor_key)
        sets: list[tuple[np.ndarray, np.ndarray]] = []  # (hashes, owner) per batch, kept for verification
        batch: list = []
        for idx, doc in read_docs(self.plan.files[rank]):
            table.add(idx, doc)
            batch.append((idx, doc))
            if len(batch) == BATCH:
                sets.append(self._batch(hasher, spill, rank, batch))
                batch = []
            self.stat_update("documents")
        if batch:
            sets.append(self._batch(hasher, spill, rank, batch))
        spill.flush()
        table.save(self.plan.doc_table(rank))
        if self.mcfg.verify:
            flat = np.concatenate([h for h, _ in sets]) if sets else np.zeros(0, dtype=np.uint64)
            owner = np.concatenate([o for _, o in sets]) if sets else np.zeros(0, dtype=np.int64)
            offsets = np.searchsorted(owner, np.arange(table.count + 1))  # owner is the row, ascending
            save_npy(self.plan.shingle_offsets(rank), offsets)
            save_npy(self.plan.shingles_file(rank), flat)

    def _batch(self, hasher: MinHasher, spill: SpillWriter, rank: int, batch: list) -> tuple[np.ndarray, np.ndarray]:
        """Shingles, signatures and band records of a batch; returns its shingles keyed by row."""
        with self.track_time("batch"):
            groups: dict = {}
            for i, (_, doc) in enumerate(batch):  # documents shingled alike are hashed together
                groups.setdefault(self.mcfg.shingling_for(doc.metadata.get(vocab.LANG)), []).append(i)
            hs, os_ = [], []
            for sh, members in groups.items():
                h, o = batch_shingles([batch[i][1].text for i in members], sh)
                hs.append(h)
                os_.append(np.asarray(members, dtype=np.int64)[o])
            h, o = np.concatenate(hs), np.concatenate(os_)
            order = np.argsort(o, kind="stable")  # (M,) back in batch order; hashes stay sorted per document
            h, o = h[order], o[order]
            keys = hasher.band_keys(hasher.signatures_flat(h, o, len(batch)))  # (B, bands)
            rows = np.array([idx for idx, _ in batch], dtype=np.int64)
            has = np.bincount(o, minlength=len(batch)) > 0  # a document without shingles is never a candidate
            recs = np.zeros(int(has.sum()) * hasher.bands, dtype=RECORD)
            recs["key"] = keys[has].ravel()
            recs["doc"] = np.repeat(doc_ref(rank, rows[has].astype(np.uint64)), hasher.bands)
            spill.add(recs)
        return h, rows[o]


def star_edges(keys: np.ndarray, docs: np.ndarray) -> np.ndarray:
    """(E, 2) pairs (first document of the group, other member) for runs of equal sorted keys."""
    starts = group_starts(keys)
    first = np.repeat(docs[starts], np.diff(starts, append=len(docs)))
    other = first != docs
    edges = np.stack([first[other], docs[other]], axis=1)
    return np.unique(edges, axis=0) if len(edges) else edges.reshape(0, 2)


class ShingleStore:
    """Shingle sets of any document, from the signature step's memory-mapped files."""

    def __init__(self, plan: DedupPlan):
        self.plan, self.open = plan, {}

    def get(self, ref: int) -> np.ndarray:
        rank, idx = ref >> 32, ref & 0xFFFFFFFF
        if rank not in self.open:
            self.open[rank] = (
                np.load(self.plan.shingles_file(rank), mmap_mode="r"),
                np.load(self.plan.shingle_offsets(rank), mmap_mode="r"),
            )
        flat, off = self.open[rank]
        return np.asarray(flat[off[idx] : off[idx + 1]])


class CandidatePairs(FileStep):
    """Per hash shard: documents sharing a band key become edges; verified when configured."""

    name = "minhash candidate pairs"

    def __init__(self, plan: DedupPlan, verify_threshold: float | None):
        super().__init__(plan)
        self.verify_threshold = verify_threshold

    def work(self, rank: int) -> None:
        recs = load_shard(self.plan, rank, RECORD)
        recs = recs[np.lexsort((recs["doc"], recs["key"]))]
        edges = star_edges(recs["key"], recs["doc"])
        self.stat_update("candidates", value=len(edges))
        if self.verify_threshold is not None and len(edges):
            store = ShingleStore(self.plan)
            ok = np.array(
                [jaccard(store.get(int(a)), store.get(int(b))) >= self.verify_threshold for a, b in edges], dtype=bool
            )
            edges = edges[ok]
        self.stat_update("edges", value=len(edges))
        save_npy(self.plan.group_output(rank), edges)
