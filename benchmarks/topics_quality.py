"""Topic and format models: held-out macro-F1 per labelled set, ads/spam F1, labelling throughput.

The F1 figures are the held-out metrics of the manifest `corpus models train topics` writes (split
by content hash per set, docs/topics.md); throughput is measured here, one process, one thread,
on held-out texts: BBC full articles (document length) and every held-out row (mostly headlines
and chat lines, where the per-call cost dominates).
    python -m benchmarks.topics_quality [--data ../shared/data] [--models DIR] [--train]

MODELS defaults to out/bench/topic-models, trained there (`corpus models train topics`) when no model is
there. Records the claims topic_f1, ads_spam_f1 and labelling_throughput (BBC full articles).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

from benchmarks.results import add_data_arg, record, scratch  # noqa: E402

TARGETS = {"thucnews": 0.85, "ag_news": 0.85, "bbc": 0.95}
PROMO_TARGETS = {"sms_spam": 0.9, "game_chat_ads": 0.85}


def heldout_texts(data: str, params) -> dict[str, list[str]]:
    from labels import sources
    from labels.topics import _split_rows

    sets = sources.load(data, sources.TOPIC_SETS + sources.FORMAT_SETS)
    return {s.name: [t for t, _ in _split_rows(s, params)[1]] for s in sets}


def throughput(labeller, texts: list[str], repeat: int = 3, batch: int = 256) -> tuple[float, float]:
    labeller(texts[:8])
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        for i in range(0, len(texts), batch):
            labeller(texts[i : i + batch])
        best = min(best, time.perf_counter() - t)
    return len(texts) / best, sum(len(x.encode("utf-8")) for x in texts) / best / 1e6


def main() -> None:
    from labels.topics import MAX_CHARS, Labeller, TopicParams, has_topic_model, topics_dir, train_topics

    ap = argparse.ArgumentParser()
    add_data_arg(ap)
    ap.add_argument("--models", type=Path, default=scratch("topic-models"), help="topic models (trained if absent)")
    ap.add_argument("--train", action="store_true", help="train first (also when no model is there)")
    args = ap.parse_args()
    params = TopicParams()
    if args.train or not has_topic_model(args.models):
        train_topics(str(args.data), str(args.models), params)
    m = json.loads((topics_dir(args.models) / "manifest.json").read_text())["metrics"]
    print(f"machine: {platform.node()} {os.cpu_count()} cores, {platform.processor() or platform.machine()}")
    print("held-out topic macro-F1 (over each set's own mapped labels):")
    for name, f1 in m["topic_macro_f1"].items():
        t = TARGETS.get(name)
        print(
            f"  {name:14s} {f1:.4f}  held-out rows {m['heldout_rows'][name]:6d}"
            + (f"  target >= {t}: {'met' if f1 >= t else 'MISSED'}" if t else "")
        )
    print("held-out ads/spam F1 (top format in {ads, spam}):")
    for name, r in m["format_promo_f1"].items():
        t = PROMO_TARGETS[name]
        print(
            f"  {name:14s} F1 {r['f1']:.4f}  P {r['precision']:.4f}  R {r['recall']:.4f}  "
            f"positives {r['positives']}/{r['rows']}  target >= {t}: {'met' if r['f1'] >= t else 'MISSED'}"
        )
    print(f"  format accuracy over all held-out rows: {m['format_heldout_accuracy']:.4f}")
    held = heldout_texts(args.data, params)
    labeller = Labeller(args.models)
    speed = {}
    for name, texts in (
        ("bbc full articles", held["bbc"]),
        ("all held-out rows", [t for v in held.values() for t in v]),
    ):
        docs_s, mb_s = throughput(labeller, texts)
        speed[name] = {"texts": len(texts), "docs_per_s": docs_s, "mb_per_s": mb_s}
        print(
            f"labelling, {name}: {len(texts)} texts, {docs_s:,.0f} docs/s, {mb_s:.2f} MB/s per core "
            f"(topic + format, first {MAX_CHARS} chars read)"
        )
    f1 = {name: round(m["topic_macro_f1"][name], 4) for name in TARGETS}
    record(
        "topic_f1",
        f1,
        TARGETS,
        "macro-F1, held-out",
        all(f1[k] >= t for k, t in TARGETS.items()),
        {"topic_macro_f1": m["topic_macro_f1"], "heldout_rows": m["heldout_rows"], "models": str(args.models)},
    )
    promo = {name: round(m["format_promo_f1"][name]["f1"], 4) for name in PROMO_TARGETS}
    record(
        "ads_spam_f1",
        promo,
        PROMO_TARGETS,
        "F1 of the top format in {ads, spam}, held-out",
        all(promo[k] >= t for k, t in PROMO_TARGETS.items()),
        {"format_promo_f1": m["format_promo_f1"], "format_heldout_accuracy": m["format_heldout_accuracy"]},
    )
    bbc = round(speed["bbc full articles"]["mb_per_s"], 2)
    record("labelling_throughput", bbc, 4, "MB/s per core (BBC full articles, topic + format)", bbc >= 4, speed)


if __name__ == "__main__":
    main()
