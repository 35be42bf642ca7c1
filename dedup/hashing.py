"""Vectorised 64-bit hashing of text into shingles (numpy; no per-character Python work).

A text becomes an array of code points (UTF-32), a word-character mask splits it into
tokens (words, or single characters for Han text), and n consecutive token hashes combine into
one shingle hash. Every step is an array operation, so a document costs a few numpy calls.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

import numpy as np
import xxhash

from dedup.config import Shingling

U64 = np.uint64
# distinct odd multipliers: token position inside a word, token slot inside an n-gram
_POS = U64(0x9E3779B97F4A7C15)
_SLOT = np.array([(0xD6E8FEB86659FD93 + 2 * i * 0x9E3779B97F4A7C15) % 2**64 | 1 for i in range(64)], dtype=np.uint64)
_SPACES = re.compile(r"\s+")


def mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: a bijection of uint64 that spreads every input bit over the output."""
    x = x ^ (x >> U64(30))
    x = x * U64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> U64(27))
    x = x * U64(0x94D049BB133111EB)
    return x ^ (x >> U64(31))


@cache
def _word_char_table() -> np.ndarray:
    """Basic Multilingual Plane lookup: is the code point part of a word (\\w)?"""
    return np.array([chr(c).isalnum() or c == 0x5F for c in range(0x10000)], dtype=bool)


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def normalise_line(line: str) -> str:
    return _SPACES.sub(" ", normalise(line)).strip()


def hash_str(s: str, seed: int = 0) -> int:
    return xxhash.xxh64_intdigest(s.encode("utf-8"), seed=seed)


def code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


def tokens(text: str, unit: str) -> np.ndarray:
    """Token hashes (uint64) of the normalised text: words, or word characters one by one."""
    cp = code_points(normalise(text))
    table = _word_char_table()
    # astral code points (CJK extensions, emoji) count as word characters
    mask = np.where(cp < 0x10000, table[np.minimum(cp, 0xFFFF)], True)
    chars = cp[mask].astype(np.uint64)
    if unit == "char" or len(chars) == 0:
        return mix64(chars + U64(1))
    idx = np.flatnonzero(mask)
    starts = np.flatnonzero(np.diff(idx, prepend=-2) != 1)  # a gap in positions starts a word
    pos = np.arange(len(idx)) - np.repeat(starts, np.diff(starts, append=len(idx)))
    vals = mix64(chars + U64(1)) + pos.astype(np.uint64) * _POS
    return mix64(np.add.reduceat(vals, starts))


def ngram_hashes(tok: np.ndarray, n: int) -> np.ndarray:
    """Hashes of every run of n consecutive tokens; a text shorter than n is one shingle."""
    if len(tok) == 0:
        return tok
    n = min(n, len(tok))
    m = len(tok) - n + 1
    acc = np.zeros(m, dtype=np.uint64)
    for j in range(n):  # (m,) += tok[j : j+m] * slot_j
        acc += tok[j: j + m] * _SLOT[j % 64]
    return mix64(acc)


def shingles(text: str, sh: Shingling) -> np.ndarray:
    """Sorted unique shingle hashes (the set whose Jaccard similarity dedup estimates)."""
    return np.unique(ngram_hashes(tokens(text, sh.unit), sh.n))


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """True Jaccard similarity of two sorted unique hash arrays."""
    if len(a) == 0 and len(b) == 0:
        return 1.0
    inter = len(np.intersect1d(a, b, assume_unique=True))
    return inter / (len(a) + len(b) - inter)
