"""RegMix's released runs (`DATA/mixtures/regmix`): 512 mixtures of 17 Pile domains, each a 1M-parameter
proxy's validation loss. Fit on the train files, rank the 256 test mixtures by predicted Pile-CC loss,
Spearman against their measured loss, for LightGBM (RegMix's settings) and a linear fit on the weights
(`mixtures/regression.py`). tests/mixtures/test_mix.py asserts the same bound.

    python -m benchmarks.regmix_fit [--data ../shared/data]

Records the claim regmix_spearman (LightGBM >= 0.95; the linear fit is reported).
"""

from __future__ import annotations

import argparse

from benchmarks.results import add_data_arg, record

TARGET = "metric/the_pile_pile_cc_val_loss"


def main() -> None:
    import pandas as pd

    from mixtures.regression import fit, spearman

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_data_arg(ap)
    d = ap.parse_args().data / "mixtures" / "regmix"
    X, Y = pd.read_csv(d / "train_mixture_1m.csv"), pd.read_csv(d / "train_pile_loss_1m.csv")
    Xt, Yt = pd.read_csv(d / "test_mixture_1m.csv"), pd.read_csv(d / "test_pile_loss_1m.csv")
    domains = [c for c in X.columns if c.startswith("train_")]
    rho = {k: round(spearman(fit(k, X[domains].values, Y[TARGET].values).predict(Xt[domains].values),
                             Yt[TARGET].values), 4) for k in ("lightgbm", "linear")}
    print(f"{len(X)} train / {len(Xt)} test mixtures of {len(domains)} domains; Spearman, Pile-CC loss: {rho}")
    record("regmix_spearman", rho, {"lightgbm": 0.95}, f"Spearman on {len(Xt)} unseen mixtures",
           rho["lightgbm"] >= 0.95,
           {"train_mixtures": len(X), "test_mixtures": len(Xt), "domains": len(domains)})


if __name__ == "__main__":
    main()
