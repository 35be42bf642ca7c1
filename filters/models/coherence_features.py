"""Segments of a document and the topical-drift features the coherence model reads.

A document is cut into paragraphs (when it has at least MIN_PARAGRAPHS of them) or else into
sentences; each segment becomes an IDF-weighted bag of content tokens (Latin words, Han
character bigrams) hashed into N_BUCKETS. Drift shows up as a boundary whose two sides share
little vocabulary, compared with how much the rest of the document shares.
"""

from __future__ import annotations

import functools
import math
import re
import zlib
from dataclasses import dataclass

import numpy as np

from filters.models.common import tokens
from filters.units import HAN

N_BUCKETS = 1 << 18
MIN_PARAGRAPHS = 4
MIN_SEGMENT_TOKENS = 15  # shorter pieces join the previous segment (titles, "Yes.")
STEM = 6
WINDOW = 2  # segments on each side of a boundary
_SENT_END = re.compile(r"[.!?。！？；;]+[\"'”’」』)）]*\s*|\n+")
_STOP = frozenset(
    "the and for are but not you all any can had her was one our out his has him how its may new now "
    "see two who did get let say she too use that with have this will your from they been were said "
    "each which their there what about would these other into than then them some could only also "
    "more such when where after over most very".split()
)
FEATURES = (
    "min_block_sim",
    "block_at_weakest",
    "mean_block_sim",
    "min_window_sim",
    "mean_window_sim",
    "min_adjacent_sim",
    "mean_adjacent_sim",
    "adjacent_minus_distant",
    "min_rest_sim",
    "min_over_mean",
    "zero_adjacent_frac",
    "log_segments",
    "log_tokens_per_segment",
)


@dataclass(frozen=True)
class TextSegment:
    start: int  # character offset in the document
    text: str


def segments(text: str) -> list[TextSegment]:
    paragraphs = _spans(text, re.compile(r"\n+"))
    spans = paragraphs if len(paragraphs) >= MIN_PARAGRAPHS else _spans(text, _SENT_END)
    merged: list[TextSegment] = []
    for seg in spans:
        if merged and len(tokens(seg.text)) < MIN_SEGMENT_TOKENS:
            prev = merged[-1]
            merged[-1] = TextSegment(prev.start, text[prev.start : seg.start + len(seg.text)])
        else:
            merged.append(seg)
    if len(merged) > 1 and len(tokens(merged[0].text)) < MIN_SEGMENT_TOKENS:  # a short first piece
        merged[:2] = [TextSegment(merged[0].start, text[merged[0].start : merged[1].start + len(merged[1].text)])]
    return merged


def _spans(text: str, boundary: re.Pattern) -> list[TextSegment]:
    out, pos = [], 0
    for m in boundary.finditer(text):
        _add(out, text, pos, m.end())
        pos = m.end()
    _add(out, text, pos, len(text))
    return out


def _add(out: list, text: str, a: int, b: int) -> None:
    piece = text[a:b]
    stripped = piece.strip()
    if stripped:
        out.append(TextSegment(a + piece.index(stripped[0]), stripped))


def content_terms(text: str) -> list[str]:
    toks = tokens(text, max_chars=100_000)
    han = [HAN.match(t) is not None for t in toks]
    # words cut to their first STEM letters: "lobsters" and "lobster" meet (a stemmer for free)
    terms = [t[:STEM] for t, h in zip(toks, han) if not h and len(t) > 2 and t.isalpha() and t not in _STOP]
    terms += [a + b for a, b, ha, hb in zip(toks, toks[1:], han, han[1:]) if ha and hb]
    return terms


@functools.lru_cache(maxsize=1 << 16)  # a document's terms repeat: a lookup is cheaper than the hash
def bucket(term: str) -> int:
    return zlib.crc32(term.encode("utf-8")) & (N_BUCKETS - 1)


BAND = 8  # pairs of segments up to 7 apart: the windows (2W - 1 apart at most) and the distant pairs
SLAB = 128  # segments per dense block of the term matrix: memory SLAB x (distinct terms of the document)


def _entries(segs: list[TextSegment]) -> tuple[np.ndarray, np.ndarray, int]:
    """(segment index, bucket) of every content term in document order, and the number of terms."""
    rows, cols = [], []
    for i, s in enumerate(segs):
        b = [bucket(t) for t in content_terms(s.text)]
        rows += [i] * len(b)
        cols += b
    return np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64), len(cols)


