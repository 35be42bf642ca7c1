"""Line-level rules: C4's line filter (Raffel et al. 2020) and FineWeb's quality rules (Penedo et al. 2024)."""

from __future__ import annotations

import re

from datatrove.utils.text import TERMINAL_PUNCTUATION

from corpus.core import vocab as v
from filters.heuristics.gopher import duplicates
from filters.units import Units, count_sentences, has_content, is_han, line_words, split_sentences

CITATION = re.compile(r"\[\d*]|\[edit]|\[citation needed]")
POLICY_PHRASES = ("terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies", "use cookies")
FINEWEB_STOP_CHARS = tuple(TERMINAL_PUNCTUATION)


def c4(u: Units, params: dict) -> dict:
    """C4's per-line pass, in C4's order; where C4 stops at the first lorem ipsum or curly
    bracket, this counts them all so the decision can be replayed from the counts.

    C4's unit is the line because English web text has a line per sentence or short paragraph.
    A Chinese paragraph is one line of many sentences, and a paragraph cut short (no 。 at its
    end) would lose every sentence in it: for Han text each sentence is a unit of its own."""
    end_punct, max_len, min_words = params["c4_end_punct"], params["c4_max_word_length"], params["c4_min_line_words"]
    policy = params.get("c4_policy_phrases", POLICY_PHRASES)
    lorem = curly = js = pol = kept = sentences = 0
    lines = u.lines
    units = [s for ln in lines for s in split_sentences(ln, u.lang)] if is_han(u.lang) else lines
    for raw in units:
        line = raw.strip()
        ws = line.split()
        if any(len(w) > max_len for w in ws):
            continue
        line = CITATION.sub("", line)
        if not line.endswith(end_punct) or line.endswith("..."):
            continue
        if line_words(line, u.lang) < min_words:
            continue
        low = line.lower()
        if "lorem ipsum" in low:
            lorem += 1
            continue
        if "javascript" in low:
            js += 1
            continue
        if "{" in line:
            curly += 1
            continue
        if any(p in low for p in policy):
            pol += 1
            continue
        sentences += count_sentences(line, u.lang)
        kept += 1
    return {
        v.C4_LOREM_IPSUM: lorem,
        v.C4_CURLY_BRACKET: curly,
        v.C4_SENTENCES: sentences,
        v.C4_KEPT_LINES_FRAC: kept / len(units) if units else 0.0,
        v.C4_JAVASCRIPT_LINES: js,
        v.C4_POLICY_LINES: pol,
    }


def fineweb(u: Units, params: dict) -> dict:
    lines, text = u.nonempty_lines, u.text
    if not lines:  # nothing but whitespace: every ratio at its worst, so the rules drop it
        return {
            v.FINEWEB_LINE_PUNCT_RATIO: 0.0,
            v.FINEWEB_SHORT_LINE_RATIO: 1.0,
            v.FINEWEB_CHAR_DUP_RATIO: 1.0,
            v.FINEWEB_NEWLINE_RATIO: float(text.count("\n")),
        }
    short = params["short_line_length"]
    non_newline = len(text) - text.count("\n")
    n_words = len(u.words)
    # a Chinese paragraph is one line of many sentences: there the unit is the sentence (as in c4)
    units = [s.strip() for ln in lines for s in split_sentences(ln, u.lang)] if is_han(u.lang) else lines
    return {
        v.FINEWEB_LINE_PUNCT_RATIO: sum(ln.endswith(FINEWEB_STOP_CHARS) for ln in units) / len(units),
        v.FINEWEB_SHORT_LINE_RATIO: sum(len(ln) <= short for ln in lines) / len(lines),
        v.FINEWEB_CHAR_DUP_RATIO: duplicates([ln for ln in lines if has_content(ln)])[1] / non_newline
        if non_newline
        else 0.0,
        v.FINEWEB_NEWLINE_RATIO: text.count("\n") / n_words if n_words else float(text.count("\n")),
    }
