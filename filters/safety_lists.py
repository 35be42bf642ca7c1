"""Word and URL lists for the safety scorer (filters/data/safety_terms.yaml or a user file)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

DEFAULT_LISTS = Path(__file__).parent / "data" / "safety_terms.yaml"


@dataclass(frozen=True)
class SafetyLists:
    latin: re.Pattern  # whole-word, case-insensitive
    han: re.Pattern  # substring
    urls: re.Pattern | None
    age_gates: re.Pattern | None  # the warnings adult sites put before their content

    @classmethod
    def load(cls, path: str | Path = "") -> "SafetyLists":
        spec = yaml.safe_load(Path(path or DEFAULT_LISTS).read_text(encoding="utf-8"))
        terms = [t.lower() for lang in spec.get("terms", {}).values() for group in lang.values() for t in group]
        latin = sorted({t for t in terms if t.isascii()}, key=len, reverse=True)
        han = sorted({t for t in terms if not t.isascii()}, key=len, reverse=True)
        urls = spec.get("url_patterns") or []
        gates = [g for lang in (spec.get("age_gates") or {}).values() for g in lang]
        return cls(
            re.compile(r"\b(" + "|".join(map(re.escape, latin)) + r")\b" if latin else r"(?!x)x"),
            re.compile("|".join(map(re.escape, han)) if han else r"(?!x)x"),
            re.compile("|".join(f"(?:{p})" for p in urls)) if urls else None,
            re.compile("|".join(f"(?:{g})" for g in gates), re.IGNORECASE) if gates else None,
        )

    def term_hits(self, text: str) -> int:
        """Distinct list terms in the text (a page repeating one word counts once)."""
        low = text.lower()
        return len(set(self.latin.findall(low)) | set(self.han.findall(low)))

    def age_gate(self, text: str) -> bool:
        return bool(self.age_gates and self.age_gates.search(text))

    def url_hit(self, url: str) -> bool:
        return bool(self.urls and url and self.urls.search(url.lower()))
