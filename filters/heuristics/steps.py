"""The heuristic families' stages: each family is one stage, a scorer that writes the family's
signals, then a ThresholdFilter that decides from them. Every scorer reads the document's shared
units (filters.units), so the text is tokenised once however many families run.
"""

from __future__ import annotations

from datatrove.data import Document

from corpus.core.steps import Scorer, Stage, StageContext
from filters.config import HeuristicsConfig
from filters.heuristics.families import FAMILIES
from filters.heuristics.params import default_thresholds, lang_params, stage_signals
from filters.units import units_of


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


def _defaults(cfg) -> dict:
    return default_thresholds(cfg.heuristics)


def _declare(stage: str) -> Stage:
    def build(cfg, ctx: StageContext) -> list:
        return [HeuristicScorer((stage,), cfg.heuristics), DECLARED[stage].threshold_filter(cfg, ctx)]

    return Stage(
        stage, build, signals=stage_signals(stage), defaults=_defaults, section=("heuristics", HeuristicsConfig)
    )


STAGES = tuple(_declare(stage) for stage in FAMILIES)
DECLARED = {s.name: s for s in STAGES}
