"""A claim's figure as data: `record()` writes benchmarks/results/<claim>.json with the value, the
target, whether it was met, and what it takes to trust and rerun it (the command, the commit, the
machine, the date, the machine's load around the run, the CPU seconds spent).

The start of a run is taken when this module is imported (a benchmark imports it first), so the
load average "at start" and the CPU and wall seconds cover the whole script. CPU seconds are this
process's and those of the children it has reaped (a build's pool workers are reaped by their
forkserver, not by the script: compare CPU seconds between runs of one script only).

Also the one convention every script shares: `add_data_arg` (the shared data folder, `--data`,
default $CORPUS_SHARED_DATA or ../shared/data) and `scratch(name)` (out/bench/<name>, ignored by git).
"""

from __future__ import annotations

import json
import os
import platform
import resource
import shlex
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from evalsets import ROOT, default_data

RESULTS = Path(__file__).resolve().parent / "results"


def _cpu_seconds() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


_START = {"wall": time.time(), "cpu": _cpu_seconds(), "load": os.getloadavg()}


def _data_folder(value: str) -> Path:
    """--data as a folder that exists: a wrong path is one line from argparse, not a traceback from the
    first build that finds no input."""
    import argparse

    path = Path(value)
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"no such folder: {value} (the shared data folder)")
    return path


def add_data_arg(ap) -> None:
    ap.add_argument(
        "--data",
        type=_data_folder,
        default=str(default_data()),  # a string default goes through `type` too, so it is checked as well
        help="the shared data folder (default: $CORPUS_SHARED_DATA, else ../shared/data)",
    )


def scratch(name: str) -> Path:
    """The default scratch folder of a script: out/bench/<name> in the checkout (reruns overwrite it)."""
    return ROOT / "out" / "bench" / name


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def commit() -> str:
    """HEAD, with "-dirty" when tracked files differ from it."""
    head = _git("rev-parse", "HEAD") or "unknown"
    return head + ("-dirty" if _git("status", "--porcelain", "--untracked-files=no") else "")


def machine() -> dict:
    info = {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count()}
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            info["cpu_model"] = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), "")
        with open("/proc/meminfo", encoding="utf-8") as f:
            kb = next(int(ln.split()[1]) for ln in f if ln.startswith("MemTotal"))
        info["ram_gib"] = round(kb / 2**20, 1)
    except (OSError, StopIteration):
        info.setdefault("cpu_model", platform.processor())
    torch = sys.modules.get("torch")  # only when the script used it: importing torch costs seconds
    if torch is not None and torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name()
    return info


def command() -> str:
    """The command that is running, as it would be typed from the checkout."""
    spec = getattr(sys.modules["__main__"], "__spec__", None)
    head = ["python", "-m", spec.name] if spec and spec.name else ["python", sys.argv[0]]
    return shlex.join(head + sys.argv[1:])


def record(claim: str, value, target, unit: str, met: bool | None, details: dict | None = None) -> Path:
    """Write benchmarks/results/<claim>.json. `value` and `target`: a number, or {part: number} for a
    claim with parts (en / zh, ...); `target` may also be a word ("flat", "ordered") where the claim is
    not a bound; `met`: None where the claim has no pass/fail (a profile)."""
    result = {
        "claim": claim,
        "value": value,
        "target": target,
        "unit": unit,
        "met": met,
        "command": command(),
        "commit": commit(),
        "machine": machine(),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "load": {"start": [round(x, 2) for x in _START["load"]], "end": [round(x, 2) for x in os.getloadavg()]},
        "cpu_s": round(_cpu_seconds() - _START["cpu"], 1),
        "wall_s": round(time.time() - _START["wall"], 1),
        "details": details or {},
    }
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{claim}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result, indent=1, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    verdict = {True: "met", False: "NOT met", None: "no target"}[met]
    print(f"recorded {claim}: {value} {unit} (target {target}: {verdict}) -> {path.relative_to(ROOT)}")
    return path


def read(claim: str) -> dict | None:
    path = RESULTS / f"{claim}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
