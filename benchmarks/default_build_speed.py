"""Default `corpus build` of this checkout beside another checkout of the project (the baseline),
on the same inputs, alternating runs; wall seconds and CPU seconds of the whole process tree.

    python -m benchmarks.default_build_speed --baseline-commit 8077793 [--repeats 3] [--workers 2] [inputs ...]
    python -m benchmarks.default_build_speed --baseline /path/to/old/checkout ...

Default inputs: DATA/warc/*.warc.gz. `--baseline-commit` unpacks that commit of this repository with
`git archive` into the scratch folder (no checkout, no change to the working tree). With the default
config it records the claim default_build_speed (this / baseline, median wall seconds).

Each side runs as `python -m corpus.cli build` with PYTHONPATH set to its checkout, in a fresh
output directory; one untimed run per side first (demo models are trained once and cached).
Compare wall times on an idle machine: the CPU column counts only the processes the build
reaped (datatrove's pool workers are reaped by its forkserver), so it undercounts both sides.
"""

from __future__ import annotations

import argparse
import glob
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.results import add_data_arg, record, scratch
from evalsets import ROOT as HERE


def unpack_commit(commit: str, into: Path) -> str:
    """The tree of `commit` under `into` (once), read from git without touching the working tree."""
    tree = into / f"baseline-{commit}"
    if not (tree / "corpus").is_dir():
        shutil.rmtree(tree, ignore_errors=True)
        tree.mkdir(parents=True)
        archive = subprocess.run(["git", "archive", "--format=tar", commit], cwd=HERE, capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    return str(tree)


def run_once(tree: str, inputs: list[str], out: str, workers: int, config: str = "") -> tuple[float, float]:
    shutil.rmtree(out, ignore_errors=True)
    env = dict(os.environ, PYTHONPATH=tree, LOGURU_LEVEL="WARNING")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "corpus.cli",
            "build",
            *inputs,
            "-o",
            out,
            "--workers",
            str(workers),
            *(["-c", config] if config else []),
        ],
        cwd=tree,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    ap = argparse.ArgumentParser()
    side = ap.add_mutually_exclusive_group(required=True)
    side.add_argument("--baseline", help="another checkout of the project")
    side.add_argument("--baseline-commit", help="a commit of this repository, unpacked by git archive")
    add_data_arg(ap)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--work", type=Path, default=scratch("default-build-speed"))
    ap.add_argument("-c", "--config", default="", help="a build YAML for both sides (default: the default config)")
    ap.add_argument("inputs", nargs="*")
    args = ap.parse_args()
    inputs = [os.path.abspath(p) for p in args.inputs] or sorted(glob.glob(f"{args.data}/warc/*.warc.gz"))
    baseline = os.path.abspath(args.baseline) if args.baseline else unpack_commit(args.baseline_commit, args.work)
    sides = {"baseline": baseline, "this checkout": str(HERE)}
    times: dict[str, list[tuple[float, float]]] = {k: [] for k in sides}
    for name, tree in sides.items():  # warm-up: demo models, page cache
        run_once(
            tree,
            inputs,
            f"{args.work}/{name.replace(' ', '-')}",
            args.workers,
            os.path.abspath(args.config) if args.config else "",
        )
    for _ in range(args.repeats):
        for name, tree in sides.items():
            times[name].append(
                run_once(
                    tree,
                    inputs,
                    f"{args.work}/{name.replace(' ', '-')}",
                    args.workers,
                    os.path.abspath(args.config) if args.config else "",
                )
            )
    print(
        f"{len(inputs)} inputs, {sum(os.path.getsize(p) for p in inputs) / 1e6:.1f} MB, workers {args.workers}, "
        f"repeats {args.repeats}, load average {os.getloadavg()[0]:.1f}"
    )
    med = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v)) for k, v in times.items()}
    for name, (wall, cpu) in med.items():
        print(
            f"{name:14} median wall {wall:6.1f} s   median CPU {cpu:6.1f} s   runs {[round(w, 1) for w, _ in times[name]]}"  # noqa: E501
        )
    (bw, bc), (tw, tc) = med["baseline"], med["this checkout"]
    print(f"this / baseline: wall {tw / bw:.2f}x, CPU {tc / bc:.2f}x (above 1: slower)")
    if not args.config:
        record(
            "default_build_speed",
            round(tw / bw, 3),
            1.10,
            f"x the wall time of {args.baseline_commit or baseline}",
            tw / bw <= 1.10,
            {
                "median_wall_s": {"baseline": bw, "this": tw},
                "median_cpu_s": {"baseline": bc, "this": tc},
                "runs": times,
                "inputs": len(inputs),
                "workers": args.workers,
            },
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
