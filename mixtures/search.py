"""`corpus mix search`: proxy runs over mixtures, a regression over their results, and the proposed
mixture trained and compared with uniform weights and with the best run seen.

The `search:` section of a mixture file:

```yaml
search:
  strategy: dirichlet      # dirichlet (RegMix: random mixtures) or grid (Yi: weights from {1, 1/2, ... 1/64})
  runs: 24
  prior: tokens            # the Dirichlet's centre: tokens (each source's share of the tokens), uniform,
                           # or {source: share, ...}
  concentration: [0.1, 5]  # its strength, drawn log-uniformly per mixture: small reaches the corners
  proxy: {model: {preset: tiny}, seq_len: 128, batch_size: 16, max_steps: 300}   # a `corpus train` config
  metric: [loss.wiki_en, loss.wiki_zh]    # runs-table columns, averaged; lower is better
  regression: [linear, sqrt_linear, mixing_law, lightgbm]
  final_seeds: 3           # the proposal, uniform weights and the best sampled mixture, each with this many seeds
```

The proposal is claimed only when the chosen fit ranks the best quarter of the runs it did not see
(held-out Spearman >= 0.7, `fit_and_propose`); otherwise the verdict recommends the best sampled run,
and the fitted optimum is trained all the same, as a check.

Phases: the sampled runs (`search`), then the fit and its proposal (proposal.json), then `proposed`,
`uniform` and `best` runs with `final_seeds` seeds. Every phase is recomputed from what is on disk,
so a killed search started again redoes only the run it was in, and a grown one (more runs, more
seeds, another fit) only what is new (mixtures/resume.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass, field

import numpy as np

from corpus.core.configlib import check
from mixtures import regression
from mixtures.mixture import Mixture
from mixtures.runs import append_run, read_runs, weights_of
from mixtures.searchconfig import YI_GRID, SearchConfig, metric_definition, metric_of, search_config
from mixtures.verdict import MIN_RANK_BEST

__all__ = ["YI_GRID", "SearchConfig", "metric_of", "run_search", "sample_mixtures", "search_config", "summary"]

_BATCH = 1024  # mixtures drawn per batch: fixed, so the first n runs are the same whatever `runs` is


# ---------------------------------------------------------------- mixtures to try
def feasible(mix: Mixture, available: dict[str, int]):
    """A mask function: mixtures whose every source stays within its max_epochs in the target run."""
    caps = np.array([s.max_epochs * available[s.name] / mix.total_tokens for s in mix.sources])
    return lambda W: np.all(W <= caps + 1e-12, axis=1)


def prior_centre(mix: Mixture, cfg: SearchConfig, available: dict[str, int]) -> np.ndarray:
    """The Dirichlet's centre: each source's share of the tokens (RegMix), uniform, or the user's shares."""
    if cfg.prior == "uniform":
        c = np.ones(len(mix.names))
    elif cfg.prior == "tokens":
        c = np.array([float(available[n]) for n in mix.names])
    else:
        c = np.array([float(cfg.prior.get(n, 0.0)) for n in mix.names])
    check(c.sum() > 0, "search.prior", "every source is empty")
    return c / c.sum()


