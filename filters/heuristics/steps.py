"""Pipeline steps and stage builders of the heuristic families.

Each family is one stage: a scorer that writes the family's signals, then a ThresholdFilter
that decides from them. Every scorer reads the document's shared units (filters.units), so the
text is tokenised once however many families run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from datatrove.data import Document

from corpus import vocab
from corpus.steps import Scorer, StageContext, ThresholdFilter
from filters.config import HeuristicsConfig
from filters.heuristics import blocklist, garbled, gopher, lines
from filters.heuristics.params import lang_params, stage_rules
from filters.units import units_of

if TYPE_CHECKING:
    from corpus.config import BuildConfig

FAMILIES = {  # stage -> signal function(units, params) -> dict
    vocab.GOPHER_QUALITY: gopher.quality,
    vocab.GOPHER_REPETITION: gopher.repetition,
    vocab.C4: lines.c4,
    vocab.FINEWEB: lines.fineweb,
    vocab.GARBLED: garbled.garbled,
    vocab.WORD_BLOCKLIST: blocklist.blocklist,
}


class HeuristicScorer(Scorer):
    """Writes the signals of one or more families (they share the document's units)."""

    name = "heuristic signals"

    def __init__(self, families: tuple[str, ...], hc: HeuristicsConfig | None = None):
        super().__init__()
        self.families, self.hc = tuple(families), hc or HeuristicsConfig()
        self._params: dict = {}

    def params(self, lang: str | None) -> dict:
        if lang not in self._params:  # built in the worker: compiled blocklists do not pickle cheaply
            self._params[lang] = lang_params(self.hc, lang)
        return self._params[lang]

    def score(self, doc: Document) -> dict:
        units = units_of(doc)
        p = self.params(units.lang)
        out = {}
        for fam in self.families:
            out.update(FAMILIES[fam](units, p))
        return out


def family_steps(stage: str, cfg: "BuildConfig", ctx: StageContext) -> list:
    hc = cfg.heuristics
    if not hc.enabled or stage not in hc.families:
        return []
    return [HeuristicScorer((stage,), hc), ThresholdFilter(ctx, stage, stage_rules(hc, stage))]


def family_rules(stage: str, cfg: "BuildConfig") -> dict:
    hc = cfg.heuristics
    return stage_rules(hc, stage) if hc.enabled and stage in hc.families else {}


# one builder and one rules function per stage, named in corpus.stages.SPECS
def gopher_quality(cfg, ctx): return family_steps(vocab.GOPHER_QUALITY, cfg, ctx)  # noqa: E704
def gopher_repetition(cfg, ctx): return family_steps(vocab.GOPHER_REPETITION, cfg, ctx)  # noqa: E704
def c4(cfg, ctx): return family_steps(vocab.C4, cfg, ctx)  # noqa: E704
def fineweb(cfg, ctx): return family_steps(vocab.FINEWEB, cfg, ctx)  # noqa: E704
def garbled_text(cfg, ctx): return family_steps(vocab.GARBLED, cfg, ctx)  # noqa: E704
def word_blocklist(cfg, ctx): return family_steps(vocab.WORD_BLOCKLIST, cfg, ctx)  # noqa: E704
def gopher_quality_rules(cfg): return family_rules(vocab.GOPHER_QUALITY, cfg)  # noqa: E704
def gopher_repetition_rules(cfg): return family_rules(vocab.GOPHER_REPETITION, cfg)  # noqa: E704
def c4_rules(cfg): return family_rules(vocab.C4, cfg)  # noqa: E704
def fineweb_rules(cfg): return family_rules(vocab.FINEWEB, cfg)  # noqa: E704
def garbled_rules(cfg): return family_rules(vocab.GARBLED, cfg)  # noqa: E704
def word_blocklist_rules(cfg): return family_rules(vocab.WORD_BLOCKLIST, cfg)  # noqa: E704
