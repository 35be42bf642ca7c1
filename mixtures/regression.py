"""Regression from mixture weights to a proxy metric, as RegMix does: fit on finished runs, rank
unseen mixtures, propose the mixture the fit predicts best.

Four models: least squares on the weights; least squares on their square roots (a source's
benefit grows ever more slowly with its share, as scaling laws have it, so the fit's optimum lies
inside the simplex instead of at a corner); a mixing law, L = c + s * exp(b + t . sqrt(w)) (the
exponential form of Data Mixing Laws, Ye et al. 2024, over the square roots; s = +1 or -1, whichever
fits, so accuracies rise where losses fall); LightGBM gradient-boosted trees (RegMix's choice, its
parameters here RegMix's defaults, with leaves allowed smaller on few runs). Trees cannot
extrapolate and need hundreds of runs; the others need fewer but assume a shape.

A metric averaged over several targets is fitted one target at a time and the predictions are
averaged: a mixture that helps English text costs Chinese text, so the average is a near-cancellation
of two steep trends, which one fit of the average resolves far worse than two fits of the trends.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import spearmanr

MODELS = ("linear", "sqrt_linear", "mixing_law", "lightgbm")


@dataclass(frozen=True)
class Fitted:
    kind: str
    models: tuple  # one per target column

    def predict(self, X: np.ndarray) -> np.ndarray:
        F = _features(self.kind, X)
        return np.mean([np.asarray(m.predict(F), dtype=np.float64) for m in self.models], axis=0)


def _features(kind: str, X: np.ndarray) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    return np.sqrt(np.clip(X, 0.0, None)) if kind in ("sqrt_linear", "mixing_law") else X


def fit(kind: str, X: np.ndarray, Y: np.ndarray, seed: int = 0) -> Fitted:
    """Y: (runs,) for one metric, or (runs, targets) for a metric that is the targets' mean."""
    if kind not in MODELS:
        raise ValueError(f"unknown regression {kind!r} (known: {', '.join(MODELS)})")
    F, Y = _features(kind, X), np.asarray(Y, dtype=np.float64)
    return Fitted(kind, tuple(_fit_one(kind, F, y, seed) for y in (Y.T if Y.ndim == 2 else [Y])))


