"""Home and landing pages composed from real headlines: quality negatives with the shape of thin
promotional text.

The web's poor pages that pass the heuristics are often a site's front page: a few menu labels, then
teasers (a headline, perhaps its first sentence, a call to action or a date), then a footer. Their
sentences are as clean as a news article's, so a model trained on tweets and SMS as negatives scores
them like articles. These pages carry the words of good news (the headlines and blurbs of a news set
whose full items are positives) in that shape, so the model learns the shape. The interface words come
from filters/data/web_interface.yaml.
"""

from __future__ import annotations

import random
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
