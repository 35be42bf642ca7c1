"""MinHash signatures and LSH band keys for batches of shingle sets, as array operations.

Permutation i maps a 64-bit shingle hash h to a_i * h + b_i (mod 2^64, a_i odd: a bijection);
the signature keeps the minimum per permutation. For a batch the shingles of all documents are
concatenated, permuted as one (shingles, permutations) matrix and reduced per document with
np.minimum.reduceat, so the per-document Python cost is a handful of calls.
"""

from __future__ import annotations

import numpy as np

from dedup.hashing import SLOTS, U64, mix64

EMPTY = np.iinfo(np.uint64).max  # signature of a document without shingles (never bucketed)
CHUNK = 8192  # shingles permuted at once: (8192, permutations) uint64 ~ 7 MB at 112


class MinHasher:
    def __init__(self, bands: int, rows: int, seed: int = 0):
        self.bands, self.rows = bands, rows
        rng = np.random.default_rng([seed, 0x6D696E68])
        p = bands * rows
        self.a = rng.integers(0, 2**63, size=p, dtype=np.uint64) * U64(2) + U64(1)  # (P,) odd
        self.b = rng.integers(0, 2**63, size=p, dtype=np.uint64) * U64(2)  # (P,)
        self.band_salt = mix64(np.arange(1, bands + 1, dtype=np.uint64) * U64(0x632BE59BD9B4E019))  # (bands,)

    @property
    def permutations(self) -> int:
        return len(self.a)

    def signatures(self, sets: list[np.ndarray]) -> np.ndarray:
        """(D, P) uint64 signatures of D shingle arrays."""
        lengths = [len(x) for x in sets]
        flat = np.concatenate(sets) if sets else np.zeros(0, dtype=np.uint64)
        return self.signatures_flat(flat, np.repeat(np.arange(len(sets)), lengths), len(sets))

    def signatures_flat(self, flat: np.ndarray, owner: np.ndarray, n_docs: int) -> np.ndarray:
        """(n_docs, P) signatures from shingles `flat` (M,) grouped by their document `owner` (M,)."""
        sig = np.full((n_docs, self.permutations), EMPTY, dtype=np.uint64)
        for s in range(0, len(flat), CHUNK):
            h, who = flat[s : s + CHUNK], owner[s : s + CHUNK]
            vals = h[:, None] * self.a[None, :] + self.b[None, :]  # (m, P)
            starts = np.flatnonzero(np.diff(who, prepend=-1))  # first row of each document in the chunk
            mins = np.minimum.reduceat(vals, starts, axis=0)  # (documents in chunk, P)
            docs = who[starts]
            sig[docs] = np.minimum(sig[docs], mins)
        return sig

    def band_keys(self, sig: np.ndarray) -> np.ndarray:
        """(D, bands) uint64: one hash per band of `rows` signature values, salted by band."""
        bands = sig.reshape(len(sig), self.bands, self.rows)  # (D, bands, rows)
        acc = np.zeros(bands.shape[:2], dtype=np.uint64)
        for j in range(self.rows):
            acc += bands[:, :, j] * SLOTS[j % 64]
        return mix64(acc ^ self.band_salt[None, :])
