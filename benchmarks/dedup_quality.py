"""Precision / recall / F1 of MinHash dedup against brute-force exact Jaccard, per language.

Real documents from the shared data folder plus planted near-duplicates (dedup.synth); the
ground truth is every pair whose true Jaccard similarity (same shingles as the dedup) is at
least --threshold, computed over all pairs with a sparse incidence-matrix product.

    python -m benchmarks.dedup_quality [--data ../shared/data] [--docs 3000]

With the defaults (Jaccard 0.8, verification on, en and zh) it records the claim minhash_quality.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import tempfile
import time

import numpy as np
import pyarrow.parquet as pq
from scipy import sparse

from benchmarks.results import add_data_arg, record
from corpus.core import vocab
from corpus.config import BuildConfig, ExecutorConfig
from dedup.config import DedupConfig, MinhashConfig
from dedup.hashing import shingles
from dedup.stages import run_standalone
from dedup.synth import plant, real_docs, write_parquet


def true_pairs(sets: list[np.ndarray], low: float) -> dict[tuple[int, int], float]:
    """{(i, j): Jaccard} for i < j with Jaccard >= low, by brute force over all pairs."""
    vocab_, inv = np.unique(np.concatenate(sets), return_inverse=True)
    rows = np.repeat(np.arange(len(sets)), [len(s) for s in sets])
    x = sparse.csr_matrix((np.ones(len(inv), dtype=np.float32), (rows, inv)), shape=(len(sets), len(vocab_)))
    inter = sparse.triu(x @ x.T, k=1).tocoo()  # (D, D) shared shingles, upper triangle
    sizes = np.array([len(s) for s in sets], dtype=np.float64)
    jac = inter.data / (sizes[inter.row] + sizes[inter.col] - inter.data)
    keep = jac >= low
    return {(int(i), int(j)): float(v) for i, j, v in zip(inter.row[keep], inter.col[keep], jac[keep])}


def cluster_pairs(ids: list[str], cluster_of: dict[str, str]) -> set[tuple[int, int]]:
    groups: dict[str, list[int]] = {}
    for i, d in enumerate(ids):
        groups.setdefault(cluster_of[d], []).append(i)
    return {(a, b) for members in groups.values() for k, a in enumerate(members) for b in members[k + 1 :]}


def read_clusters(out: str) -> tuple[dict[str, str], set[str]]:
    cluster_of, dropped = {}, set()
    files = glob.glob(os.path.join(out, "work", "seg01", "*.parquet"))
    files += glob.glob(os.path.join(out, "dropped", "*.parquet"))
    for f in files:
        t = pq.read_table(f, columns=[vocab.ID, vocab.DEDUP_CLUSTER_ID, vocab.REASON_COL]).to_pylist()
        for r in t:
            cluster_of[r[vocab.ID]] = r[vocab.DEDUP_CLUSTER_ID]
            if r[vocab.REASON_COL]:
                dropped.add(r[vocab.ID])
    return cluster_of, dropped


def prf(pred: set, truth: set) -> dict:
    tp = len(pred & truth)
    p = tp / len(pred) if pred else 1.0
    r = tp / len(truth) if truth else 1.0
    return {
        "precision": round(p, 4),
        "recall": round(r, 4),
        "f1": round(2 * p * r / (p + r) if p + r else 0, 4),
        "predicted": len(pred),
        "true": len(truth),
    }


def evaluate(lang: str, data: str, n: int, threshold: float, mcfg: MinhashConfig, workers: int, seed: int) -> dict:
    docs = plant(real_docs(data, lang, n), np.random.default_rng(seed))
    sets = [shingles(d.text, mcfg.shingling_for(lang)) for d in docs]
    t0 = time.time()
    pairs = true_pairs(sets, 0.5)
    brute_s = time.time() - t0
    truth = {p for p, j in pairs.items() if j >= threshold}
    with tempfile.TemporaryDirectory() as tmp:
        write_parquet(docs, os.path.join(tmp, "in"), files=2)
        cfg = BuildConfig(
            output=os.path.join(tmp, "out"),
            seed=seed,
            executor=ExecutorConfig(workers=workers),
            dedup=DedupConfig(minhash=mcfg),
        )
        t0 = time.time()
        run_standalone(vocab.DEDUP_MINHASH, cfg, os.path.join(tmp, "in"))
        dedup_s = time.time() - t0
        cluster_of, dropped = read_clusters(cfg.output)
    ids = [d.id for d in docs]
    pred = cluster_pairs(ids, cluster_of)
    fp_j = sorted(pairs.get(p, 0.0) for p in pred - truth)
    by_kind = {}
    for kind in sorted({d.kind for d in docs if d.kind}):
        kp = {p for p in truth if docs[p[1]].kind == kind and docs[p[1]].origin == docs[p[0]].id}
        by_kind[kind] = {"true_pairs": len(kp), "recall": round(len(kp & pred) / len(kp), 4) if kp else None}
    return {
        "lang": lang,
        "docs": len(docs),
        "planted": sum(1 for d in docs if d.kind),
        "threshold": threshold,
        "bands": mcfg.bands,
        "rows": mcfg.rows,
        "verify": mcfg.verify,
        "shingles": str(mcfg.shingling_for(lang)),
        "pairs": prf(pred, truth),
        "removed_docs": len(dropped),
        "false_positive_jaccard": {"min": fp_j[0] if fp_j else None, "median": fp_j[len(fp_j) // 2] if fp_j else None},
        "recall_by_kind": by_kind,
        "brute_force_s": round(brute_s, 2),
        "dedup_s": round(dedup_s, 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_data_arg(ap)
    ap.add_argument("--docs", type=int, default=3000, help="real documents per language before planting")
    ap.add_argument("--langs", default="en,zh")
    ap.add_argument("--threshold", type=float, default=0.8)
    ap.add_argument("--bands", type=int, default=MinhashConfig.bands)
    ap.add_argument("--rows", type=int, default=MinhashConfig.rows)
    ap.add_argument("--no-verify", action="store_true")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    mcfg = MinhashConfig(bands=args.bands, rows=args.rows, verify=not args.no_verify)
    results = {}
    for lang in args.langs.split(","):
        results[lang] = evaluate(lang, args.data, args.docs, args.threshold, mcfg, args.workers, args.seed)
        print(json.dumps(results[lang], ensure_ascii=False))
    if set(results) == {"en", "zh"} and args.threshold == 0.8 and mcfg.verify:
        value = {f"{lang} {m}": r["pairs"][m] for lang, r in results.items() for m in ("recall", "precision")}
        met = all(r["pairs"]["recall"] >= 0.9 and r["pairs"]["precision"] >= 0.95 for r in results.values())
        record("minhash_quality", value, {"recall": 0.9, "precision": 0.95}, "pairs at Jaccard >= 0.8", met, results)


if __name__ == "__main__":
    main()
