"""Training text in the shapes of web pages: home and landing pages composed from real headlines
(quality negatives with the shape of thin promotional text), and good text re-laid out as a web
article's lines (quality positives).

The web's poor pages that pass the heuristics are often a site's front page: a few menu labels, then
teasers (a headline, perhaps its first sentence, a call to action or a date), then a footer. Their
sentences are as clean as a news article's, so a model trained on tweets and SMS as negatives scores
them like articles. These pages carry the words of good news (the headlines and blurbs of a news set
whose full items are positives) in that shape, so the model learns the shape. The interface words come
from filters/data/web_interface.yaml.
"""

from __future__ import annotations

import random
import re
from functools import cache
from pathlib import Path

import yaml

INTERFACE = Path(__file__).resolve().parents[1] / "data" / "web_interface.yaml"
MAX_BLURB = 220  # characters: a teaser's blurb is its item's first sentence, or its start


@cache
def interface_words(lang: str) -> dict:
    words = yaml.safe_load(INTERFACE.read_text(encoding="utf-8")).get(lang)
    if not words:
        raise ValueError(f"no interface words for {lang!r} in {INTERFACE}")
    return words


def first_sentence(text: str) -> str:
    text = " ".join(text.replace("\\", " ").split())
    ends = [i for i in (text.find(p) for p in (". ", "! ", "? ")) if 30 < i < MAX_BLURB]
    return text[: min(ends) + 1] if ends else text[:MAX_BLURB]


def teaser_pages(items: list[tuple[str, str]], pages: int, lang: str, seed: int = 0) -> list[str]:
    """`pages` documents, one line each for: some menu labels (most pages), 4-10 teasers of (headline, blurb)
    items drawn at random, each with its blurb's first sentence (70%) and a call to action (50%) or a date
    (20%), and a footer (half the pages)."""
    if not items:
        return []
    words, rng = interface_words(lang), random.Random(seed)
    nav, actions, months = words["navigation"], words["actions"], words["months"]
    out = []
    for _ in range(pages):
        lines = rng.sample(nav, rng.randint(2, 6)) if rng.random() < 0.6 else []
        for _ in range(rng.randint(4, 10)):
            title, blurb = rng.choice(items)
            lines.append(title.split(" (")[0])  # AG News titles end in their agency: "(AP)"
            if blurb and rng.random() < 0.7:
                lines.append(first_sentence(blurb))
            r = rng.random()
            if r < 0.5:
                lines.append(rng.choice(actions))
            elif r < 0.7:
                lines.append(f"{rng.choice(months)} {rng.randint(1, 28)}, {rng.randint(2010, 2024)}")
        if rng.random() < 0.5:
            lines += [*rng.sample(nav, rng.randint(3, 8)), f"© {rng.randint(2010, 2024)} {words['rights']}"]
        out.append("\n".join(lines))
    return out


# a sentence (clause) ends after these marks: Han ones anywhere, ASCII ones before a space or a non-ASCII
# character (Chinese abstracts often use ASCII punctuation; "3.5" and "e.g." stay whole)
_SENTENCE_END = re.compile(r"(?<=[。！？])|(?<=[.!?])(?=[\s\u0080-\uffff])")
_CLAUSE_END = re.compile(r"(?<=[，；：])|(?<=[,;:])(?=[\s\u0080-\uffff])")


def _pieces(text: str, ends: re.Pattern) -> list[str]:
    return [s for s in (p.strip() for p in ends.split(text)) if s]


def _join(pieces: list[str]) -> str:
    """Pieces of one line: a space between Latin ones (the split took it), none after a Han mark."""
    out = pieces[0]
    for p in pieces[1:]:
        out += (" " if out[-1].isascii() and p[0].isascii() else "") + p
    return out


def relayout(text: str, rng: random.Random, clauses: bool) -> str:
    """`text` as a web article lays it out: a line for every 1-3 sentences, or with `clauses` a line for
    every clause (the short broken lines of many Chinese social-media and notice pages)."""
    parts, lines, i = _pieces(text, _SENTENCE_END), [], 0
    while i < len(parts):
        k = rng.randint(1, 3)
        lines.append(_join(parts[i : i + k]))
        i += k
    if clauses:
        lines = [c for line in lines for c in _pieces(line, _CLAUSE_END)]
    return "\n".join(lines)


def web_layout(texts: list[str], share: float, clauses: float = 0.0, seed: int = 0) -> list[str]:
    """`texts` with a `share` of them (drawn with `seed`) re-laid out by `relayout`, a `clauses` share of
    those a clause a line; the others unchanged. Positives that are one paragraph a line (reference
    abstracts, Wikipedia paragraphs) teach a model with line marks that any page of short lines is a
    listing; the same words in a web page's lines teach it that shape alone is not poor."""
    rng = random.Random(seed)
    return [relayout(t, rng, rng.random() < clauses) if rng.random() < share else t for t in texts]


def layout_spec(spec: dict, lang: str) -> dict:
    """A sources file's `layout` entry for `lang`, checked: web_layout's keyword arguments."""
    unknown = set(spec) - {"share", "clauses", "seed"}
    if unknown:
        raise ValueError(f"layout.{lang}: unknown keys {sorted(unknown)} (share, clauses, seed)")
    for key in ("share", "clauses"):
        value = spec.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise ValueError(f"layout.{lang}.{key} must be a number between 0 and 1, got {value!r}")
    if spec and "share" not in spec:
        raise ValueError(f"layout.{lang}: `share` is required")
    return {k: (int(v) if k == "seed" else float(v)) for k, v in spec.items()}
