"""`corpus refilter` vs a full rebuild with the same new thresholds, in one run.

    python benchmarks/refilter_speed.py INPUT... --work DIR [--workers 2]

Builds INPUT once with --annotate-all (not timed against anything: the starting point), then
times (a) a full `corpus build` with new thresholds and (b) `corpus refilter` of the first
build with the same thresholds, and checks that both keep the same documents.
"""

from __future__ import annotations

import argparse
import os
import time

import duckdb

SETS = ("en.gopher_word_count.min=120", "zh.gopher_word_count.min=150", "c4_sentences.min=3",
        "fineweb_char_dup_ratio.max=0.05")


def kept(out: str) -> set:
    return {r[0] for r in duckdb.connect().execute(f"select id from read_parquet('{out}/kept/*.parquet')").fetchall()}


def main() -> None:
    from corpus.build import build
    from corpus.config import load_config
    from corpus.refilter import effective_config, refilter

    ap = argparse.ArgumentParser()
    ap.add_argument("inputs", nargs="+")
    ap.add_argument("--work", required=True)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    base, rebuilt, refiltered = (os.path.join(args.work, x) for x in ("base", "rebuilt", "refiltered"))
    ex = {"workers": args.workers}
    t = time.perf_counter()
    build(load_config(None, inputs=tuple(args.inputs), output=base, annotate_all=True, executor=ex), overwrite=True)
    t_base = time.perf_counter() - t
    cfg = effective_config(base, sets=SETS)
    t = time.perf_counter()
    build(load_config(None, inputs=tuple(args.inputs), output=rebuilt, executor=ex,
                      thresholds=cfg.thresholds), overwrite=True)
    t_rebuild = time.perf_counter() - t
    t = time.perf_counter()
    refilter(base, refiltered, cfg, overwrite=True)
    t_refilter = time.perf_counter() - t
    same = kept(rebuilt) == kept(refiltered)
    print(f"annotate-all build: {t_base:.1f}s; rebuild with new thresholds: {t_rebuild:.1f}s; "
          f"refilter: {t_refilter:.2f}s; speed-up {t_rebuild / t_refilter:.1f}x; "
          f"same kept set: {same} ({len(kept(rebuilt))} docs)")


if __name__ == "__main__":
    main()
