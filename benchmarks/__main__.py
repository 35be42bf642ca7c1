"""The benchmark runner, from the checkout (the package installed editable):

    python -m benchmarks list                                  # claims, rough duration, result file or not
    python -m benchmarks run CLAIM [CLAIM ...] [--data PATH]   # the script that records each claim
    python -m benchmarks run all [--max-minutes 5] [--gpu]     # every claim's script once
    python -m benchmarks run CLAIM -- --repeat 1               # arguments after -- go to the script
    python -m benchmarks table                                 # BENCHMARKS.md's table from the results

Each script runs as `python -m benchmarks.<script> ...` in a process of its own, one after the
other, with `--data` (default $CORPUS_SHARED_DATA, else ../shared/data) where it reads the shared
data; it writes benchmarks/results/<claim>.json for every claim it measures.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import time

from benchmarks.claims import BY_NAME, CLAIMS, Claim
from benchmarks.results import RESULTS, add_data_arg, read
from evalsets import ROOT


def jobs(claims: list[Claim]) -> list[tuple[Claim, list[str]]]:
    """One run per (script, arguments), with every claim that run records."""
    runs = dict.fromkeys((c.script, c.args) for c in claims)
    return [
        (
            next(c for c in claims if (c.script, c.args) == key),
            [c.name for c in CLAIMS if (c.script, c.args) == key and not c.retired],
        )
        for key in runs
    ]


def select(names: list[str], max_minutes: float | None, gpu: bool) -> list[Claim]:
    if names == ["all"]:
        return [
            c
            for c in CLAIMS
            if not c.retired and (gpu or not c.gpu) and (max_minutes is None or c.minutes <= max_minutes)
        ]
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        raise SystemExit(f"unknown claim {', '.join(unknown)}: `python -m benchmarks list` names them all")
    retired = [n for n in names if BY_NAME[n].retired]
    if retired:
        raise SystemExit(f"retired, nothing to run: {', '.join(retired)}")
    return [BY_NAME[n] for n in names]


def run(args, extra: list[str]) -> int:
    failed = []
    for claim, names in jobs(select(args.claims, args.max_minutes, args.gpu)):
        cmd = [
            sys.executable,
            "-m",
            f"benchmarks.{claim.script}",
            *claim.args,
            *(["--data", str(args.data)] if claim.data else []),
            *extra,
        ]
        print(
            f"\n$ {shlex.join(['python', *cmd[1:]])}    # {', '.join(names)}; about {claim.minutes:g} min", flush=True
        )
        t0 = time.time()
        rc = subprocess.run(cmd, cwd=ROOT).returncode
        fresh = [n for n in names if (RESULTS / f"{n}.json").exists() and (RESULTS / f"{n}.json").stat().st_mtime >= t0]
        print(f"# {claim.script}: exit {rc}, {time.time() - t0:.0f} s; recorded: {', '.join(fresh) or 'nothing'}")
        if rc or len(fresh) < len(names):
            failed += [n for n in names if n not in fresh]
    if failed:
        print(f"\nnot recorded: {', '.join(failed)}")
    print("\nBENCHMARKS.md's table: python -m benchmarks table")
    return 1 if failed else 0


def list_claims() -> int:
    print(f"{'claim':24} {'script':22} {'min':>4}  {'needs':10} result")
    for c in CLAIMS:
        if c.retired:
            print(f"{c.name:24} {'-':22} {'':>4}  {'':10} retired: {c.retired}")
            continue
        r = read(c.name)
        needs = ",".join(n for n, on in (("data", c.data), ("gpu", c.gpu)) if on) or "-"
        verdict = {True: "met", False: "NOT met", None: "no bound"}[r["met"]] if r else ""
        state = f"{r['date'][:10]}, {verdict}" if r else "none"
        print(f"{c.name:24} {c.script:22} {c.minutes:4g}  {needs:10} {state}")
    unregistered()
    return 0


def unregistered() -> None:
    """Result files that no claim of benchmarks/claims.py names: the table cannot show them."""
    extra = sorted(p.stem for p in RESULTS.glob("*.json") if p.stem not in BY_NAME)
    if extra:
        print(f"\nresult files with no entry in benchmarks/claims.py (not in the table): {', '.join(extra)}")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    extra = argv[argv.index("--") + 1 :] if "--" in argv else []
    argv = argv[: argv.index("--")] if "--" in argv else argv
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__.split("\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__,
    )
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="run the scripts that record these claims (or all)")
    r.add_argument("claims", nargs="+")
    add_data_arg(r)
    r.add_argument("--max-minutes", type=float, default=None, help="with all: only claims at most this long")
    r.add_argument("--gpu", action="store_true", help="with all: the GPU claims too")
    sub.add_parser("list", help="the claims, their rough duration and whether a result file exists")
    sub.add_parser("table", help="regenerate the claims table in BENCHMARKS.md from the result files")
    args = ap.parse_args(argv)
    if args.cmd == "run":
        return run(args, extra)
    if args.cmd == "list":
        return list_claims()
    from benchmarks.table import BENCHMARKS_MD, write

    write()
    print(f"{BENCHMARKS_MD.relative_to(ROOT)}: claims table regenerated from {RESULTS.relative_to(ROOT)}/")
    unregistered()
    return 0


if __name__ == "__main__":
    sys.exit(main())
