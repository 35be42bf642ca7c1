"""`corpus mix search`: proxy runs over mixtures, a regression over their results, and the proposed
mixture trained and compared with uniform weights and with the best run seen.

The `search:` section of a mixture file:

```yaml
search:
  strategy: dirichlet      # dirichlet (RegMix: random mixtures) or grid (Yi: weights from {1, 1/2, ... 1/64})
  runs: 24
  alpha: 1.0               # Dirichlet concentration
  proxy: {model: {preset: tiny}, seq_len: 128, batch_size: 16, max_steps: 300}   # a `corpus train` config
  metric: [loss.wiki_en, loss.wiki_zh]    # runs-table columns, averaged; lower is better
  regression: [linear, sqrt_linear, lightgbm]
  final_seeds: 3           # the proposed mixture and uniform weights, each with this many seeds
```

Phases: the sampled runs (`search`), then the fit and its proposal (proposal.json), then `proposed`
and `uniform` runs with `final_seeds` seeds. Every phase is recomputed from what is on disk, so a
killed search started again redoes only the run it was in.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from corpus.core.configlib import check, from_dict, to_dict
from mixtures import regression
from mixtures.mixture import Mixture
from mixtures.runs import append_run, read_runs, weights_of

PROPOSAL_FILE = "proposal.json"
YI_GRID = (1.0, 1 / 2, 1 / 4, 1 / 8, 1 / 16, 1 / 32, 1 / 64)


@dataclass(frozen=True)
class SearchConfig:
    proxy: dict[str, Any]  # a `corpus train` config without data / out_dir
    metric: tuple[str, ...]  # runs-table columns averaged into the metric
    strategy: Literal["dirichlet", "grid"] = "dirichlet"
    runs: int = 24
    alpha: float = 1.0
    grid: tuple[float, ...] = YI_GRID
    goal: Literal["min", "max"] = "min"
    regression: tuple[str, ...] = regression.MODELS
    folds: int = 6  # cross-validation folds for the held-out rank correlation
    candidates: int = 100_000
    top_k: int = 100
    final_seeds: int = 3
    eval_tokens: int = 20_000  # validation tokens per source / target per run
    workers: int = 1  # >1: runs as separate processes
    launcher: str = ""  # train each proxy with this command + `train -c RUN.yaml`, e.g. "accelerate launch -m corpus.cli"
    keep_checkpoints: bool = False

    def __post_init__(self):
        check(self.runs >= 2, "search.runs", "needs at least 2 runs")
        check(bool(self.metric), "search.metric", "name at least one runs-table column (e.g. loss.TARGET)")
        check(set(self.regression) <= set(regression.MODELS), "search.regression",
              f"known: {', '.join(regression.MODELS)}")
        check(self.alpha > 0, "search.alpha", "must be > 0")
        check(self.final_seeds >= 0 and self.workers >= 1, "search.final_seeds", "need final_seeds >= 0, workers >= 1")
        check(all(g > 0 for g in self.grid), "search.grid", "weights must be > 0")
        check(not {"data", "out_dir"} & set(self.proxy), "search.proxy", "data and out_dir are set per run")


def search_config(mix: Mixture) -> SearchConfig:
    check(bool(mix.search), "search", "the mixture file has no search: section")
    raw = dict(mix.search)
    raw.setdefault("metric", [f"loss.{t.name}" for t in mix.targets if t.inputs])
    return from_dict(SearchConfig, raw, "search")


# ---------------------------------------------------------------- mixtures to try
def feasible(mix: Mixture, available: dict[str, int]):
    """A mask function: mixtures whose every source stays within its max_epochs in the target run."""
    caps = np.array([s.max_epochs * available[s.name] / mix.total_tokens for s in mix.sources])
    return lambda W: np.all(W <= caps + 1e-12, axis=1)


def sample_mixtures(mix: Mixture, cfg: SearchConfig, available: dict[str, int]) -> np.ndarray:
    ok = feasible(mix, available)
    rng = np.random.default_rng(mix.seed)
    k = len(mix.sources)
    if cfg.strategy == "grid":  # Yi: each source's weight drawn from the grid, normalised, deduplicated
        draws = rng.choice(np.array(cfg.grid), size=(200 * cfg.runs, k))
        draws = np.round(draws / draws.sum(1, keepdims=True), 6)
        _, first = np.unique(draws, axis=0, return_index=True)
        draws = draws[np.sort(first)]
        return draws[ok(draws)][:cfg.runs]
    out = np.empty((0, k))
    while len(out) < cfg.runs:  # rejection sampling against the epoch caps
        W = regression.dirichlet(np.full(k, cfg.alpha), 4 * cfg.runs, rng)
        out = np.vstack([out, W[ok(W)]])
    return np.round(out[:cfg.runs], 6)


# ---------------------------------------------------------------- the metric and the fit
def metric_of(row: dict, cfg: SearchConfig) -> float:
    return float(np.mean([row[c] for c in cfg.metric]))


def _design(mix: Mixture, cfg: SearchConfig, runs: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """Weights (runs, sources) and each metric column (runs, columns); the metric is their mean."""
    return (np.array([weights_of(r, mix.names) for r in runs]),
            np.array([[r[c] for c in cfg.metric] for r in runs], dtype=np.float64))


def fit_report(mix: Mixture, cfg: SearchConfig, rows: list[dict]) -> dict:
    """Held-out (out-of-fold) predictions and rank correlation per model; the proposal of the best."""
    runs = [r for r in rows if r["kind"] == "search"]
    X, Y = _design(mix, cfg, runs)
    y = np.array([r["metric"] for r in runs])
    models = {}
    for kind in cfg.regression:
        pred = regression.out_of_fold(kind, X, Y, cfg.folds, mix.seed)
        models[kind] = {"heldout_spearman": regression.spearman(pred, y),
                        "heldout_pred": {r["run"]: float(p) for r, p in zip(runs, pred)}}
    best = max(models, key=lambda k: models[k]["heldout_spearman"])
    return {"models": models, "chosen_model": best}


def propose(mix: Mixture, cfg: SearchConfig, rows: list[dict], available: dict[str, int]) -> dict:
    report = fit_report(mix, cfg, rows)
    runs = [r for r in rows if r["kind"] == "search"]
    model = regression.fit(report["chosen_model"], *_design(mix, cfg, runs), mix.seed)
    w = regression.propose(model, np.full(len(mix.names), cfg.alpha), cfg.candidates, cfg.top_k, mix.seed,
                           cfg.goal, feasible(mix, available))
    report["weights"] = {n: round(float(v), 6) for n, v in zip(mix.names, w)}
    report["predicted"] = float(model.predict(w[None, :])[0])
    best = (min if cfg.goal == "min" else max)(runs, key=lambda r: r["metric"])
    report["best_seen"] = {"run": best["run"], "metric": best["metric"]}
    return report


# ---------------------------------------------------------------- the plan of runs
@dataclass(frozen=True)
class RunSpec:
    run: str
    kind: str  # search | proposed | uniform
    weights: dict[str, float] = field(default_factory=dict)
    seed: int = 0


def search_specs(mix: Mixture, cfg: SearchConfig, available: dict[str, int]) -> list[RunSpec]:
    W = sample_mixtures(mix, cfg, available)
    return [RunSpec(f"s{i:03d}", "search", dict(zip(mix.names, map(float, w))), mix.seed) for i, w in enumerate(W)]


def final_specs(mix: Mixture, cfg: SearchConfig, proposal: dict) -> list[RunSpec]:
    uniform = {n: 1 / len(mix.names) for n in mix.names}
    return [RunSpec(f"{kind}-{k}", kind, w, mix.seed + k) for kind, w in (("proposed", proposal["weights"]),
                                                                            ("uniform", uniform))
            for k in range(cfg.final_seeds)]


def run_search(mix: Mixture, runs_dir: str, log=None) -> dict:
    from mixtures.build import source_docs
    from mixtures.pools import pool

    log = log or (lambda s: print(s, file=sys.stderr, flush=True))
    cfg = search_config(mix)
    os.makedirs(runs_dir, exist_ok=True)
    _check_same_search(mix, runs_dir)
    available = {n: sum(d[3] for d in docs) for n, (_, docs) in source_docs(mix).items()}
    for t in mix.targets:  # tokenised once here, not by parallel runs at the same time
        if t.inputs:
            pool(mix, t)
    specs = search_specs(mix, cfg, available)
    _execute(mix, cfg, runs_dir, specs, log)
    if cfg.final_seeds and len(mix.names) > 1:
        proposal = _proposal(mix, cfg, runs_dir, available)
        _execute(mix, cfg, runs_dir, final_specs(mix, cfg, proposal), log)
    return summary(mix, cfg, runs_dir)


def _check_same_search(mix: Mixture, runs_dir: str) -> None:
    """A runs directory belongs to one mixture file: rerunning another into it would mix their rows."""
    path = os.path.join(runs_dir, "search.json")
    spec = json.dumps(to_dict(mix), sort_keys=True)
    if os.path.exists(path):
        with open(path) as f:
            if json.dumps(json.load(f), sort_keys=True) != spec:
                raise FileExistsError(f"{runs_dir} holds a search of another mixture file; use a new directory")
        return
    with open(path + ".tmp", "w") as f:
        json.dump(to_dict(mix), f, indent=2, ensure_ascii=False)
    os.replace(path + ".tmp", path)


def _proposal(mix: Mixture, cfg: SearchConfig, runs_dir: str, available: dict[str, int]) -> dict:
    path = os.path.join(runs_dir, PROPOSAL_FILE)
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    proposal = propose(mix, cfg, read_runs(runs_dir), available)
    with open(path + ".tmp", "w") as f:
        json.dump(proposal, f, indent=2)
    os.replace(path + ".tmp", path)
    return proposal


def _execute(mix: Mixture, cfg: SearchConfig, runs_dir: str, specs: list[RunSpec], log) -> None:
    from mixtures.proxy import run_many

    done = {r["run"] for r in read_runs(runs_dir)}
    todo = [s for s in specs if s.run not in done]
    if len(todo) < len(specs):
        log(f"{len(specs) - len(todo)} of {len(specs)} {specs[0].kind} runs already finished")
    t0, n_all, start = time.perf_counter(), len(specs), len(specs) - len(todo)
    for i, row in enumerate(run_many(mix, cfg, runs_dir, todo), 1):
        row["metric"] = metric_of(row, cfg)
        append_run(runs_dir, row)
        eta = (time.perf_counter() - t0) / i * (len(todo) - i)
        log(f"run {start + i} of {n_all} ({row['run']}): metric {row['metric']:.4f}, {row['wall_s']:.0f} s, "
            f"ETA {eta / 60:.1f} min")


def summary(mix: Mixture, cfg: SearchConfig, runs_dir: str) -> dict:
    rows = read_runs(runs_dir)
    out: dict = {"runs": len(rows)}
    for kind in ("proposed", "uniform"):
        vals = [r["metric"] for r in rows if r["kind"] == kind]
        if vals:
            out[kind] = {"mean": float(np.mean(vals)), "std": float(np.std(vals, ddof=1)) if len(vals) > 1 else 0.0,
                         "n": len(vals), "values": vals}
    path = os.path.join(runs_dir, PROPOSAL_FILE)
    if os.path.exists(path):
        with open(path) as f:
            p = json.load(f)
        out["proposal"] = p["weights"]
        out["heldout_spearman"] = {k: v["heldout_spearman"] for k, v in p["models"].items()}
        out["best_seen"] = p["best_seen"]
    return out
