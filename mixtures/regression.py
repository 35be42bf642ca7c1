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
    import lightgbm as lgb

    model = lgb.LGBMRegressor(
        n_estimators=1000, learning_rate=0.01, num_leaves=31,
        min_child_samples=min(20, max(2, len(y) // 8)),  # LightGBM's 20 leaves no split on a few dozen runs
        random_state=seed, n_jobs=1, deterministic=True, force_row_wise=True, verbose=-1)
    return model.fit(F, y)


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


def propose(model: Fitted, alpha: np.ndarray, candidates: int, top_k: int, seed: int, goal: str = "min",
            feasible=None) -> np.ndarray:
    """RegMix's search: predict many Dirichlet-sampled mixtures, average the top_k best.
    `feasible(W) -> bool mask` drops mixtures that break a constraint (an epoch cap)."""
    W = dirichlet(alpha, candidates, np.random.default_rng(seed))
    if feasible is not None:
        W = W[feasible(W)]
    if not len(W):
        raise ValueError("no candidate mixture satisfies the epoch caps")
    pred = model.predict(W)
    best = np.argsort(pred if goal == "min" else -pred)[:top_k]
    w = W[best].mean(axis=0)
    return w / w.sum()
