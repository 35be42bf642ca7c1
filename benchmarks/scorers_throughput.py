"""Documents per second per core of each learned scorer on real documents (one process, one thread).

Baseline in the same run: the fastText language-ID scorer, the cheapest learned step of the build.
    python -m benchmarks.scorers_throughput [--data D] [--repeat 3]
    python -m benchmarks.scorers_throughput --from BUILD_OUT --models MODELS_DIR

By default the models are the recipe's (benchmarks/scorer_models.py, trained into out/bench/recipe unless
already there) and the documents those of a cascade build with them (`scorer_models.cascade_build`, in
out/bench/scorer-models).
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

from benchmarks.results import add_data_arg, scratch  # noqa: E402
from benchmarks.scorer_models import cascade_build, recipe_models  # noqa: E402


def load_docs(build_out: str):
    from datatrove.data import Document

    from corpus.core import vocab
    from corpus.core.sql import connect

    rows = (
        connect(build_out)
        .execute("select id, text, lang, url from docs where lang in ('en', 'zh') order by id")
        .fetchall()
    )
    return [Document(text=t, id=i, metadata={vocab.LANG: lang, vocab.URL: url or ""}) for i, t, lang, url in rows]


def measure(scorer, docs, repeat: int) -> tuple[float, float]:
    scorer.score_batch(docs[:8])  # loads the models; not timed
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        for i in range(0, len(docs), 64):
            scorer.score_batch(docs[i : i + 64])
        best = min(best, time.perf_counter() - t)
    return len(docs) / best, sum(len(d.text) for d in docs) / best / 1e6


def main() -> None:
    from filters.language import LanguageScorer
    from filters.scorers import CoherenceScorer, PerplexityScorer, QualityScorer, SafetyScorer

    ap = argparse.ArgumentParser()
    add_data_arg(ap)
    ap.add_argument("--from", dest="build_out", default=None, help="a build output (default: built with the models)")
    ap.add_argument("--models", dest="models_dir", type=Path, default=None, help="default: the recipe's models")
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    a.models_dir = a.models_dir or recipe_models(a.data)
    docs = load_docs(a.build_out or cascade_build(a.data, a.models_dir, scratch("scorer-models"))[0])
    print(
        f"{len(docs)} documents, {sum(len(d.text) for d in docs) / 1e6:.2f} M chars; "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; best of {a.repeat}"
    )
    print("| scorer | docs/s (1 core) | M chars/s | vs lid.176 |\n|---|---|---|---|")
    base = None
    for name, s in [
        ("lid.176 (baseline)", LanguageScorer()),
        ("perplexity (SentencePiece + KenLM)", PerplexityScorer(a.models_dir)),
        ("quality (fastText)", QualityScorer(a.models_dir)),
        ("coherence (drift features)", CoherenceScorer(a.models_dir)),
        ("safety (fastText + lists)", SafetyScorer(a.models_dir)),
    ]:
        dps, mcps = measure(s, docs, a.repeat)
        base = base or dps
        print(f"| {name} | {dps:.1f} | {mcps:.2f} | {dps / base:.3f} |")


if __name__ == "__main__":
    main()
