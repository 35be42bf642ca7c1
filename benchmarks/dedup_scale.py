"""Scale test: MinHash dedup of corpora far larger than an in-memory LSH index would fit in the
configured memory, with peak RSS measured at two corpus sizes.

Documents are synthesised from real sentences (shared data folder, English and Chinese): each
base document joins random sentences of one language, and a share of them gets a near-duplicate
(edited or truncated). Input files hold a fixed number of documents, so a larger corpus means
more files (shards), not larger ones.

    python -m benchmarks.dedup_scale [--data ../shared/data] --sizes 100000,200000 --memory-mb 16

Records the claim dedup_rss: peak RSS of the workers and of the driver per size, "flat" when the
largest size's peak is within FLAT (1.15x) of the smallest's, for both. The corpora and the runner
are `evalsets.dedup_scale` (tests/dedup/test_scale.py runs a small version).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

from benchmarks.results import add_data_arg, record
from evalsets.dedup_scale import ROOT, RUNNER, sentence_pool, synthesise

FLAT = 1.15  # "flat": the largest corpus's peak RSS at most this times the smallest corpus's


def index_bytes_per_doc(pool: dict, n: int = 5000) -> float:
    """Resident bytes per document of datasketch's in-memory MinHashLSH (14 x 8), in a subprocess."""
    code = f"""
import resource, numpy as np, json, sys
from datasketch import MinHash, MinHashLSH
rng = np.random.default_rng(0)
ms = []
for _ in range({n}):
    m = MinHash(num_perm=112)
    m.update_batch([bytes(x) for x in rng.integers(0, 255, (50, 8), dtype=np.uint8)])
    ms.append(m)
lsh = MinHashLSH(num_perm=112, params=(14, 8))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
for i, m in enumerate(ms):
    lsh.insert(f"doc-{{i:08d}}", m)
del ms
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps((after - before) * 1024 / {n}))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_data_arg(ap)
    ap.add_argument("--sizes", default="100000,200000")
    ap.add_argument("--memory-mb", type=float, default=16)
    ap.add_argument("--per-file", type=int, default=25_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--tmp", default=None, help="scratch folder (default: system temp)")
    args = ap.parse_args()
    pool = sentence_pool(str(args.data))
    per_doc = index_bytes_per_doc(pool)
    capacity = args.memory_mb * 2**20 / per_doc
    print(
        json.dumps(
            {
                "datasketch_index_bytes_per_doc": round(per_doc),
                "memory_mb": args.memory_mb,
                "in_memory_index_capacity_docs": int(capacity),
            }
        )
    )
    env = {**os.environ, "PYTHONPATH": ROOT}
    rows = []
    for n in map(int, args.sizes.split(",")):
        with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
            t = time.time()
            copies = synthesise(pool, n, os.path.join(tmp, "in"), args.per_file, seed=n)
            gen_s = time.time() - t
            res = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    RUNNER,
                    os.path.join(tmp, "out"),
                    os.path.join(tmp, "in"),
                    str(args.workers),
                    str(args.memory_mb),
                ],
                env=env,
                capture_output=True,
                text=True,
            )
            if res.returncode:
                sys.exit(res.stderr[-3000:])
            stats = json.loads(res.stdout.strip().splitlines()[-1])
            shards = len(
                {f.split("-")[0] for f in os.listdir(os.path.join(tmp, "out", "work", "seg01-minhash", "records"))}
            )
            dropped = sum(1 for _ in _dropped_rows(os.path.join(tmp, "out")))
        rows.append(
            {
                "docs": n,
                "x_index_capacity": round(n / capacity, 1),
                "planted_copies": copies,
                "dropped": dropped,
                "hash_shards": shards,
                "input_files": -(-n // args.per_file),
                "generate_s": round(gen_s, 1),
                **{k: round(v, 1) for k, v in stats.items()},
            }
        )
        print(json.dumps(rows[-1]))
    peaks = {
        f"{who} {r['x_index_capacity']}x": r[key]
        for who, key in (("workers", "peak_rss_mb_workers"), ("driver", "peak_rss_mb_driver"))
        for r in rows
    }
    flat = all(rows[-1][k] <= FLAT * rows[0][k] for k in ("peak_rss_mb_workers", "peak_rss_mb_driver"))
    record(
        "dedup_rss",
        peaks,
        f"flat (largest within {FLAT}x of smallest)",
        "MB peak RSS (x the in-memory index's capacity)",
        flat,
        {"rows": rows, "datasketch_index_bytes_per_doc": per_doc, "memory_mb": args.memory_mb},
    )


def _dropped_rows(out: str):
    import glob

    import pyarrow.parquet as pq

    for f in glob.glob(os.path.join(out, "dropped", "*.parquet")):
        yield from range(pq.ParquetFile(f).metadata.num_rows)


if __name__ == "__main__":
    main()
