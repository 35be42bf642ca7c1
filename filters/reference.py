"""Clean reference text as documents, for checking that rules spare good text.

WikiText-2 comes tokenised (spaces around punctuation, @-@ for in-word hyphens, <unk> for rare
words, ' = Title = ' headings): it is detokenised and each article becomes one document. The
Chinese FewCLUE files hold one abstract or passage per line: each line is one document.
"""

from __future__ import annotations

import gzip
import random
import re
from pathlib import Path

_AT = re.compile(r" @([-,.])@ ")
_SPACES = re.compile(r" {2,}")
_SPACE_BEFORE = re.compile(r" ([,.;:!?)\]}%]|'s\b|n't\b|'re\b|'ve\b|'ll\b|'d\b|'m\b)")
_SPACE_AFTER = re.compile(r"([(\[{$]) ")
_QUOTES = re.compile(r'" (.*?) "')
_HEADING = re.compile(r"^ ?((?:= )+)(.*?) (?:= ?)+$")  # " = Title = ", " = = Section = = "


def detokenise(line: str) -> str:
    line = _SPACES.sub(" ", line.replace("<unk>", ""))  # "<unk> <unk> ," leaves a run of spaces
    line = _AT.sub(r"\1", line)
    line = _SPACE_BEFORE.sub(r"\1", line)
    line = _SPACE_AFTER.sub(r"\1", line)
    line = _QUOTES.sub(r'"\1"', line)
    return line.strip()


def wikitext_articles(path: str | Path, sep: str = "\n\n", headings: bool = True) -> list[str]:
    """Articles (split at top-level '= Title =' headings), detokenised, paragraphs joined by `sep`;
    without `headings` the title and section heading lines are left out."""
    articles, current, after_blank = [], [], True
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for raw in f:
            # a heading follows a blank line; " = 1 rad / s and ... = " inside a paragraph run is
            # an equation that happens to look like one
            m = _HEADING.match(raw.rstrip("\n")) if after_blank else None
            after_blank = not raw.strip()
            if m and m.group(1) == "= ":
                if current:
                    articles.append(sep.join(current))
                current = [m.group(2)] if headings else []
            elif m:
                if headings:
                    current.append(m.group(2))
            elif raw.strip():
                current.append(detokenise(raw.strip()))
    if current:
        articles.append(sep.join(current))
    return articles


_LAST_END = re.compile(r"^.*[。！？!?][”’」』]?", re.S)


def uncut(line: str) -> str:
    if not line.endswith("..."):
        return line
    m = _LAST_END.match(line[:-3])
    return m.group(0) if m else ""


def lines(path: str | Path, n: int, seed: int = 0, per_doc: int = 1) -> list[str]:
    """n documents of `per_doc` randomly sampled lines each (one paragraph per line). A trailing
    '...' marks where the dataset cut a passage mid-sentence (ChID): the cut sentence is removed."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        rows = [uncut(ln.strip()) for ln in f if ln.strip()]
    rows = [r for r in rows if r]
    random.Random(seed).shuffle(rows)
    rows = rows[: n * per_doc]
    return ["\n".join(rows[i : i + per_doc]) for i in range(0, len(rows), per_doc)]
