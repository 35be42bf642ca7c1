"""Rule-based correction (a formatter: it rewrites text). Drops boilerplate lines (cookie
notices, share buttons, breadcrumbs, C4-style javascript notices) and normalises whitespace.

Full-width punctuation and the ideographic space inside a line are left as they are: only
runs of ASCII spaces/tabs are collapsed, line ends are stripped, and blank-line runs shortened.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml
from datatrove.data import Document

from corpus.core import vocab
from corpus.core.steps import Formatter, Stage, StageContext

DATA = Path(__file__).resolve().parent / "data" / "boilerplate.yaml"
_SPACES = re.compile(r"[ \t\u00a0]{2,}|\t")
_BLANKS = re.compile(r"\n{3,}")


@lru_cache(maxsize=2)
def load_patterns(path: str) -> tuple[int, dict[str, re.Pattern]]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    pats = {lang: re.compile("|".join(f"(?:{p})" for p in ps), re.IGNORECASE) for lang, ps in data["patterns"].items()}
    return int(data["max_line_chars"]), pats


def normalise_whitespace(text: str) -> str:
    lines = [_SPACES.sub(" ", ln).strip(" \t\r\u00a0") for ln in text.split("\n")]
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip("\n")


def remove_boilerplate(text: str, path: str = str(DATA)) -> tuple[str, int]:
    """(text without boilerplate lines, lines removed); patterns of every language apply, since
    pages mix languages in their navigation."""
    max_chars, pats = load_patterns(path)
    kept, removed = [], 0
    for line in text.split("\n"):
        s = line.strip()
        if s and len(s) <= max_chars and any(p.search(s) for p in pats.values()):
            removed += 1
            continue
        kept.append(line)
    return "\n".join(kept), removed


class CorrectionFormatter(Formatter):
    """Rewrites text: boilerplate lines out, whitespace normalised; counts what it removed."""

    name = "correction (rewrites text)"

    def __init__(self, patterns: str = ""):
        super().__init__()
        self.patterns = patterns or str(DATA)

    def rewrite(self, doc: Document) -> None:
        before = len(doc.text)
        text, removed = remove_boilerplate(doc.text, self.patterns)
        doc.text = normalise_whitespace(text)
        doc.metadata[vocab.CORRECTION_LINES_REMOVED] = removed
        doc.metadata[vocab.CORRECTION_CHARS_REMOVED] = before - len(doc.text)


def correction_steps(cfg, ctx: StageContext) -> list:
    return [CorrectionFormatter()]


STAGES = (Stage(vocab.CORRECTION, correction_steps),)
