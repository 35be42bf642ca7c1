"""Gopher quality and repetition signals (Rae et al. 2021, Table A1), over language-aware units."""

from __future__ import annotations

from collections import Counter

from datatrove.utils.text import PUNCTUATION_SET

from corpus import vocab as v
from filters.units import Units

BULLETS = ("•", "-")
ELLIPSES = ("...", "…")


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


def quality(u: Units, params: dict) -> dict:
    words, text = u.words, u.text
    n = len(words)
    content = [w for w in words if not PUNCTUATION_SET.issuperset(w)]
    alpha = sum(1 for w in words if w.isalpha() or any(c.isalpha() for c in w))
    lines = u.lines
    return {
        v.GOPHER_WORD_COUNT: len(content),
        v.GOPHER_MEAN_WORD_LENGTH: _ratio(sum(map(len, content)), len(content)),
        v.GOPHER_HASH_RATIO: _ratio(text.count("#"), n),
        v.GOPHER_ELLIPSIS_RATIO: _ratio(text.count("...") + text.count("…"), n),
        v.GOPHER_BULLET_LINES_RATIO: _ratio(sum(ln.lstrip().startswith(BULLETS) for ln in lines), len(lines)),
        v.GOPHER_ELLIPSIS_LINES_RATIO: _ratio(sum(ln.rstrip().endswith(ELLIPSES) for ln in lines), len(lines)),
        v.GOPHER_ALPHA_WORDS_RATIO: _ratio(alpha, n),
        v.GOPHER_STOP_WORDS: len(params["stop_words_set"].intersection(words)),
    }


def duplicates(items: list[str]) -> tuple[int, int]:
    """(repeated elements, their characters), counting every occurrence after the first."""
    seen, n_dup, chars = set(), 0, 0
    for x in items:
        if x in seen:
            n_dup += 1
            chars += len(x)
        else:
            seen.add(x)
    return n_dup, chars


def _top_ngram_chars(words: list[str], n: int) -> int:
    """Characters covered by the most frequent n-gram, its words joined by single spaces."""
    grams = Counter(zip(*(words[i:] for i in range(n))))
    if not grams:
        return 0
    gram, count = grams.most_common(1)[0]
    return (sum(map(len, gram)) + n - 1) * count


def _dup_ngram_chars(words: list[str], cum: list[int], n: int) -> int:
    """Characters (spaces excluded) in n-grams seen earlier, skipping past each repeat."""
    grams = list(zip(*(words[i:] for i in range(n))))
    seen, chars, idx, last = set(), 0, 0, len(grams)
    while idx < last:
        g = grams[idx]
        if g in seen:
            chars += cum[idx + n] - cum[idx]
            idx += n
        else:
            seen.add(g)
            idx += 1
    return chars


def repetition(u: Units, params: dict) -> dict:
    text, words = u.text, u.words
    size = len(text)
    paras, lines = u.paragraphs, u.line_runs
    p_dup, p_chars = duplicates(paras)
    l_dup, l_chars = duplicates(lines)
    out = {
        v.GOPHER_DUP_PARA_FRAC: _ratio(p_dup, len(paras)),
        v.GOPHER_DUP_PARA_CHAR_FRAC: _ratio(p_chars, size),
        v.GOPHER_DUP_LINE_FRAC: _ratio(l_dup, len(lines)),
        v.GOPHER_DUP_LINE_CHAR_FRAC: _ratio(l_chars, size),
    }
    for n, k in v.TOP_NGRAM_KEYS.items():
        out[k] = _ratio(_top_ngram_chars(words, n), size) if len(words) >= n else None
    cum = [0]
    for w in u.word_lengths:
        cum.append(cum[-1] + w)
    for n, k in v.DUP_NGRAM_KEYS.items():
        out[k] = _ratio(_dup_ngram_chars(words, cum, n), size)
    return out
