"""Agreement with datatrove's own MinHash dedup on the same English documents and parameters.

Both see the quality benchmark's English corpus (real documents + planted near-duplicates) with
word 5-grams, 14 bands x 8 rows, 64-bit hashes; the smallest document keeps its place in both
(ours: survivor_key=() so the smallest id survives; datatrove keeps the first document of a
cluster). Disagreements are listed with the pair's true Jaccard similarity (ours, by brute force).

    python -m benchmarks.dedup_agreement [--data ../shared/data] [--docs 3000]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile

import numpy as np

from benchmarks.dedup_quality import read_clusters, true_pairs
from benchmarks.results import add_data_arg
from corpus.core import vocab
from corpus.config import BuildConfig, ExecutorConfig
from dedup.config import DedupConfig, MinhashConfig
from dedup.hashing import shingles
from dedup.stages import run_standalone
from dedup.synth import plant, real_docs, write_parquet


def datatrove_removed(texts: list[str], ids: list[str], bands: int, rows: int, tmp: str) -> set[str]:
    from datatrove.data import Document
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup.minhash import (
        MinhashConfig as DTConfig,
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupFilter,
        MinhashDedupSignature,
    )
    from datatrove.pipeline.writers import JsonlWriter
    from datatrove.utils.hashing import HashConfig

    cfg = DTConfig(n_grams=5, num_buckets=bands, hashes_per_bucket=rows, hash_config=HashConfig(precision=64))
    docs = [Document(text=t, id=i) for t, i in zip(texts, ids)]
    d = lambda name: os.path.join(tmp, name)  # noqa: E731
    stages = [
        ([docs, MinhashDedupSignature(output_folder=d("sigs"), config=cfg)], 1),
        ([MinhashDedupBuckets(input_folder=d("sigs"), output_folder=d("buckets"), config=cfg)], bands),
        ([MinhashDedupCluster(input_folder=d("buckets"), output_folder=d("remove_ids"), config=cfg)], 1),
        (
            [
                docs,
                MinhashDedupFilter(
                    input_folder=d("remove_ids"), exclusion_writer=JsonlWriter(d("removed"), compression=None)
                ),
            ],
            1,
        ),
    ]
    for i, (pipeline, tasks) in enumerate(stages):
        LocalPipelineExecutor(pipeline=pipeline, tasks=tasks, workers=1, logging_dir=d(f"logs{i}")).run()
    removed = set()
    for f in os.listdir(d("removed")):
        with open(os.path.join(d("removed"), f)) as fh:
            removed |= {json.loads(line)["id"] for line in fh}
    return removed


def ours_removed(docs, bands: int, rows: int, verify: bool, tmp: str) -> set[str]:
    write_parquet(docs, os.path.join(tmp, "in"), files=1)
    cfg = BuildConfig(
        output=os.path.join(tmp, "out"),
        executor=ExecutorConfig(workers=1),
        dedup=DedupConfig(survivor_key=(), minhash=MinhashConfig(bands=bands, rows=rows, verify=verify)),
    )
    run_standalone(vocab.DEDUP_MINHASH, cfg, os.path.join(tmp, "in"))
    return read_clusters(cfg.output)[1]


def best_partner(i: int, pairs: dict) -> float:
    return max([j for (a, b), j in pairs.items() if i in (a, b)], default=0.0)


def by_similarity(ids: list[str], index: dict, pairs: dict) -> dict[str, int]:
    """How many documents, by the true Jaccard of their most similar partner."""
    best = [best_partner(index[i], pairs) for i in ids]
    return {
        "<0.7": sum(b < 0.7 for b in best),
        "0.7-0.8": sum(0.7 <= b < 0.8 for b in best),
        ">=0.8": sum(b >= 0.8 for b in best),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_data_arg(ap)
    ap.add_argument("--docs", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    docs = plant(real_docs(args.data, "en", args.docs), np.random.default_rng(args.seed))
    index = {d.id: i for i, d in enumerate(docs)}
    pairs = true_pairs([shingles(d.text, MinhashConfig().shingling_for("en")) for d in docs], 0.3)
    with tempfile.TemporaryDirectory() as tmp:
        dt = datatrove_removed([d.text for d in docs], [d.id for d in docs], 14, 8, os.path.join(tmp, "dt"))
        lsh = ours_removed(docs, 14, 8, False, os.path.join(tmp, "lsh"))
        ver = ours_removed(docs, 14, 8, True, os.path.join(tmp, "ver"))
    for name, ours in (("ours, LSH only (verify off)", lsh), ("ours, default (verified >= 0.8)", ver)):
        only_dt, only_ours = sorted(dt - ours), sorted(ours - dt)
        print(
            json.dumps(
                {
                    "compare": name,
                    "docs": len(docs),
                    "datatrove_removed": len(dt),
                    "ours_removed": len(ours),
                    "both": len(dt & ours),
                    "jaccard_of_removed_sets": round(len(dt & ours) / len(dt | ours), 4),
                    "only_datatrove_by_best_true_jaccard": by_similarity(only_dt, index, pairs),
                    "only_ours_by_best_true_jaccard": by_similarity(only_ours, index, pairs),
                }
            )
        )


if __name__ == "__main__":
    main()