def _fit_one(kind: str, F: np.ndarray, y: np.ndarray, seed: int):
    if kind in ("linear", "sqrt_linear"):
        from sklearn.linear_model import LinearRegression

        return LinearRegression().fit(F, y)
    if kind == "mixing_law":
        return MixingLaw.fit(F, y)
    if len(y) < 4:  # no split can leave 2 runs on each side: the trees are the mean (LightGBM refuses 1 run)
        return _Constant(float(np.mean(y)))
    import lightgbm as lgb

    model = lgb.LGBMRegressor(
        n_estimators=1000,
        learning_rate=0.01,
        num_leaves=31,
        min_child_samples=min(20, max(2, len(y) // 8)),  # LightGBM's 20 leaves no split on a few dozen runs
        random_state=seed,
        n_jobs=1,
        deterministic=True,
        force_row_wise=True,
        verbose=-1,
    )
    return model.fit(F, y)


@dataclass(frozen=True)
class _Constant:
    value: float

    def predict(self, F: np.ndarray) -> np.ndarray:
        return np.full(len(F), self.value)


@dataclass(frozen=True)
class MixingLaw:
    """y = c + sign * exp(b + F @ t), fitted by nonlinear least squares from a flat start (t = 0,
    the curve through the runs' best value), once per sign; the better fit is kept."""

    c: float
    sign: float
    b: float
    t: np.ndarray

    def predict(self, F: np.ndarray) -> np.ndarray:
        return self.c + self.sign * np.exp(np.clip(self.b + F @ self.t, -50, 50))

    @classmethod
    def fit(cls, F: np.ndarray, y: np.ndarray) -> "MixingLaw":
        from scipy.optimize import least_squares

        spread = float(np.ptp(y)) or 1.0
        fits = []
        for sign in (1.0, -1.0):
            end = y.min() if sign > 0 else y.max()
            p0 = np.r_[end - sign * spread, np.log(spread), np.zeros(F.shape[1])]
            r = least_squares(lambda p: cls(p[0], sign, p[1], p[2:]).predict(F) - y, p0)
            fits.append((r.cost, cls(r.x[0], sign, r.x[1], r.x[2:])))
        return min(fits, key=lambda f: f[0])[1]


def spearman(a, b) -> float:
    rho = spearmanr(np.asarray(a), np.asarray(b)).statistic
    return float(rho) if np.isfinite(rho) else 0.0


def out_of_fold(kind: str, X: np.ndarray, Y: np.ndarray, folds: int, seed: int = 0) -> np.ndarray:
    """Each run's prediction from a model fitted without it (k folds over a seeded permutation)."""
    X, Y = np.asarray(X, dtype=np.float64), np.asarray(Y, dtype=np.float64)
    order = np.random.default_rng(seed).permutation(len(Y))
    pred = np.empty(len(Y))
    for part in np.array_split(order, min(folds, len(Y))):
        rest = np.setdiff1d(order, part)
        pred[part] = fit(kind, X[rest], Y[rest], seed).predict(X[part])
    return pred


def dirichlet(alpha: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    return rng.dirichlet(alpha, size=n)


def prior_draws(centre: np.ndarray, concentration: tuple[float, float], n: int, rng: np.random.Generator) -> np.ndarray:
    """RegMix's candidate prior: Dirichlet(c * centre), the centre a mixture (the sources' token
    shares), the strength c drawn log-uniformly from `concentration` for each draw. A small c puts
    nearly all the weight on one or two sources, so the corners of the simplex are sampled, which a
    symmetric Dirichlet(1) over many sources almost never does; a large c stays near the centre.
    A source with share 0 is never drawn. Rows: (n, sources), each summing to 1."""
    lo, hi = concentration
    c = np.exp(rng.uniform(np.log(lo), np.log(hi), n))
    alpha = c[:, None] * np.asarray(centre, dtype=np.float64)[None, :]
    G = np.where(alpha > 0, rng.gamma(np.where(alpha > 0, alpha, 1.0)), 0.0)  # (n, sources)
    s = G.sum(axis=1)
    G, s = G[s > 0], s[s > 0]  # every gamma draw underflowing to 0: rare at tiny strengths, dropped
    return G / s[:, None]


def rank_best(pred: np.ndarray, y: np.ndarray, goal: str = "min") -> float:
    """Held-out Spearman among the best quarter of the runs (at least 3): where the proposal is made,
    a fit must rank the good mixtures, which the correlation over all runs can hide (a fit that is
    right on average and wrong in the corner where the optimum lies)."""
    y, pred = np.asarray(y), np.asarray(pred)
    n = min(len(y), max(3, -(-len(y) // 4)))
    best = np.argsort(y if goal == "min" else -y)[:n]
    return spearman(pred[best], y[best])


def choose(models: dict[str, dict]) -> str:
    """The fit that proposes: the best mean of the held-out Spearman over all runs and over the best
    quarter. On RegMix's runs this picks LightGBM with 512 runs and the mixing law with 32-128."""
    return max(models, key=lambda k: (models[k]["heldout_spearman"] + models[k]["heldout_spearman_best"]) / 2)


def propose(
    model: Fitted,
    W: np.ndarray,
    top_k: int,
    goal: str = "min",
    steps: tuple[float, ...] = (0.5, 0.3, 0.2, 0.1, 0.05, 0.02, 0.01),
) -> tuple[np.ndarray, float]:
    """The best mixture the fit predicts within the convex hull of its `top_k` best candidates `W`.

    Averaging the top_k (RegMix's last step) takes the hull's centre, which the fit rarely likes best:
    the candidates agree on the large weights and disagree on the small ones, so their mean spreads
    weight over every source. Instead, from the better of the best candidate and that mean, move a
    step t towards each of the top_k ((1 - t) w + t c) and keep the move the fit predicts best, until
    no move helps, with t shrinking. Every point stays a mixture of good sampled candidates: inside
    the sampled region, and within any box constraint (an epoch cap) the candidates satisfy.
    Returns (weights, predicted metric)."""
    if not len(W):
        raise ValueError("no candidate mixture satisfies the epoch caps")
    sign = 1.0 if goal == "min" else -1.0
    score = lambda X: sign * model.predict(X)  # noqa: E731  lower is better
    p = score(W)
    top = W[np.argsort(p)[:top_k]]
    starts = np.vstack([top[:1], top.mean(axis=0, keepdims=True)])
    f_starts = score(starts)
    w, f = starts[np.argmin(f_starts)], float(f_starts.min())
    for t in steps:
        while True:
            moves = (1 - t) * w[None, :] + t * top
            q = score(moves)
            b = int(np.argmin(q))
            if q[b] >= f - 1e-12:
                break
            w, f = moves[b], float(q[b])
    w = np.clip(w, 0.0, None)
    return w / w.sum(), sign * f
