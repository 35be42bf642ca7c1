"""Which crawl-sample documents the cascade's rules reject: the quality model's crawl negatives.

A crawl sample is not junk as a whole (it holds news, blogs and essays too), so only what the
heuristic families or the safety word lists reject counts as a negative; the rest stays
unlabelled and is used only to report how much of the crawl each model would remove. The
rules are run here, with the default thresholds, whatever stages built the sample.
"""

from __future__ import annotations

from datatrove.data import Document

from corpus.core import vocab
from corpus.core.steps import rules_for
from filters.config import HeuristicsConfig
from filters.heuristics.params import default_rules
from filters.heuristics.steps import FAMILIES, HeuristicScorer
from filters.safety_lists import SafetyLists

MAX_TERM_HITS = 2  # filters/data/scorers.yaml: safety_term_hits max


def rejection_reasons(texts: list[str], urls: list[str], lang: str) -> list[str | None]:
    """Per document: the reason code of the first rule that fires, or None when none does."""
    hc = HeuristicsConfig()
    scorer = HeuristicScorer(tuple(FAMILIES), hc)
    rules = [r for fam in FAMILIES for r in rules_for(default_rules(hc, fam), lang)]
    lists = SafetyLists.load()
    out = []
    for text, url in zip(texts, urls):
        doc = Document(text=text, id=url or "", metadata={vocab.LANG: lang})
        signals = scorer.score(doc)
        reason = next((r.reason for r in rules if r.fires(signals.get(r.key))), None)
        if reason is None and lists.term_hits(text) > MAX_TERM_HITS:
            reason = vocab.R_UNSAFE_TERMS
        if reason is None and lists.url_hit(url or ""):
            reason = vocab.R_UNSAFE_URL
        out.append(reason)
    return out
