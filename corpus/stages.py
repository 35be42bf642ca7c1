"""Stage registry: a stage name in the config maps to the function that builds its steps.

A per-document stage returns datatrove steps that run inside one pipeline; a corpus-level
stage (dedup, clustering) runs its own chain of pipelines between two per-document segments,
reading the survivors in ``input_dir`` and writing survivors to ``output_dir``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from corpus import vocab
from corpus.layout import Layout

if TYPE_CHECKING:
    from corpus.config import BuildConfig


@dataclass(frozen=True)
class StageContext:
    layout: Layout
    segment: int
    annotate_only: bool = False  # filters forward everything and note their verdict (--annotate-all)


@dataclass(frozen=True)
class StageSpec:
    name: str
    target: str  # "module:function" building the steps
    corpus_level: bool = False
    rules: str = ""  # "module:function": cfg -> {lang or "*": (Rule, ...)}; what `corpus refilter` replays

    def builder(self):
        return _resolve(self.target)

    def rules_of(self, cfg: "BuildConfig") -> dict:
        return _resolve(self.rules)(cfg) if self.rules else {}


def _resolve(target: str):
    module, fn = target.split(":")
    return getattr(importlib.import_module(module), fn)


def url_filter(cfg: "BuildConfig", ctx: StageContext) -> list:
    from filters.url import UrlBlocklistFilter

    u = cfg.url_filter
    return [UrlBlocklistFilter(ctx, u.domain_lists, u.url_lists, u.use_default)]


def lang_id(cfg: "BuildConfig", ctx: StageContext) -> list:
    from filters.language import LanguageFilter, LanguageScorer

    lc = cfg.lang
    return [LanguageScorer(lc.model_path, lc.max_chars),
            LanguageFilter(ctx, lc.keep, lc.min_score, lc.default_min_score)]


SPECS = [
    StageSpec(vocab.URL_FILTER, "corpus.stages:url_filter"),
    StageSpec(vocab.LANG_ID, "corpus.stages:lang_id"),
    # list/index pages out, from signals the HTML gave before extraction (corpus.build.front_steps)
    StageSpec(vocab.PAGE_TYPE, "filters.page_type:page_type", rules="filters.page_type:page_type_rules"),
    # heuristics
    StageSpec(vocab.GOPHER_QUALITY, "filters.heuristics.steps:gopher_quality", rules="filters.heuristics.steps:gopher_quality_rules"),
    StageSpec(vocab.GOPHER_REPETITION, "filters.heuristics.steps:gopher_repetition", rules="filters.heuristics.steps:gopher_repetition_rules"),
    StageSpec(vocab.C4, "filters.heuristics.steps:c4", rules="filters.heuristics.steps:c4_rules"),
    StageSpec(vocab.FINEWEB, "filters.heuristics.steps:fineweb", rules="filters.heuristics.steps:fineweb_rules"),
    StageSpec(vocab.GARBLED, "filters.heuristics.steps:garbled_text", rules="filters.heuristics.steps:garbled_rules"),
    StageSpec(vocab.WORD_BLOCKLIST, "filters.heuristics.steps:word_blocklist", rules="filters.heuristics.steps:word_blocklist_rules"),
    # correction and PII
    StageSpec(vocab.CORRECTION, "filters.correction:correction_steps"),
    StageSpec(vocab.PII, "filters.pii:pii_steps"),
    # learned scorers (perplexity, quality, coherence)
    StageSpec(vocab.PERPLEXITY, "filters.scorer_stages:perplexity", rules="filters.scorer_stages:perplexity_rules"),
    StageSpec(vocab.QUALITY, "filters.scorer_stages:quality", rules="filters.scorer_stages:quality_rules"),
    StageSpec(vocab.COHERENCE, "filters.scorer_stages:coherence", rules="filters.scorer_stages:coherence_rules"),
    # dedup: whole documents first. Paragraph dedup before MinHash would strip the shared
    # paragraphs from one copy of a near-duplicate pair, and MinHash would no longer see the pair.
    StageSpec(vocab.DEDUP_MINHASH, "dedup.stages:dedup_minhash", corpus_level=True),
    StageSpec(vocab.DEDUP_EXACT, "dedup.stages:dedup_exact", corpus_level=True),
    StageSpec(vocab.DEDUP_PARAGRAPH, "dedup.stages:dedup_paragraph", corpus_level=True),
    # safety (after dedup, as in Yi)
    StageSpec(vocab.SAFETY, "filters.scorer_stages:safety", rules="filters.scorer_stages:safety_rules"),
    # topics and clusters (labels/): opt-in, they need `corpus models train topics`
    StageSpec(vocab.TOPIC, "labels.stage:topic", rules="labels.stage:topic_rules"),
    StageSpec(vocab.CLUSTER, "labels.stage:cluster", corpus_level=True, rules="labels.stage:cluster_rules"),
]
OPT_IN = (vocab.TOPIC, vocab.CLUSTER)  # run only when listed in `stages`
STAGE_BUILDERS: dict[str, StageSpec] = {s.name: s for s in SPECS}
DEFAULT_ORDER: list[str] = [s.name for s in SPECS if s.name not in OPT_IN]  # registration order is Yi's cascade order
