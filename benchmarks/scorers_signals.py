"""Per-language histograms of the learned scorers' signals with the thresholds a config applies.

    python -m benchmarks.scorers_signals [--data D]                      # the recipe's models, a cascade build
    python -m benchmarks.scorers_signals --from BUILD_OUT [-c CONFIG.yaml]  # best on an --annotate-all build

Defaults as benchmarks/scorers_throughput.py (the recipe's models from benchmarks/scorer_models.py, the cascade
build in out/bench/scorer-models).
"""

from __future__ import annotations

import argparse

import numpy as np

from benchmarks.results import add_data_arg, scratch
from benchmarks.scorer_models import cascade_build, recipe_models

SIGNALS = (
    ("ppl_kenlm", "perplexity", True),
    ("quality_score", "quality", False),
    ("coherence_score", "coherence", False),
    ("safety_score", "safety", False),
)


def histogram(values: np.ndarray, log: bool, bins: int = 8) -> list[tuple[str, int]]:
    v = np.log10(values) if log else values
    counts, edges = np.histogram(v, bins=bins)
    fmt = (lambda e: f"{10**e:.0f}") if log else (lambda e: f"{e:.3g}")
    return [(f"{fmt(a)}-{fmt(b)}", int(c)) for a, b, c in zip(edges, edges[1:], counts)]


def main() -> None:
    from corpus.config import load_config
    from corpus.core.sql import connect
    from corpus.refilter import recorded_models
    from corpus.stages import STAGES

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_data_arg(ap)
    ap.add_argument("--from", dest="build_out", default=None, help="a build output (default: built by the script)")
    ap.add_argument("-c", "--config", default=None, help="the config whose thresholds to show (with --from)")
    args = ap.parse_args()
    if args.build_out:
        out, config = args.build_out, args.config
    else:
        work = scratch("scorer-models")
        out, config = cascade_build(args.data, recipe_models(args.data), work)
    cfg = load_config(config)
    con = connect(out)
    for key, stage, log in SIGNALS:
        rules = STAGES[stage].rules_of(cfg, recorded_models(out).get(stage, {}))
        print(f"\n### {key}\n")
        for lang in ("en", "zh"):
            vals = np.asarray(
                [
                    r[0]
                    for r in con.execute(
                        f"select {key} from docs where lang = ? and {key} is not null", [lang]
                    ).fetchall()
                ],
                dtype=float,
            )
            if not vals.size:
                continue
            mine = [r for r in rules.get(lang, ()) if r.key == key]
            fired = sum(any(r.fires(x) for r in mine) for x in vals)
            bounds = (
                ", ".join(
                    f"{r.reason}: {'<' + format(r.min, '.4g') if r.min is not None else '>' + format(r.max, '.4g')}"
                    for r in mine
                )
                or "none"
            )
            print(f"{lang}: n={vals.size}, median={np.median(vals):.4g}, thresholds [{bounds}], fire on {fired}")
            print("  " + "  ".join(f"[{b}] {c}" for b, c in histogram(vals, log)))


if __name__ == "__main__":
    main()
