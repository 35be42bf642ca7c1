"""Language-aware text units (words, lines, paragraphs, sentences), computed once per document.

Every heuristic family reads its units from here, so a document is tokenised once however many
rules look at it. English words come from a regex that splits like spaCy's blank English
tokenizer (the one datatrove's Gopher/FineWeb filters use) at a fraction of its cost; Chinese
words come from jieba's dictionary-only segmentation (never from whitespace), run by rjieba's native
code where it is installed. Units are cached in the private metadata key
``_units`` and recomputed only when the text changed (a formatter rewrote it).
"""

from __future__ import annotations

import functools

import re
from functools import cached_property

from datatrove.data import Document

from corpus.core import vocab

UNITS_KEY = "_units"  # private: travels with the document inside a pipeline, never written
HAN_LANGS = ("zh",)

_EN_WORD = re.compile(
    r"""
    https?://\S+?(?=[,.;:!?)\]"']*(?:\s|$))   # a URL, minus the punctuation that ends it
  | (?:[A-Za-z]{1,2}\.){2,} | \b[A-Z]\.(?=\s)       # U.S.  e.g.  initials
  | \b(?:Mr|Mrs|Ms|Dr|Prof|St|Jr|Sr|Inc|Ltd|Co|Corp|vs|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|No|Gov)\.
  | \d+(?:[.,/:–]\d+)+[a-z]*                  # 10.50  1/2  12:30  2–3  7:00pm
  | [^\W_]+(?=n['’]t\b) | n['’]t\b           # do | n't
  | ['’](?:s|re|ve|ll|d|m)\b                  # 's 're ...
  | (?:@|(?<!\S)--?(?=[a-z]))?\w+(?:\.[a-z0-9]+|(?<=[^\W\d_])-\d+|[/=][\d.]+|&[A-Z]+|'[A-Z][a-z]+|(?<=\d)\.[A-Za-z]\w*)*[+~]?
      # words as spaCy keeps them: example.com robots.txt iana-02 a_b @user --flag S&P Disney+
  | _+ | \|(?:-+\|)+ | \): | \.\.+ | --+ | [^\w\s]
""",
    re.X,
)
_PARAGRAPH_SPLIT = re.compile(r"\n{2,}")
_LINE_RUNS = re.compile(r"\n+")
_ABBREV = r"\b(?:Mr|Mrs|Ms|Dr|Prof|St|Jr|Sr|Inc|Ltd|Co|Corp|vs|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|No)\."
# sentence ends. English: a lone . ! ? (closing quotes allowed) before a space or the line end,
# never an ellipsis or an abbreviation (group 1 set only for real ends). Chinese: full-width
# terminal punctuation, which needs no following space.
_EN_SENT_END = re.compile(
    _ABBREV + r"|\b[A-Z]\.|(?:[A-Za-z]{1,2}\.){2,}|\.{2,}|…+"
    r"|([.!?]+)[\"'”’)\]]*(?=\s|$)"
)
_ZH_SENT_END = re.compile(r"()[。！？!?]+[”’」』）)]*|\.(?=\s|$|[\u4e00-\u9fff])()")  # some sites end with "."
# Han ideographs: CJK unified, extension A and compatibility ideographs; the one definition
HAN_CLASS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
HAN = re.compile(f"[{HAN_CLASS}]")


def en_words(text: str) -> list[str]:
    return _EN_WORD.findall(text)


@functools.cache
def _segmenter():
    """Chosen on first use (a process that never sees Chinese imports neither): jieba's dictionary-only cut: rjieba's (jieba-rs, native code, the same dictionary and the same
    tokens on every Chinese text of the shared data: benchmarks/zh_segmentation_check.py) where it is
    installed, else jieba's own `lcut(text, HMM=False)`."""
    try:
        import rjieba
    except ImportError:
        import jieba

        return lambda text: jieba.lcut(text, HMM=False)
    return lambda text: rjieba.cut(text, hmm=False)


def zh_words(text: str) -> list[str]:
    # dictionary-only segmentation: the HMM pass that guesses unknown words costs 4-5x the time
    # and only merges characters of rare names, which moves word counts by a few percent
    return [w for w in _segmenter()(text) if not w.isspace()]


def is_han(lang: str | None) -> bool:
    return lang in HAN_LANGS


def count_sentences(line: str, lang: str | None = None) -> int:
    """Sentence count of one line: sentence ends, plus a trailing unterminated part."""
    line = line.strip()
    if not line:
        return 0
    pattern = _ZH_SENT_END if is_han(lang) else _EN_SENT_END
    count, last = 0, 0
    for m in pattern.finditer(line):
        if any(g is not None for g in m.groups()):
            count += 1
            last = m.end()
    return count + (1 if line[last:].strip() else 0)


def has_content(s: str) -> bool:
    """A line or paragraph with a letter or digit: lines of bare markup ("-", "|", "| |") that
    extraction leaves between list items and table cells repeat without repeating any text."""
    return any(c.isalnum() for c in s)


def split_sentences(line: str, lang: str | None) -> list[str]:
    """A Han line cut after each sentence end (a Chinese paragraph is one line holding many
    sentences); the unterminated rest, if any, is the last piece. Other languages: the line."""
    if not is_han(lang):
        return [line]
    pieces, last = [], 0
    for m in _ZH_SENT_END.finditer(line):
        pieces.append(line[last : m.end()])
        last = m.end()
    if line[last:].strip():
        pieces.append(line[last:])
    return pieces


def line_words(line: str, lang: str | None) -> int:
    """Words of one line without segmenting it: whitespace tokens, and for Han text about
    1.5 characters per jieba word (the mean measured on news and abstracts)."""
    if not is_han(lang):
        return len(line.split())
    han = len(HAN.findall(line))
    rest = len(HAN.sub(" ", line).split())
    return int(han / 1.5) + rest


class Units:
    """Lazily computed units of one text; each property is computed at most once."""

    def __init__(self, text: str, lang: str | None):
        self.text, self.lang = text, lang

    @cached_property
    def words(self) -> list[str]:
        return zh_words(self.text) if is_han(self.lang) else en_words(self.text)

    @cached_property
    def lines(self) -> list[str]:
        return self.text.splitlines()

    @cached_property
    def nonempty_lines(self) -> list[str]:
        return [ln for ln in self.text.split("\n") if ln.strip()]

    @cached_property
    def line_runs(self) -> list[str]:
        return _LINE_RUNS.split(self.text)

    @cached_property
    def paragraphs(self) -> list[str]:
        return _PARAGRAPH_SPLIT.split(self.text.strip())


def units_of(doc: Document) -> Units:
    cached = doc.metadata.get(UNITS_KEY)
    if cached is not None and cached.text is doc.text:
        return cached
    units = Units(doc.text, doc.metadata.get(vocab.LANG))
    doc.metadata[UNITS_KEY] = units
    return units
