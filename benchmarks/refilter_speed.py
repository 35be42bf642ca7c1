"""`corpus refilter` vs a full rebuild with the same new thresholds, in one run.

    python -m benchmarks.refilter_speed [--data D] [--work DIR] [--workers 2] [INPUT ...]

INPUT defaults to DATA/warc/*.warc.gz and DATA/warc-real. Builds INPUT once with --annotate-all (not timed
against anything: the starting point), then
times (a) a full `corpus build` with new thresholds and (b) `corpus refilter` of the first
build with the same thresholds, and checks that both keep the same documents. Records the claim
refilter_speed (rebuild seconds / refilter seconds).
"""

from __future__ import annotations

import argparse
import glob
import os
import time
from pathlib import Path

import duckdb

from benchmarks.results import add_data_arg, record, scratch

SETS = (
    "en.gopher_word_count.min=120",
    "zh.gopher_word_count.min=150",
    "c4_sentences.min=3",
    "fineweb_char_dup_ratio.max=0.05",
)


def kept(out: str) -> set:
    return {r[0] for r in duckdb.connect().execute(f"select id from read_parquet('{out}/kept/*.parquet')").fetchall()}


def main() -> None:
    from corpus.build import build
    from corpus.config import load_config
    from corpus.refilter import effective_config, refilter

    ap = argparse.ArgumentParser()
    ap.add_argument("inputs", nargs="*")
    add_data_arg(ap)
    ap.add_argument("--work", type=Path, default=scratch("refilter-speed"))
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    args.inputs = args.inputs or [
        *sorted(glob.glob(str(args.data / "warc" / "*.warc.gz"))),
        str(args.data / "warc-real"),
    ]
    base, rebuilt, refiltered = (os.path.join(args.work, x) for x in ("base", "rebuilt", "refiltered"))
    ex = {"workers": args.workers}
    t = time.perf_counter()
    build(load_config(None, inputs=tuple(args.inputs), output=base, annotate_all=True, executor=ex), overwrite=True)
    t_base = time.perf_counter() - t
    cfg = effective_config(base, sets=SETS)
    t = time.perf_counter()
    build(
        load_config(None, inputs=tuple(args.inputs), output=rebuilt, executor=ex, thresholds=cfg.thresholds),
        overwrite=True,
    )
    t_rebuild = time.perf_counter() - t
    t = time.perf_counter()
    refilter(base, refiltered, cfg, overwrite=True)
    t_refilter = time.perf_counter() - t
    same = kept(rebuilt) == kept(refiltered)
    speedup = t_rebuild / t_refilter
    print(
        f"annotate-all build: {t_base:.1f}s; rebuild with new thresholds: {t_rebuild:.1f}s; "
        f"refilter: {t_refilter:.2f}s; speed-up {speedup:.1f}x; same kept set: {same} ({len(kept(rebuilt))} docs)"
    )
    record(
        "refilter_speed",
        round(speedup, 1),
        20,
        "x faster than a rebuild" + ("" if same else ", kept sets DIFFER"),
        speedup >= 20 and same,
        {
            "annotate_all_build_s": t_base,
            "rebuild_s": t_rebuild,
            "refilter_s": t_refilter,
            "same_kept_set": same,
            "kept": len(kept(rebuilt)),
            "thresholds": SETS,
        },
    )


if __name__ == "__main__":
    main()
