"""The `search:` section of a mixture file, parsed and checked, and the metric it defines (the
mean of runs-table columns). Read by the search, by what a runs directory may be reused for
(mixtures/resume.py) and by the verdict."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from corpus.core.configlib import check, from_dict
from mixtures import regression
from mixtures.mixture import Mixture

YI_GRID = (1.0, 1 / 2, 1 / 4, 1 / 8, 1 / 16, 1 / 32, 1 / 64)


@dataclass(frozen=True)
class SearchConfig:
    proxy: dict[str, Any]  # a `corpus train` config without data / out_dir
    metric: tuple[str, ...]  # runs-table columns averaged into the metric
    strategy: Literal["dirichlet", "grid"] = "dirichlet"
    runs: int = 24
    prior: str | dict[str, float] = "tokens"  # tokens | uniform | {source: share}: the Dirichlet's centre
    concentration: tuple[float, ...] = (0.1, 5.0)  # Dirichlet strength range, log-uniform per draw
    grid: tuple[float, ...] = YI_GRID
    goal: Literal["min", "max"] = "min"
    regression: tuple[str, ...] = regression.MODELS
    folds: int = 6  # cross-validation folds for the held-out rank correlation
    candidates: int = 100_000  # mixtures from the prior that the fit ranks
    top_k: int = 100  # the best of them, whose convex hull the optimiser searches
    final_seeds: int = 3
    eval_tokens: int = 20_000  # validation tokens per source / target per run
    workers: int = 1  # >1: runs as separate processes
    launcher: str = ""  # train each proxy with this + `train -c RUN.yaml`, e.g. "accelerate launch -m corpus.cli"
    keep_checkpoints: bool = False

    def __post_init__(self):
        check(self.runs >= 2, "search.runs", "needs at least 2 runs")
        check(bool(self.metric), "search.metric", "name at least one runs-table column (e.g. loss.TARGET)")
        check(
            set(self.regression) <= set(regression.MODELS),
            "search.regression",
            f"known: {', '.join(regression.MODELS)}",
        )
        check(
            len(self.concentration) == 2 and 0 < self.concentration[0] <= self.concentration[1],
            "search.concentration",
            "a range [low, high] with 0 < low <= high",
        )
        if isinstance(self.prior, str):
            check(self.prior in ("tokens", "uniform"), "search.prior", "tokens, uniform, or {source: share}")
        else:
            check(
                all(v >= 0 for v in self.prior.values()) and sum(self.prior.values()) > 0,
                "search.prior",
                "shares must be >= 0, one of them > 0",
            )
        check(self.final_seeds >= 0 and self.workers >= 1, "search.final_seeds", "need final_seeds >= 0, workers >= 1")
        check(self.candidates >= 1 and self.top_k >= 1, "search.top_k", "need candidates >= 1, top_k >= 1")
        check(all(g > 0 for g in self.grid), "search.grid", "weights must be > 0")
        check(not {"data", "out_dir"} & set(self.proxy), "search.proxy", "data and out_dir are set per run")


def search_config(mix: Mixture) -> SearchConfig:
    check(bool(mix.search), "search", "the mixture file has no search: section")
    raw = dict(mix.search)
    raw.setdefault("metric", [f"loss.{t.name}" for t in mix.targets if t.inputs])
    cfg = from_dict(SearchConfig, raw, "search")
    if isinstance(cfg.prior, dict):
        unknown = sorted(set(cfg.prior) - set(mix.names))
        check(not unknown, "search.prior", f"not sources: {unknown}")
    return cfg


def metric_of(row: dict, cfg: SearchConfig) -> float:
    return float(np.mean([row[c] for c in cfg.metric]))


def metric_definition(cfg: SearchConfig) -> str:
    what = cfg.metric[0] if len(cfg.metric) == 1 else f"the mean of {', '.join(cfg.metric)}"
    return f"metric = {what} ({'lower' if cfg.goal == 'min' else 'higher'} is better)"
