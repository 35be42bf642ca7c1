"""Link lists in extracted text: the "hot news" / "recommended" / "related" blocks of headlines that
trafilatura keeps in (mostly at the end of) a news page's main text, found from the page's anchors.

A line of the extracted text is a *link line* when more than half of its visible characters are anchor
text of the page (the `<a>` texts of the parsed tree, whitespace collapsed, matched as substrings,
longest first, without overlaps). A *run* starts at a link line and goes on over link lines and short
lines (at most SHORT visible characters: the ranks, dates, times, counts, authors and tab labels
printed beside or between the headlines) up to its last link line; the short heading line just
before it ("为您推荐", "Related articles") belongs to it. A run of at least MIN_LINES link lines is
removed. Prose that holds a link is not a link line (its link text is a minority); a title, a byline
or a sentence whose phrases are linked is a line or two, not a list.

A text whose runs hold more than MAX_SHARE of its visible characters is left whole: it is a page of links
(a list page, a portal, a spam page whose payload is its link dump) rather than an article with a list
after it, and the page_type, quality and safety stages judge such a page on what it shows. Removing the
lists there hid link-dump spam from the safety terms and the line rules (benchmarks.retention's CC zh spam
set) and left single-item articles that Gopher's bullet-line rule drops (guancha); no gold page changes.
"""

from __future__ import annotations

import re

MIN_LINES = 3  # link lines in a run: one or two are a title, a byline, a "read more", a heavily linked sentence
SHORT = 20  # visible characters of a line allowed between the link lines of a run (dates, counts, names)
MIN_ANCHOR = 2  # visible characters of an anchor text that is matched (single digits and letters match anywhere)
MAX_SHARE = 0.5  # a text whose link lists are more than this share of its visible characters is left whole
_BULLET = re.compile(r"^(?:[-*•·]\s+)+")  # trafilatura's "- " before a list item
_INVISIBLE = re.compile(r"[\s|]")  # whitespace and the cell separators of Markdown table rows
_SENTENCE_END = tuple('。！？.!?；;…”"')  # a line ending so is prose, not a heading


def anchor_texts(tree) -> set[str]:
    """The page's `<a>` texts, whitespace collapsed, those of at least MIN_ANCHOR visible characters.
    Reads the tree without changing it."""
    if tree is None:
        return set()
    out = set()
    for a in tree.iter("a"):
        text = " ".join("".join(a.itertext()).split())
        if len(text.replace(" ", "")) >= MIN_ANCHOR:
            out.add(text)
    return out


def _visible(s: str) -> int:
    return len(_INVISIBLE.sub("", s))


def _link_chars(body: str, anchors: list[str]) -> int:
    """Visible characters of `body` covered by anchor texts, longest anchors first, an occurrence counted
    only where it overlaps none already counted."""
    covered = [False] * len(body)
    chars = 0
    for a in anchors:
        start = body.find(a)
        while start >= 0:
            end = start + len(a)
            if not any(covered[start:end]):
                covered[start:end] = [True] * len(a)
                chars += _visible(a)
            start = body.find(a, end)
    return chars


def strip_link_lists(text: str, anchors: set[str]) -> tuple[str, str]:
    """`text` without its link-list runs, and the lines removed ("": `text` itself)."""
    if not text or not anchors:
        return text, ""
    lines = text.split("\n")
    bodies = [_BULLET.sub("", " ".join(line.split())) for line in lines]
    flat = "\n".join(bodies)
    present = sorted((a for a in anchors if a in flat), key=len, reverse=True)
    if not present:
        return text, ""
    visible = [_visible(b) for b in bodies]
    link = [False] * len(lines)
    for i, body in enumerate(bodies):
        if visible[i]:
            mine = [a for a in present if a in body]
            link[i] = bool(mine) and 2 * _link_chars(body, mine) > visible[i]
    drop = [False] * len(lines)
    i = 0
    while i < len(lines):
        if not link[i]:
            i += 1
            continue
        last, j, count = i, i + 1, 1
        while j < len(lines) and (link[j] or visible[j] <= SHORT):
            if link[j]:
                last, count = j, count + 1
            j += 1
        if count >= MIN_LINES:
            first = i
            if i > 0 and 0 < visible[i - 1] <= SHORT and not bodies[i - 1].endswith(_SENTENCE_END):
                first = i - 1  # the list's heading
            drop[first : last + 1] = [True] * (last + 1 - first)
        i = last + 1
    removed = sum(v for d, v in zip(drop, visible) if d)
    if not removed or removed > MAX_SHARE * sum(visible):
        return text, ""
    kept = "\n".join(line for line, d in zip(lines, drop) if not d)
    return kept, "\n".join(line for line, d in zip(lines, drop) if d)
