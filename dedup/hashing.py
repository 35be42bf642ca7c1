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
SLOTS = np.array([(0xD6E8FEB86659FD93 + 2 * i * 0x9E3779B97F4A7C15) % 2**64 | 1 for i in range(64)], dtype=np.uint64)
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


def batch_tokens(texts: list[str], unit: str) -> tuple[np.ndarray, np.ndarray]:
    """(token hashes uint64, owning text index int64) of the normalised texts, in text order.

    The texts are joined with NUL (not a word character), so one pass of array operations
    tokenises a whole batch; a word is a maximal run of word characters.
    """
    cp = code_points("\x00".join(normalise(t).replace("\x00", " ") for t in texts))  # NUL only between texts
    owner = np.cumsum(cp == 0)  # (chars,) text index of each code point
    table = _word_char_table()
    # astral code points (CJK extensions, emoji) count as word characters
    mask = np.where(cp < 0x10000, table[np.minimum(cp, 0xFFFF)], True)
    idx = np.flatnonzero(mask)
    chars = mix64(cp[idx].astype(np.uint64) + U64(1))
    if unit == "char" or len(idx) == 0:
        return chars, owner[idx]
    starts = np.flatnonzero(np.diff(idx, prepend=-2) != 1)  # a gap in positions starts a word
    pos = np.arange(len(idx)) - np.repeat(starts, np.diff(starts, append=len(idx)))
    words = np.add.reduceat(chars + pos.astype(np.uint64) * _POS, starts)
    return mix64(words), owner[idx[starts]]


def batch_ngrams(tok: np.ndarray, owner: np.ndarray, n: int, n_texts: int) -> tuple[np.ndarray, np.ndarray]:
    """Hashes of every run of n consecutive tokens of one text; a text with fewer than n tokens
    is one shingle of all its tokens. Returns (shingle hashes, owner)."""
    counts = np.bincount(owner, minlength=n_texts)
    m = len(tok) - n + 1
    out_h, out_o = [], []
    if m > 0:
        acc = np.zeros(m, dtype=np.uint64)
        for j in range(n):  # (m,) += tok[j : j+m] * slot_j
            acc += tok[j : j + m] * SLOTS[j % 64]
        whole = owner[:m] == owner[n - 1 :]  # windows inside one text
        out_h.append(mix64(acc[whole]))
        out_o.append(owner[:m][whole])
    short = (counts > 0) & (counts < n)
    if short.any():
        sel = short[owner]
        first = np.concatenate([[0], np.cumsum(counts)])[owner[sel]]
        pos = np.flatnonzero(sel) - first  # position of each token inside its text
        vals = tok[sel] * SLOTS[pos % 64]
        starts = np.flatnonzero(pos == 0)
        out_h.append(mix64(np.add.reduceat(vals, starts)))
        out_o.append(owner[sel][starts])
    if not out_h:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    return np.concatenate(out_h), np.concatenate(out_o)


def batch_shingles(texts: list[str], sh: Shingling) -> tuple[np.ndarray, np.ndarray]:
    """Shingle sets of a batch as (hashes, owner): sorted by owner then hash, unique per text."""
    tok, owner = batch_tokens(texts, sh.unit)
    h, o = batch_ngrams(tok, owner, sh.n, len(texts))
    order = np.lexsort((h, o))
    h, o = h[order], o[order]
    keep = np.r_[True, (h[1:] != h[:-1]) | (o[1:] != o[:-1])] if len(h) else np.zeros(0, dtype=bool)
    return h[keep], o[keep]


def shingles(text: str, sh: Shingling) -> np.ndarray:
    """Sorted unique shingle hashes (the set whose Jaccard similarity dedup estimates)."""
    return batch_shingles([text], sh)[0]


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """True Jaccard similarity of two sorted unique hash arrays."""
    if len(a) == 0 and len(b) == 0:
        return 1.0
    inter = len(np.intersect1d(a, b, assume_unique=True))
    return inter / (len(a) + len(b) - inter)