def _products(segs: list[TextSegment], idf: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, int]:
    """Dot products of the segments' IDF-weighted hashed bags v_i (sum of idf[bucket] over a segment's
    terms): band[i, o] = v_i . v_(i+o) for o < BAND (0 past the end), vt[i] = v_i . total, vl[i] = v_i .
    (v_0 + ... + v_(i-1)); the total's squared norm; the number of terms. The bags are dense rows over the
    document's distinct buckets, SLAB segments (plus the BAND - 1 after them) at a time."""
    n = len(segs)
    rows, cols, n_terms = _entries(segs)
    uniq, col = np.unique(cols, return_inverse=True)
    w = idf[cols].astype(np.float64)
    m = len(uniq)
    total = np.bincount(col, weights=w, minlength=m)
    band, vt, vl = np.zeros((n, BAND)), np.zeros(n), np.zeros(n)
    left = np.zeros(m)  # v_0 + ... + v_(start-1)
    bounds = np.searchsorted(rows, np.arange(n + 1))  # entries of segment i: bounds[i]:bounds[i + 1]
    for start in range(0, n, SLAB):
        stop, reach = min(n, start + SLAB), min(n, start + SLAB + BAND - 1)
        a, b = bounds[start], bounds[reach]
        slab = np.bincount((rows[a:b] - start) * m + col[a:b], weights=w[a:b], minlength=(reach - start) * m)
        slab = slab.reshape(reach - start, m)  # (h, m): segments start..reach-1
        gram = slab @ slab.T  # (h, h)
        h = stop - start
        for o in range(BAND):
            d = np.diagonal(gram, o)[:h]
            band[start : start + len(d), o] = d
        vt[start:stop] = slab[:h] @ total
        vl[start:stop] = slab[:h] @ left + np.tril(gram[:h, :h], -1).sum(axis=1)
        left += slab[:h].sum(axis=0)
    return band, vt, vl, float(total @ total), n_terms


def _cos(dot, na2, nb2):
    """Cosine from a dot product and two squared norms (arrays); 0 where a side is empty."""
    ok = (na2 > 1e-12) & (nb2 > 1e-12)
    return np.where(ok, dot / np.sqrt(np.where(ok, na2 * nb2, 1.0)), 0.0)


def _minus(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a - b, 0 within rounding of it: a part's dot with the rest of the document is a difference of two
    large sums, and parts that share nothing with the rest must tie at 0 (the weakest boundary is then the
    first of them, not rounding's pick)."""
    d = a - b
    return np.where(np.abs(d) <= 1e-9 * np.maximum(np.abs(a), np.abs(b)), 0.0, d)


def _window_sims(band: np.ndarray, n: int) -> np.ndarray:
    """(n - 1,): cosine of the WINDOW segments before each boundary i (1..n-1) with the WINDOW from it,
    their bags' dot products and squared norms summed from the band."""
    cut = np.arange(1, n)

    def dot(p: np.ndarray, q: np.ndarray) -> np.ndarray:  # v_p . v_q, p <= q, 0 where p or q is no segment
        ok = (p >= 0) & (q < n)
        return np.where(ok, band[np.where(ok, p, 0), np.where(ok, q - p, 0)], 0.0)

    left = [cut - x for x in range(1, WINDOW + 1)]
    right = [cut + y for y in range(WINDOW)]
    across = sum(dot(p, q) for p in left for q in right)
    na2 = sum(dot(np.minimum(p, p2), np.maximum(p, p2)) for p in left for p2 in left)
    nb2 = sum(dot(np.minimum(q, q2), np.maximum(q, q2)) for q in right for q2 in right)
    return _cos(across, na2, nb2)


def features(segs: list[TextSegment], idf: np.ndarray) -> tuple[np.ndarray, int, float] | None:
    """(feature vector, index of the weakest boundary's right segment, its window similarity);
    None for a document with fewer than two segments (nothing to compare)."""
    n = len(segs)
    if n < 2:
        return None
    band, vt, vl, tt, n_tokens = _products(segs, idf)
    vv = band[:, 0]
    window = _window_sims(band, n)
    # everything before each boundary against everything after it, and each segment against the rest
    ll = np.cumsum(vv + 2 * vl)[:-1]
    lt = np.cumsum(vt)[:-1]
    block = _cos(_minus(lt, ll), ll, tt - 2 * lt + ll)
    rest = _cos(_minus(vt, vv), vv, tt - 2 * vt + vv)
    adjacent = _cos(band[:-1, 1], vv[:-1], vv[1:])
    distant = np.concatenate([_cos(band[: n - o, o], vv[: n - o], vv[o:]) for o in range(2, min(n, BAND))] or [[]])
    weakest = int(np.argmin(window + block))
    mean_w = float(np.mean(window))
    mean_adj = float(np.mean(adjacent))
    f = [
        float(block.min()),
        float(block[weakest]),
        float(np.mean(block)),
        float(window.min()),
        mean_w,
        float(adjacent.min()),
        mean_adj,
        mean_adj - (float(np.mean(distant)) if len(distant) else mean_adj),
        float(rest.min()),
        float(window.min()) / (mean_w + 1e-6),
        float(np.count_nonzero(adjacent == 0.0)) / len(adjacent),
        math.log(n),
        math.log1p(n_tokens / n),
    ]
    return np.asarray(f, dtype=np.float64), weakest + 1, float(window[weakest])


def document_frequencies(docs: list[str]) -> np.ndarray:
    """IDF per bucket with segments as the 'documents' (drift is measured between segments)."""
    df = np.zeros(N_BUCKETS, dtype=np.float64)
    n = 0
    for d in docs:
        for s in segments(d):
            n += 1
            for b in {bucket(t) for t in content_terms(s.text)}:
                df[b] += 1
    return np.log((1 + n) / (1 + df)).astype(np.float32) + 1.0
