"""Scale test: MinHash dedup of corpora far larger than an in-memory LSH index would fit in the
configured memory, with peak RSS measured at two corpus sizes.

Documents are synthesised from real sentences (shared data folder, English and Chinese): each
base document joins random sentences of one language, and a share of them gets a near-duplicate
(edited or truncated). Input files hold a fixed number of documents, so a larger corpus means
more files (shards), not larger ones.

    python benchmarks/dedup_scale.py --data ../shared/data --sizes 100000,200000 --memory-mb 16
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUNNER = """
import json, resource, sys, time
from corpus.config import BuildConfig, ExecutorConfig
from dedup.config import DedupConfig
from dedup.stages import run_standalone
if __name__ == "__main__":
    out, inp, workers, mem = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    cfg = BuildConfig(output=out, executor=ExecutorConfig(workers=workers), dedup=DedupConfig(memory_mb=mem))
    t = time.time()
    run_standalone("dedup_minhash", cfg, inp)
    print(json.dumps({"wall_s": time.time() - t,
                      "peak_rss_mb_workers": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                      "peak_rss_mb_driver": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def sentence_pool(data: str) -> dict[str, list[str]]:
    from dedup.synth import real_docs

    pool = {}
    for lang, pat in (("en", r"(?<=[.!?]) +"), ("zh", r"(?<=[。！？])")):
        sents = [s for d in real_docs(data, lang, 10_000) for s in re.split(pat, d.text) if len(s) > 20]
        pool[lang] = sents
    return pool


def synthesise(pool: dict, n: int, folder: str, per_file: int, seed: int, share: float = 0.2) -> int:
    """Writes n documents (a `share` of them planted copies); returns the number of copies."""
    from dedup.synth import Doc, edit, truncate, write_parquet

    rng = np.random.default_rng(seed)
    copies = 0
    for f in range(0, n, per_file):
        docs = []
        while len(docs) < min(per_file, n - f):
            lang = "en" if rng.random() < 0.6 else "zh"
            sents = pool[lang]
            sep = " " if lang == "en" else ""
            text = sep.join(sents[i] for i in rng.integers(0, len(sents), rng.integers(5, 15)))
            docs.append(Doc(f"{lang}-{f + len(docs):08d}", text, lang))
            if rng.random() < share and len(docs) < per_file:
                copy = edit(text, lang, rng, 0.02) if rng.random() < 0.5 else truncate(text, rng)
                docs.append(Doc(f"{docs[-1].id}-copy", copy, lang, docs[-1].id, "copy"))
                copies += 1
        tmp = os.path.join(folder, "tmp")
        write_parquet(docs, tmp, files=1)
        os.replace(os.path.join(tmp, "00000.parquet"), os.path.join(folder, f"{f // per_file:05d}.parquet"))
    return copies


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
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data"))
    ap.add_argument("--sizes", default="100000,200000")
    ap.add_argument("--memory-mb", type=float, default=16)
    ap.add_argument("--per-file", type=int, default=25_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--tmp", default=None, help="scratch folder (default: system temp)")
    args = ap.parse_args()
    pool = sentence_pool(args.data)
    per_doc = index_bytes_per_doc(pool)
    capacity = args.memory_mb * 2**20 / per_doc
    print(json.dumps({"datasketch_index_bytes_per_doc": round(per_doc), "memory_mb": args.memory_mb,
                      "in_memory_index_capacity_docs": int(capacity)}))
    env = {**os.environ, "PYTHONPATH": ROOT}
    for n in map(int, args.sizes.split(",")):
        with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
            t = time.time()
            copies = synthesise(pool, n, os.path.join(tmp, "in"), args.per_file, seed=n)
            gen_s = time.time() - t
            res = subprocess.run([sys.executable, "-c", RUNNER, os.path.join(tmp, "out"), os.path.join(tmp, "in"),
                                  str(args.workers), str(args.memory_mb)], env=env, capture_output=True, text=True)
            if res.returncode:
                sys.exit(res.stderr[-3000:])
            stats = json.loads(res.stdout.strip().splitlines()[-1])
            shards = len({f.split("-")[0] for f in os.listdir(os.path.join(tmp, "out", "work", "seg01-minhash", "records"))})
            dropped = sum(1 for _ in _dropped_rows(os.path.join(tmp, "out")))
        print(json.dumps({"docs": n, "x_index_capacity": round(n / capacity, 1), "planted_copies": copies,
                          "dropped": dropped, "hash_shards": shards, "input_files": -(-n // args.per_file),
                          "generate_s": round(gen_s, 1), **{k: round(v, 1) for k, v in stats.items()}}))


def _dropped_rows(out: str):
    import glob

    import pyarrow.parquet as pq

    for f in glob.glob(os.path.join(out, "dropped", "*.parquet")):
        yield from range(pq.ParquetFile(f).metadata.num_rows)


if __name__ == "__main__":
    main()
