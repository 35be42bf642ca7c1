"""RegMix's released proxy runs (`mixtures/regmix` in the shared data: 512 + 256 mixtures of 17 Pile
domains, each a 1M-parameter model's validation loss per domain) and RegMix's published mixture for
its 1B model, with the check that a search lands on it.

The published mixture (mixture_config/config_1b/regmix.yaml in sail-sg/regmix) is not in the data
folder: the five domains above 1% are as project issue 24 gives them, and the other 12 share the
remaining 0.014 equally (0.00117 each).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

TARGET = "metric/the_pile_pile_cc_val_loss"
PUBLISHED_1B = {
    "pile_cc": 0.870,
    "ubuntu_irc": 0.064,
    "pubmed_abstracts": 0.024,
    "wikipedia_en": 0.016,
    "hackernews": 0.012,
}


def load(data: Path, split: str = "train", normalised: bool = True) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Weights (runs, 17), Pile-CC loss, domain names. The CSVs round weights to 3 decimals, so rows sum
    to 0.996-1.003; `normalised` rescales them to 1 (a proposal is a mixture)."""
    import pandas as pd

    d = Path(data) / "mixtures" / "regmix"
    X, Y = pd.read_csv(d / f"{split}_mixture_1m.csv"), pd.read_csv(d / f"{split}_pile_loss_1m.csv")
    domains = [c for c in X.columns if c.startswith("train_")]
    W = X[domains].to_numpy(dtype=np.float64)
    W = W / W.sum(axis=1, keepdims=True) if normalised else W
    return W, Y[TARGET].to_numpy(), [c[len("train_the_pile_") :] for c in domains]


def published(names: list[str]) -> np.ndarray:
    rest = (1 - sum(PUBLISHED_1B.values())) / (len(names) - len(PUBLISHED_1B))
    return np.array([PUBLISHED_1B.get(n, rest) for n in names])


def proposal_check(data: Path, n_runs: int, kinds: tuple[str, ...] | None = None, candidates: int = 100_000) -> dict:
    """Fit the first n_runs training runs (the model chosen by mixtures/search.py unless `kinds` is one),
    propose as the search does, and compare with the published mixture. The prior's centre is RegMix's
    (the domains' token shares), estimated as the mean of the 512 sampled mixtures, which RegMix drew
    from Dirichlet distributions around those shares."""
    from mixtures import regression
    from mixtures.search import fit_and_propose

    W, y, names = load(data)
    target = published(names)
    r = fit_and_propose(W[:n_runs], y[:n_runs], W.mean(axis=0), kinds=kinds or regression.MODELS, candidates=candidates)
    w = r["weights"]
    return {
        "runs": n_runs,
        "chosen": r["chosen_model"],
        "heldout_spearman": {k: round(m["heldout_spearman"], 3) for k, m in r["models"].items()},
        "heldout_spearman_best": {k: round(m["heldout_spearman_best"], 3) for k, m in r["models"].items()},
        "proposal": {n: round(float(v), 3) for n, v in zip(names, w) if v >= 0.005},
        "pile_cc": round(float(w[names.index("pile_cc")]), 3),
        "l1": round(float(np.abs(w - target).sum()), 3),
        "predicted": round(r["predicted"], 4),
        "predicted_published": round(float(r["model"].predict(target[None, :])[0]), 4),
    }


def old_default_check(data: Path, candidates: int = 100_000, top_k: int = 100) -> dict:
    """The search before issue 24 on all 512 runs: LightGBM, symmetric Dirichlet(1) candidates, the mean
    of the top_k."""
    from mixtures.regression import fit

    W, y, names = load(data)
    target = published(names)
    model = fit("lightgbm", W, y)
    C = np.random.default_rng(0).dirichlet(np.ones(len(names)), candidates)
    w = C[np.argsort(model.predict(C))[:top_k]].mean(axis=0)
    return {
        "runs": len(y),
        "chosen": "lightgbm",
        "pile_cc": round(float(w[names.index("pile_cc")]), 3),
        "l1": round(float(np.abs(w - target).sum()), 3),
        "predicted": round(float(model.predict(w[None, :])[0]), 4),
        "predicted_published": round(float(model.predict(target[None, :])[0]), 4),
    }
