"""Regression from mixture weights to a proxy metric, as RegMix does: fit on finished runs, rank
unseen mixtures, propose the mixture the fit predicts best.

Three models: least squares on the weights; least squares on their square roots (a source's
benefit grows ever more slowly with its share, as scaling laws have it, so the fit's optimum lies
inside the simplex instead of at a corner); LightGBM gradient-boosted trees (RegMix's choice, its
parameters here RegMix's defaults, with leaves allowed smaller on few runs). Trees cannot
extrapolate and need hundreds of runs; the linear fits need fewer but assume a shape.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import spearmanr

MODELS = ("linear", "sqrt_linear", "lightgbm")


@dataclass(frozen=True)
class Fitted:
    kind: str
    model: object

    def predict(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(self.model.predict(_features(self.kind, X)), dtype=np.float64)


def _features(kind: str, X: np.ndarray) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    return np.sqrt(np.clip(X, 0.0, None)) if kind == "sqrt_linear" else X


def fit(kind: str, X: np.ndarray, y: np.ndarray, seed: int = 0) -> Fitted:
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if kind in ("linear", "sqrt_linear"):
        from sklearn.linear_model import LinearRegression

        return Fitted(kind, LinearRegression().fit(_features(kind, X), y))
    if kind == "lightgbm":
        import lightgbm as lgb

        model = lgb.LGBMRegressor(
            n_estimators=1000, learning_rate=0.01, num_leaves=31,
            min_child_samples=min(20, max(2, len(y) // 8)),  # LightGBM's 20 leaves no split on a few dozen runs
            random_state=seed, n_jobs=1, deterministic=True, force_row_wise=True, verbose=-1)
        return Fitted(kind, model.fit(X, y))
    raise ValueError(f"unknown regression {kind!r} (known: {', '.join(MODELS)})")


def spearman(a, b) -> float:
    rho = spearmanr(np.asarray(a), np.asarray(b)).statistic
    return float(rho) if np.isfinite(rho) else 0.0


def out_of_fold(kind: str, X: np.ndarray, y: np.ndarray, folds: int, seed: int = 0) -> np.ndarray:
    """Each run's prediction from a model fitted without it (k folds over a seeded permutation)."""
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    order = np.random.default_rng(seed).permutation(len(y))
    pred = np.empty(len(y))
    for part in np.array_split(order, min(folds, len(y))):
        rest = np.setdiff1d(order, part)
        pred[part] = fit(kind, X[rest], y[rest], seed).predict(X[part])
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
