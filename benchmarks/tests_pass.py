"""A claim that a test proves (down-sampling rates, fault injection): run its tests with pytest and
record how many passed. The test is the measurement; its assertions are the claim's bounds.

    python -m benchmarks.tests_pass --claim NAME TEST_PATH ... [-- pytest options]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys

from benchmarks.results import record
from evalsets import ROOT


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--claim", required=True)
    ap.add_argument("tests", nargs="+")
    args, pytest_args = ap.parse_known_args()
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args.tests, *pytest_args]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    print(proc.stdout[-4000:], proc.stderr[-2000:], sep="")
    tail = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    counts = {k: int(n) for n, k in re.findall(r"(\d+) (passed|failed|error|errors|skipped)", tail)}
    passed, total = counts.get("passed", 0), sum(counts.values())
    record(
        args.claim,
        f"{passed}/{total}",
        "all pass",
        "tests passed",
        proc.returncode == 0 and passed == total > 0,
        {"tests": args.tests, "pytest_summary": tail, "exit_code": proc.returncode},
    )
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
