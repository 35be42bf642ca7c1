"""`corpus build` on Ray beside the local executor: same split shards, same cores, same stages, in one
run; rows of the two outputs compared as well.

The shared WARC shards (DATA/warc) are dealt into `--files` small files (evalsets.warcs); each build
writes to a fresh directory; Ray's cluster is started once (`ray.init(num_cpus=cores)`) before its
timed builds, so its start-up is reported apart; the Ray executor's actors (one per worker, kept for the
build) are started by the first Ray build in this process and kept by the later ones, so with
`--repeats 2` the first Ray rep includes their start-up and the second does not (both printed). docs/s counts
records read.

    python -m benchmarks.ray_vs_local [--data D] --files 16 --cores 2 --repeats 2

Records the claim ray_vs_local (best local wall / best Ray wall; rows must be identical).
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import time
from pathlib import Path

os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
os.environ.setdefault("LOGURU_LEVEL", "WARNING")

from benchmarks.results import add_data_arg, record, scratch  # noqa: E402
from evalsets.warcs import split_warcs  # noqa: E402

STAGES = [
    "url_filter",
    "lang_id",
    "gopher_quality",
    "gopher_repetition",
    "c4",
    "fineweb",
    "dedup_minhash",
    "dedup_exact",
]


def timed_build(files: list[str], out: Path, stages: list[str], executor: dict) -> tuple[float, int]:
    from corpus.build import build
    from corpus.config import load_config

    shutil.rmtree(out, ignore_errors=True)
    t0 = time.perf_counter()
    r = build(load_config(None, inputs=tuple(files), output=str(out), stages=stages, executor=executor))
    wall = time.perf_counter() - t0
    assert r.exit_code == 0, out
    return wall, sum(s["records"] for s in r.shards.values())


def same_rows(a: Path, b: Path) -> bool:
    from corpus.core.sql import connect

    rows = lambda d: {
        f: connect(str(d)).execute(f"select * from {f} order by id").fetchall()  # noqa: E731
        for f in ("kept", "dropped", "failed")
    }
    return rows(a) == rows(b)


def main() -> None:
    ap = argparse.ArgumentParser()
    add_data_arg(ap)
    ap.add_argument("--files", type=int, default=16)
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--stages", nargs="+", default=STAGES)
    ap.add_argument("--work", type=Path, default=scratch("ray-vs-local"))
    a = ap.parse_args()

    work = Path(a.work)
    shutil.rmtree(work, ignore_errors=True)
    files = split_warcs(sorted(glob.glob(os.path.join(a.data, "warc", "*.warc.gz"))), a.files, str(work / "in"))
    print(
        f"{len(files)} files, {sum(os.path.getsize(f) for f in files) / 1e6:.1f} MB, stages {a.stages}, "
        f"{a.cores} cores; load average before: {os.getloadavg()}"
    )
    import ray

    t0 = time.perf_counter()
    ray.init(num_cpus=a.cores, include_dashboard=False, log_to_driver=False)
    print(f"ray.init: {time.perf_counter() - t0:.1f}s")
    kinds = {"local": {"workers": a.cores}, "ray": {"kind": "ray", "workers": a.cores}}
    walls = {k: [] for k in kinds}
    for rep in range(a.repeats):
        for kind, ex in kinds.items():  # interleaved, so a change in the machine's load hits both
            wall, records = timed_build(files, work / f"{kind}-{rep}", a.stages, ex)
            walls[kind].append(wall)
            print(f"{kind:9s} rep {rep}: {wall:6.1f}s  {records / wall:5.1f} docs/s  load {os.getloadavg()[0]:.1f}")
    best = {k: min(v) for k, v in walls.items()}
    same = {kind: same_rows(work / "local-0", work / f"{kind}-0") for kind in kinds}
    for kind in kinds:
        print(
            f"best of {a.repeats}: {kind} {best[kind]:.1f}s, throughput vs local {best['local'] / best[kind]:.2f}x, "
            f"rows identical to local: {same[kind]}"
        )
    print(f"load average after: {os.getloadavg()}")
    ray.shutdown()
    ratio = round(best["local"] / best["ray"], 3)
    record(
        "ray_vs_local",
        ratio,
        0.8,
        "x local (best of each)" + ("" if same["ray"] else ", rows DIFFER"),
        ratio >= 0.8 and same["ray"],
        {
            "walls_s": walls,
            "first_ray_build_vs_local": walls["local"][0] / walls["ray"][0],
            "files": len(files),
            "stages": a.stages,
            "cores": a.cores,
        },
    )


if __name__ == "__main__":
    main()
