"""RegMix's released runs (`DATA/mixtures/regmix`): 512 mixtures of 17 Pile domains, each a 1M-parameter
proxy's validation loss. Two claims:

- regmix_spearman: fit on the train files, rank the 256 test mixtures by predicted Pile-CC loss,
  Spearman against their measured loss, for LightGBM (RegMix's settings) and a linear fit on the
  weights (`mixtures/regression.py`);
- regmix_proposal: the search's proposal (`mixtures/search.py`: the fit chosen by held-out rank
  correlation, candidates from RegMix's token-share prior, the best mixture in the hull of the best
  100) fitted on 512, 128 and 64 runs, against RegMix's published 1B mixture: L1 distance, and the
  fit's predicted loss for both; beside it, the search before issue 24 (Dirichlet(1), top-100 mean).
  evalsets/regmix.py says how the prior and the published mixture are taken.

    python -m benchmarks.regmix_fit [--data ../shared/data]

tests/mixtures/test_mix.py and test_search.py assert the same bounds.
"""

from __future__ import annotations

import argparse
import json

from benchmarks.results import add_data_arg, record


def main() -> None:
    from evalsets.regmix import load, old_default_check, proposal_check
    from mixtures.regression import fit, spearman

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_data_arg(ap)
    data = ap.parse_args().data
    (W, y, names), (Wt, yt, _) = load(data, "train", normalised=False), load(data, "test", normalised=False)
    rho = {k: round(spearman(fit(k, W, y).predict(Wt), yt), 4) for k in ("lightgbm", "linear")}
    print(f"{len(y)} train / {len(yt)} test mixtures of {len(names)} domains; Spearman, Pile-CC loss: {rho}")
    record(
        "regmix_spearman",
        rho,
        {"lightgbm": 0.95},
        f"Spearman on {len(yt)} unseen mixtures",
        rho["lightgbm"] >= 0.95,
        {"train_mixtures": len(y), "test_mixtures": len(yt), "domains": len(names)},
    )

    new = {n: proposal_check(data, n) for n in (512, 128, 64)}
    old = old_default_check(data)
    print(json.dumps({"before": old, "now": new}, indent=1))
    value = {f"l1_{n}": f["l1"] for n, f in new.items()}
    met = new[512]["l1"] <= 0.2 and new[512]["predicted"] <= new[512]["predicted_published"]
    record(
        "regmix_proposal",
        value,
        {"l1_512": 0.2},
        "L1 from RegMix's published 1B mixture (512 / 128 / 64 runs; fit predicts it no worse at 512)",
        met,
        {"now": new, "before_issue_24": old},
    )


if __name__ == "__main__":
    main()
