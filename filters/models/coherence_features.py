"""Segments of a document and the topical-drift features the coherence model reads.

A document is cut into paragraphs (when it has at least MIN_PARAGRAPHS of them) or else into
sentences; each segment becomes an IDF-weighted bag of content tokens (Latin words, Han
character bigrams) hashed into N_BUCKETS. Drift shows up as a boundary whose two sides share
little vocabulary, compared with how much the rest of the document shares.
"""

from __future__ import annotations

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
    # words cut to their first STEM letters: "lobsters" and "lobster" meet (a stemmer for free)
    terms = [t[:STEM] for t in toks if len(t) > 2 and t.isalpha() and not HAN.match(t) and t not in _STOP]
    terms += [a + b for a, b in zip(toks, toks[1:]) if HAN.match(a) and HAN.match(b)]
    return terms


def bucket(term: str) -> int:
    return zlib.crc32(term.encode("utf-8")) & (N_BUCKETS - 1)


def seg_vectors(segs: list[TextSegment], idf: np.ndarray) -> tuple[list[dict[int, float]], int]:
    """IDF-weighted hashed bags, one per segment, and the number of content terms seen."""
    vecs, n_terms = [], 0
    for s in segs:
        v: dict[int, float] = {}
        terms = content_terms(s.text)
        n_terms += len(terms)
        for t in terms:
            b = bucket(t)
            v[b] = v.get(b, 0.0) + float(idf[b])
        vecs.append(v)
    return vecs, n_terms


def _add_vecs(vs: list[dict]) -> dict:
    out: dict[int, float] = {}
    for v in vs:
        for k, x in v.items():
            out[k] = out.get(k, 0.0) + x
    return out


def cosine(a: dict, b: dict) -> float:
    if not a or not b:
        return 0.0
    if len(a) > len(b):
        a, b = b, a
    dot = sum(x * b.get(k, 0.0) for k, x in a.items())
    na = math.sqrt(sum(x * x for x in a.values()))
    nb = math.sqrt(sum(x * x for x in b.values()))
    return dot / (na * nb) if na and nb else 0.0


def features(segs: list[TextSegment], idf: np.ndarray) -> tuple[np.ndarray, int, float] | None:
    """(feature vector, index of the weakest boundary's right segment, its window similarity);
    None for a document with fewer than two segments (nothing to compare)."""
    n = len(segs)
    if n < 2:
        return None
    vecs, n_tokens = seg_vectors(segs, idf)
    window = [cosine(_add_vecs(vecs[max(0, i - WINDOW) : i]), _add_vecs(vecs[i : i + WINDOW])) for i in range(1, n)]
    total = _add_vecs(vecs)
    block, rest = _split_sims(vecs, total)
    adjacent = [cosine(vecs[i - 1], vecs[i]) for i in range(1, n)]
    distant = [cosine(vecs[i], vecs[j]) for i in range(n) for j in range(i + 2, min(n, i + 8))]
    weakest = int(np.argmin(np.asarray(window) + np.asarray(block)))
    mean_w = float(np.mean(window))
    f = [
        min(block),
        block[weakest],
        float(np.mean(block)),
        min(window),
        mean_w,
        min(adjacent),
        float(np.mean(adjacent)),
        float(np.mean(adjacent)) - (float(np.mean(distant)) if distant else float(np.mean(adjacent))),
        min(rest),
        min(window) / (mean_w + 1e-6),
        sum(a == 0.0 for a in adjacent) / len(adjacent),
        math.log(n),
        math.log1p(n_tokens / n),
    ]
    return np.asarray(f, dtype=np.float64), weakest + 1, window[weakest]


def _dot(a: dict, b: dict) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(x * b.get(k, 0.0) for k, x in a.items())


def _split_sims(vecs: list[dict], total: dict) -> tuple[list[float], list[float]]:
    """(block, rest): similarity of everything before each boundary with everything after it (a
    splice shows as one boundary whose sides share almost nothing), and of each segment with the
    rest of the document. Norms come from running dot products: O(terms), not O(segments x vocabulary)."""
    tt = _dot(total, total)
    block, left, lt, ll = [], {}, 0.0, 0.0  # left block, <left, total>, <left, left>
    for v in vecs[:-1]:
        ll += 2 * _dot(left, v) + _dot(v, v)
        lt += _dot(v, total)
        for k, x in v.items():
            left[k] = left.get(k, 0.0) + x
        block.append(_cos(lt - ll, ll, tt - 2 * lt + ll))
    rest = []
    for v in vecs:
        vt, vv = _dot(v, total), _dot(v, v)
        rest.append(_cos(vt - vv, vv, tt - 2 * vt + vv))
    return block, rest


def _cos(dot: float, na2: float, nb2: float) -> float:
    return dot / math.sqrt(na2 * nb2) if na2 > 1e-12 and nb2 > 1e-12 else 0.0


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
