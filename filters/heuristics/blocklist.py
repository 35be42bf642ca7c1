"""Word blocklists per language (adult, gambling, ...): counts of listed terms as signals.

Default lists live in filters/data/blocklist/<lang>.txt (one term per line, '#' comments);
users add their own files through heuristics.blocklists. Latin-script terms match on word
boundaries, case-insensitively; Han terms match as substrings (there are no word boundaries).
"""

from __future__ import annotations

import re
from pathlib import Path

from corpus.core import vocab as v
from corpus.core.files import read_list
from filters.units import Units, is_han

DEFAULT_DIR = Path(__file__).resolve().parents[1] / "data" / "blocklist"


def read_terms(paths: list[str]) -> list[str]:
    terms = {t for p in paths for t in read_list(p)}
    return sorted(terms, key=lambda t: (-len(t), t))  # longest first: the alternation prefers it


def compile_terms(terms: list[str], lang: str | None) -> re.Pattern | None:
    if not terms:
        return None
    alt = "|".join(re.escape(t) for t in terms)
    return re.compile(alt if is_han(lang) else rf"(?<!\w)(?:{alt})(?!\w)", re.IGNORECASE)


def blocklist(u: Units, params: dict) -> dict:
    pattern = params.get("blocklist_pattern")
    if pattern is None:
        return {}
    hits = [m.lower() for m in pattern.findall(u.text)]
    words = len(u.words)
    return {
        v.BLOCKLIST_HITS: len(hits),
        v.BLOCKLIST_DISTINCT: len(set(hits)),
        v.BLOCKLIST_HITS_PER_KWORD: 1000.0 * len(hits) / words if words else 0.0,
    }
