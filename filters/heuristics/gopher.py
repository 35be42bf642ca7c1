"""Gopher quality and repetition signals (Rae et al. 2021, Table A1), over language-aware units."""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter

from datatrove.utils.text import PUNCTUATION_SET

from corpus.core import vocab as v
from filters.units import HAN, Units, has_content, is_han

BULLETS = ("•", "-")
ELLIPSES = ("...", "…")


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


def _has_letter(word: str) -> bool:
    return any(c.isalpha() for c in word)


def alpha_words(u: Units, content: list[str]) -> tuple[int, int]:
    """(words with a letter, words) for Gopher's "80% of words contain an alphabetic character".
    Gopher counts whitespace-separated words, so "6-2," is one word and stray punctuation is part
    of its neighbour. Chinese has no spaces: there the Han words are jieba's, and what lies
    between Han characters is split at whitespace as Gopher would ("2005-08-22" is one word,
    not the five pieces jieba makes of it)."""
    if not is_han(u.lang):
        words = u.text.split()
        return sum(map(_has_letter, words)), len(words)
    han = sum(1 for w in content if HAN.search(w))
    rest = [w for w in HAN.sub(" ", u.text).split() if not PUNCTUATION_SET.issuperset(w)]
    return han + sum(map(_has_letter, rest)), han + len(rest)


def quality(u: Units, params: dict) -> dict:
    words, text = u.words, u.text
    n = len(words)
    content = [w for w in words if not PUNCTUATION_SET.issuperset(w)]
    alpha, n_alpha = alpha_words(u, content)
    lines = u.lines
    return {
        v.GOPHER_WORD_COUNT: len(content),
        v.GOPHER_MEAN_WORD_LENGTH: _ratio(sum(map(len, content)), len(content)),
        v.GOPHER_HASH_RATIO: _ratio(text.count("#"), n),
        v.GOPHER_ELLIPSIS_RATIO: _ratio(text.count("...") + text.count("…"), n),
        v.GOPHER_BULLET_LINES_RATIO: _ratio(sum(ln.lstrip().startswith(BULLETS) for ln in lines), len(lines)),
        v.GOPHER_ELLIPSIS_LINES_RATIO: _ratio(sum(ln.rstrip().endswith(ELLIPSES) for ln in lines), len(lines)),
        v.GOPHER_ALPHA_WORDS_RATIO: _ratio(alpha, n_alpha),
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


def _top_ngram_chars(words: list[str], n: int, spaced: bool = True) -> int:
    """Characters covered by the most frequent n-gram, its words joined by single spaces where
    the language writes spaces (Chinese does not: the spaces would inflate short documents)."""
    grams = Counter(zip(*(words[i:] for i in range(n))))
    if not grams:
        return 0
    gram, count = grams.most_common(1)[0]
    return (sum(map(len, gram)) + (n - 1 if spaced else 0)) * count


def _dup_ngram_chars(
    words: list[str], cum: list[int], n: int, positions: list[int] | None = None
) -> tuple[int, list[int]]:
    """Characters (spaces excluded) in n-grams seen earlier, walking left to right and jumping
    past each repeat (Gopher's definition; positions jumped over are never 'seen').

    Equal to the plain walk, but only positions whose n-gram occurred before are visited in
    Python: for them, the earlier occurrence counts if a jump did not skip it. Also returns the
    positions whose n-gram occurs more than once: an (n+1)-gram can only repeat there, so the
    next n looks at those positions only.
    """
    last = len(words) - n + 1
    if positions is None:
        positions = range(max(last, 0))
        grams = list(zip(*(words[i:] for i in range(n))))
    else:
        positions = [i for i in positions if i < last]
        grams = [tuple(words[i : i + n]) for i in positions]
    first = {g: i for i, g in zip(reversed(positions), reversed(grams))}
    if len(first) == len(grams):
        return 0, []
    at = dict(zip(positions, grams))
    candidates = [i for i, g in zip(positions, grams) if first[g] != i]
    repeated = set(at[i] for i in candidates)
    group = [i for i, g in zip(positions, grams) if g in repeated]
    repeats: list[int] = []
    in_seen: dict = {}
    chars, idx = 0, 0
    for i in candidates:
        if i < idx:  # jumped over
            continue
        g = at[i]
        if g not in in_seen:
            f = first[g]
            k = bisect_left(repeats, f) - 1
            in_seen[g] = not (k >= 0 and repeats[k] < f < repeats[k] + n)
        if in_seen[g]:
            chars += cum[i + n] - cum[i]
            repeats.append(i)
            idx = i + n
        else:
            in_seen[g] = True
    return chars, group


def repetition(u: Units, params: dict) -> dict:
    text, words = u.text, u.words
    if is_han(u.lang):  # jieba makes every mark a word: "| |" table rules would repeat as n-grams
        words = [w for w in words if not PUNCTUATION_SET.issuperset(w)]
    size = len(text)
    paras, lines = [p for p in u.paragraphs if has_content(p)], [ln for ln in u.line_runs if has_content(ln)]
    p_dup, p_chars = duplicates(paras)
    l_dup, l_chars = duplicates(lines)
    out = {
        v.GOPHER_DUP_PARA_FRAC: _ratio(p_dup, len(paras)),
        v.GOPHER_DUP_PARA_CHAR_FRAC: _ratio(p_chars, size),
        v.GOPHER_DUP_LINE_FRAC: _ratio(l_dup, len(lines)),
        v.GOPHER_DUP_LINE_CHAR_FRAC: _ratio(l_chars, size),
    }
    for n, k in v.TOP_NGRAM_KEYS.items():
        out[k] = _ratio(_top_ngram_chars(words, n, not is_han(u.lang)), size) if len(words) >= n else None
    cum = [0]
    for w in map(len, words):
        cum.append(cum[-1] + w)
    group = None
    for n, k in v.DUP_NGRAM_KEYS.items():  # ascending n: an (n+1)-gram repeats only where its n-gram does
        chars, group = _dup_ngram_chars(words, cum, n, group) if group != [] else (0, [])
        out[k] = _ratio(chars, size)
    return out
