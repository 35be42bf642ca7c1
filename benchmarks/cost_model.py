"""The cost model of docs/scale.md: records per CPU-second of the default `corpus build` beside datatrove's
extract + LID + Parquet pipeline (benchmarks/build_throughput.py's), on the same shards, one worker each, in
one run, the order alternated; and the core-hours both mean for one Common Crawl dump of about 3 billion
pages (one page a WARC response record; fixed start-up costs counted, so the figure is pessimistic).

    python -m benchmarks.cost_model [--data D] [--rounds 2]

Claim cost_model (reported, no bound): core-hours per dump, ours and datatrove's.
"""

from __future__ import annotations

import argparse
import glob
import shutil
import sys

from benchmarks.build_throughput import replicate, run_datatrove, timed
from benchmarks.results import add_data_arg, record, scratch

DUMP_PAGES = 3_000_000_000


def run_ours(files: list[str], out) -> int:
    from corpus.build import build
    from corpus.config import load_config

    result = build(load_config(None, inputs=tuple(files), output=str(out), executor={"workers": 1}))
    return sum(s["records"] for s in result.shards.values())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_data_arg(ap)
    ap.add_argument("--rounds", type=int, default=2, help="measured rounds after one warm-up")
    args = ap.parse_args()
    work = scratch("cost-model")
    shutil.rmtree(work, ignore_errors=True)
    folder = work / "in"
    files = replicate(sorted(glob.glob(f"{args.data}/warc/*.warc.gz")), 1, folder)
    sides = {
        "corpus build (default)": lambda out: run_ours(files, out),
        "datatrove extract + LID": lambda out: run_datatrove(folder, len(files), 1, out),
    }
    got: dict[str, list[tuple[int, float]]] = {k: [] for k in sides}
    for r in range(args.rounds + 1):  # round 0 warms up (demo models, page cache)
        for name, fn in sides.items() if r % 2 else reversed(list(sides.items())):
            n, _, cpu = timed(fn, work / f"{name.split()[0]}-{r}")
            print(f"round {r} {name}: {n} records, {cpu:.2f} CPU-s", flush=True)
            if r:
                got[name].append((n, cpu))
    rate = {k: sum(n for n, _ in v) / sum(c for _, c in v) for k, v in got.items()}
    hours = {k: round(DUMP_PAGES / r / 3600) for k, r in rate.items()}
    for k in sides:
        print(f"{k}: {rate[k]:.1f} records per CPU-second -> {hours[k]:,} core-hours per {DUMP_PAGES:,} pages")
    record(
        "cost_model",
        {k: hours[k] for k in sides},
        "reported",
        f"core-hours per dump of {DUMP_PAGES:,} pages (records per CPU-second on the shared WARC shards, 1 worker)",
        None,
        {"records_per_cpu_s": {k: round(v, 1) for k, v in rate.items()}, "runs": got, "files": len(files)},
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
