"""Corpora for the MinHash memory checks, synthesised from real sentences of the shared data:
each base document joins random sentences of one language, a share of them gets a near-duplicate
(edited or truncated). Files hold a fixed number of documents, so a larger corpus means more
files, not larger ones. `RUNNER` runs the MinHash stage alone in a fresh interpreter
(`python -c RUNNER OUT IN WORKERS MEMORY_MB`, with PYTHONPATH=ROOT) and prints its peak RSS."""

from __future__ import annotations

import os
import re

import numpy as np

from evalsets import ROOT as _ROOT

ROOT = str(_ROOT)
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
