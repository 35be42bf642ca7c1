"""Where the heuristic thresholds sit in clean reference text: per language and rule, the share of
reference documents the default threshold removes and the reference percentile at the chosen
tail, on calibration rows disjoint from the ones `benchmarks/retention.py` evaluates.

This is how the Chinese defaults in filters/data/heuristics.yaml were checked (in the spirit of
FineWeb-2's per-language calibration against Wikipedia): a published threshold that removes more
than `--tail` of reference documents on its own is loosened to that percentile.

    python -m benchmarks.reference_percentiles [--data D] [--tail 0.002]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from datatrove.data import Document

from benchmarks.results import add_data_arg
from corpus.core.steps import rules_for
from evalsets import retention_inputs as R
from filters.config import HeuristicsConfig
from filters.heuristics.params import default_rules
from filters.heuristics.steps import FAMILIES, HeuristicScorer


def calibration_docs(data: Path, name: str) -> list[str]:
    """The odd rows of a reference set: the retention benchmark evaluates the even ones."""
    return R.reference_docs(data, name, part=1)


def main() -> int:
    ap = argparse.ArgumentParser()
    add_data_arg(ap)
    ap.add_argument("--tail", type=float, default=0.002, help="share of reference a rule may remove on its own")
    ap.add_argument("--per-set", type=int, default=400, help="calibration documents per reference set")
    args = ap.parse_args()
    hc = HeuristicsConfig()
    scorer = HeuristicScorer(tuple(FAMILIES), hc)
    for lang in ("en", "zh"):
        names = [n for n, (lg, _, _) in R.REFERENCE.items() if lg == lang and n not in R.NO_FLOOR]
        signals = []
        for name in names:
            docs = calibration_docs(Path(args.data), name)
            docs = docs[:: max(1, len(docs) // args.per_set)][: args.per_set]
            signals += [scorer.score(Document(text=t, id=str(i), metadata={"lang": lang})) for i, t in enumerate(docs)]
        print(f"\n{lang}: {len(signals)} calibration documents from {', '.join(names)}")
        print(f"  {'signal':32} {'bound':>5} {'default':>9} {'removes':>8} {'p(tail)':>9}")
        for fam in FAMILIES:
            for rule in rules_for(default_rules(hc, fam), lang):
                vals = np.array([s[rule.key] for s in signals if s.get(rule.key) is not None], dtype=float)
                if not len(vals):
                    continue
                removes = float(np.mean([rule.fires(x) for x in vals]))
                side, bound = ("min", rule.min) if rule.min is not None else ("max", rule.max)
                q = np.quantile(vals, args.tail if side == "min" else 1 - args.tail)
                flag = "  <-- above tail" if removes > args.tail else ""
                print(f"  {rule.key:32} {side:>5} {bound:9.4g} {100 * removes:7.2f}% {q:9.4g}{flag}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