def _batch(mix: Mixture, cfg: SearchConfig, centre: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    if cfg.strategy == "grid":  # Yi: each source's weight drawn from the grid, normalised
        draws = rng.choice(np.array(cfg.grid), size=(_BATCH, len(mix.names)))
        return draws / draws.sum(1, keepdims=True)
    return regression.prior_draws(centre, cfg.concentration, _BATCH, rng)


def sample_mixtures(mix: Mixture, cfg: SearchConfig, available: dict[str, int]) -> np.ndarray:
    """`cfg.runs` distinct mixtures within the epoch caps, drawn in fixed batches from a seeded
    generator: `runs: 40` begins with the 30 mixtures of `runs: 30`, so a search can grow."""
    ok, centre = feasible(mix, available), prior_centre(mix, cfg, available)
    rng = np.random.default_rng(mix.seed)
    out: dict[tuple, None] = {}
    for _ in range(max(100, cfg.runs)):
        W = np.round(_batch(mix, cfg, centre, rng), 6)
        for w in W[ok(W)]:
            out.setdefault(tuple(w))
            if len(out) == cfg.runs:
                return np.array(list(out))
    raise ValueError(
        f"search.runs: only {len(out)} distinct mixtures within the epoch caps (max_epochs) were "
        f"found; ask for fewer runs or raise max_epochs"
    )


# ---------------------------------------------------------------- the metric and the fit
def _design(mix: Mixture, cfg: SearchConfig, runs: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """Weights (runs, sources) and each metric column (runs, columns); the metric is their mean."""
    return (
        np.array([weights_of(r, mix.names) for r in runs]),
        np.array([[r[c] for c in cfg.metric] for r in runs], dtype=np.float64),
    )


def fit_and_propose(
    X: np.ndarray,
    Y: np.ndarray,
    centre: np.ndarray,
    *,
    kinds=regression.MODELS,
    folds: int = 6,
    seed: int = 0,
    goal: str = "min",
    concentration=(0.1, 5.0),
    candidates: int = 100_000,
    top_k: int = 100,
    ok=None,
) -> dict:
    """The whole fit on arrays: every model's held-out predictions (k folds) and rank correlations,
    the chosen model (regression.choose), and its proposal: the best mixture in the hull of the best
    `top_k` of `candidates` prior draws that stay within the sampled region (no source above its
    largest sampled weight) and `ok` (the epoch caps). X: (runs, sources); Y: (runs,) or (runs, targets).

    `claimed`: whether the proposal may be claimed, which needs a fit that ranks the best quarter of the
    runs it did not see (held-out Spearman there at least MIN_RANK_BEST). The optimum is where the fit
    is best, which is where its errors flatter most; a fit that cannot order the good runs it has seen
    cannot be trusted to find a better one beyond them (it predicts a mixture unlike any good run
    far better than every run, and its error is the gain). Unclaimed, the search recommends the best
    measured run; the fitted optimum is still returned (and trained, as a check)."""
    X, Y = np.asarray(X, dtype=np.float64), np.asarray(Y, dtype=np.float64)
    y = Y.mean(axis=1) if Y.ndim == 2 else Y
    models = {}
    for kind in kinds:
        pred = regression.out_of_fold(kind, X, Y, folds, seed)
        models[kind] = {
            "heldout_spearman": regression.spearman(pred, y),
            "heldout_spearman_best": regression.rank_best(pred, y, goal),
            "heldout_pred": pred,
        }
    chosen = regression.choose(models)
    model = regression.fit(chosen, X, Y, seed)
    W = regression.prior_draws(centre, tuple(concentration), candidates, np.random.default_rng([seed, 1]))
    W = W[np.all(W <= X.max(axis=0) + 1e-12, axis=1)]
    if ok is not None:
        W = W[ok(W)]
    w, predicted = regression.propose(model, W, top_k, goal)
    return {
        "models": models,
        "chosen_model": chosen,
        "model": model,
        "weights": w,
        "predicted": predicted,
        "candidates_in_region": len(W),
        "claimed": bool(models[chosen]["heldout_spearman_best"] >= MIN_RANK_BEST),
    }


def propose(mix: Mixture, cfg: SearchConfig, rows: list[dict], available: dict[str, int]) -> dict:
    runs = [r for r in rows if r["kind"] == "search"]
    X, Y = _design(mix, cfg, runs)
    fit = fit_and_propose(
        X,
        Y,
        prior_centre(mix, cfg, available),
        kinds=cfg.regression,
        folds=cfg.folds,
        seed=mix.seed,
        goal=cfg.goal,
        concentration=cfg.concentration,
        candidates=cfg.candidates,
        top_k=cfg.top_k,
        ok=feasible(mix, available),
    )
    best = (min if cfg.goal == "min" else max)(runs, key=lambda r: metric_of(r, cfg))
    best_w = weights_of(best, mix.names)
    uniform = np.full(len(mix.names), 1 / len(mix.names))
    predict = lambda w: float(fit["model"].predict(np.asarray(w, dtype=np.float64)[None, :])[0])  # noqa: E731
    return {
        "metric": list(cfg.metric),
        "goal": cfg.goal,
        "definition": metric_definition(cfg),
        "models": {
            k: {
                "heldout_spearman": m["heldout_spearman"],
                "heldout_spearman_best": m["heldout_spearman_best"],
                "heldout_pred": {r["run"]: float(p) for r, p in zip(runs, m["heldout_pred"])},
            }
            for k, m in fit["models"].items()
        },
        "chosen_model": fit["chosen_model"],
        "weights": {n: round(float(v), 6) for n, v in zip(mix.names, fit["weights"])},
        "predicted": fit["predicted"],
        "predicted_uniform": predict(uniform),
        "best_seen": {
            "run": best["run"],
            "metric": metric_of(best, cfg),
            "predicted": predict(best_w),
            "weights": dict(zip(mix.names, best_w)),
        },
        "prior": {n: round(float(v), 6) for n, v in zip(mix.names, prior_centre(mix, cfg, available))},
        "candidates_in_region": fit["candidates_in_region"],
        "claimed": fit["claimed"],  # false: the verdict recommends best_seen, not the proposal
        "min_rank_best": MIN_RANK_BEST,
    }


# ---------------------------------------------------------------- the plan of runs
@dataclass(frozen=True)
class RunSpec:
    run: str
    kind: str  # search | proposed | uniform | best
    weights: dict[str, float] = field(default_factory=dict)
    seed: int = 0  # training seed: initialisation and batch order
    sample_seed: int = 0  # which documents the mixture's sample takes


def search_specs(mix: Mixture, cfg: SearchConfig, available: dict[str, int]) -> list[RunSpec]:
    W = sample_mixtures(mix, cfg, available)
    return [
        RunSpec(f"s{i:03d}", "search", dict(zip(mix.names, map(float, w))), mix.seed, mix.seed) for i, w in enumerate(W)
    ]


def digest(weights: dict[str, float]) -> str:
    return hashlib.sha1(json.dumps({k: round(v, 6) for k, v in sorted(weights.items())}).encode()).hexdigest()[:6]


def final_groups(mix: Mixture, proposal: dict, rows: list[dict]) -> list[tuple[str, str, dict[str, float]]]:
    """(kind, run-id prefix, weights) of the three mixtures compared: a new proposal or a new best gets
    a new prefix, so what was trained for an earlier one stays in the table and out of the comparison."""
    best = next(r for r in rows if r["run"] == proposal["best_seen"]["run"])
    return [
        ("proposed", f"proposed-{digest(proposal['weights'])}", proposal["weights"]),
        ("uniform", "uniform", {n: 1 / len(mix.names) for n in mix.names}),
        ("best", f"best-{best['run']}", dict(zip(mix.names, weights_of(best, mix.names)))),
    ]


def final_specs(mix: Mixture, cfg: SearchConfig, proposal: dict, rows: list[dict]) -> list[RunSpec]:
    """The three mixtures, each with seeds 1..final_seeds that vary the sample as well as the training
    (seed 0 is the sampled runs' own), so their spread is the whole noise of a proxy run."""
    return [
        RunSpec(f"{prefix}-{k}", kind, w, mix.seed + k, mix.seed + k)
        for k in range(1, cfg.final_seeds + 1)
        for kind, prefix, w in final_groups(mix, proposal, rows)
    ]


def run_search(mix: Mixture, runs_dir: str, log=None) -> dict:
    from mixtures.build import source_docs
    from mixtures.pools import pool
    from mixtures.resume import PROPOSAL_FILE, cached_proposal, open_runs_dir, read_proposal

    log = log or (lambda s: print(s, file=sys.stderr, flush=True))
    cfg = search_config(mix)
    open_runs_dir(mix, cfg, runs_dir)
    available = {n: sum(d[3] for d in docs) for n, (_, docs) in source_docs(mix).items()}
    for t in mix.targets:  # tokenised once here, not by parallel runs at the same time
        if t.inputs:
            pool(mix, t)
    _execute(mix, cfg, runs_dir, search_specs(mix, cfg, available), log)
    if len(mix.names) > 1:  # the fit and its proposal; then, with final_seeds, the comparison
        if "claimed" not in read_proposal(runs_dir):  # written before the claim rule (issue 24): refitted
            with contextlib.suppress(FileNotFoundError):
                os.remove(os.path.join(runs_dir, PROPOSAL_FILE))
        proposal = cached_proposal(runs_dir, cfg, read_runs(runs_dir), lambda rows: propose(mix, cfg, rows, available))
        if cfg.final_seeds:
            _execute(mix, cfg, runs_dir, final_specs(mix, cfg, proposal, read_runs(runs_dir)), log)
    return summary(mix, cfg, runs_dir)


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
        log(
            f"run {start + i} of {n_all} ({row['run']}): metric {row['metric']:.4f}, {row['wall_s']:.0f} s, "
            f"ETA {eta / 60:.1f} min"
        )


def summary(mix: Mixture, cfg: SearchConfig, runs_dir: str) -> dict:
    """The figures of the verdict (mixtures/verdict.py): the metric's definition, the fit, and the
    proposal, uniform and the best sampled mixture over their seeds, per target too."""
    from mixtures.resume import read_proposal
    from mixtures.verdict import compare

    rows = read_runs(runs_dir)
    out: dict = {
        "runs": len(rows),
        "search_runs": sum(r["kind"] == "search" for r in rows),
        "definition": metric_definition(cfg),
        "goal": cfg.goal,
    }
    p = read_proposal(runs_dir)
    if p:
        out["proposal"] = p["weights"]
        out["chosen_model"] = p["chosen_model"]
        out["heldout_spearman"] = {k: v["heldout_spearman"] for k, v in p["models"].items()}
        out["heldout_spearman_best"] = {k: v["heldout_spearman_best"] for k, v in p["models"].items()}
        out["best_seen"] = p["best_seen"]
        out["claimed"] = p.get("claimed", True)
        out["min_rank_best"] = p.get("min_rank_best", MIN_RANK_BEST)
        out["predicted"] = {
            "proposed": p["predicted"],
            "uniform": p["predicted_uniform"],
            "best": p["best_seen"]["predicted"],
        }
        columns = [f"loss.{t.name}" if t.inputs else f"acc.{t.name}" for t in mix.targets]
        prefixes = {kind: prefix for kind, prefix, _ in final_groups(mix, p, rows)}
        out |= compare(rows, prefixes, columns, cfg.goal)
    return out
