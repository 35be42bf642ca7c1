"""Extraction quality on labelled real pages: our build's path, in every extraction mode, beside
plain trafilatura.extract.

Ours: the WARC shards of the labelled pages go through `corpus.build.build` (CrawlReader ->
content -> Extractor -> ...) once per `extract.mode` (native, the default: the native core where it
finds one main content; trafilatura; fast: resiliparse on the pages the chooser trusts it with), and
the text each record ends with (kept or dropped after extraction; empty when dropped before or
failed) is scored. F1 is also given on the even and odd pages (index in the sorted page ids): the
chooser's threshold was picked on the even ones (benchmarks/extraction_chooser.py), so the odd ones
are held out. Baseline: the same pages'
raw bytes given to `trafilatura.extract` with its defaults. Scores are bag-of-tokens precision,
recall and F1 per page (mean over pages) and pooled over all pages (micro); tokens are Han
characters one by one and runs of other letters/digits, case-folded; whitespace and
punctuation are ignored for both systems alike.

    python -m benchmarks.extraction_f1 [--data ../shared/data] [--out DIR] [--worst N]

Records the claim extraction_f1 (ours in the default mode against plain trafilatura.extract).
"""

from __future__ import annotations

import argparse
import gzip
import os
import shutil
import sys
import time
from pathlib import Path

from benchmarks.results import add_data_arg, record, scratch
from evalsets.labelled import SETS, load_truth, prf, tokens

os.environ.setdefault("LOGURU_LEVEL", "WARNING")  # executor workers too: keep the table readable
MODES = ("native", "trafilatura", "fast")  # extract.mode


def ours(data: Path, out: str, mode: str = "trafilatura") -> dict[str, str]:
    """URL -> text our build ends with, for every record of the labelled pages' WARC shards."""
    from corpus.core import vocab
    from corpus.build import build
    from corpus.config import load_config
    from corpus.core.sql import connect

    shutil.rmtree(out, ignore_errors=True)
    shards = [str(data / "warc" / f"{SETS[lang]}-00.warc.gz") for lang in SETS]
    cfg = load_config(
        None,
        inputs=shards,
        output=out,
        stages=[vocab.URL_FILTER, vocab.LANG_ID],
        executor={"workers": 1},
        extract={"mode": mode},
    )
    res = build(cfg)
    assert res.exit_code == 0, f"build failed: {res.shards}"
    rows = connect(out).execute("select url, fate, stage, text from docs").fetchall()
    before_extract = (vocab.READ, vocab.CONTENT, vocab.EXTRACT)
    texts = {}
    for url, fate, stage, text in rows:
        extracted = fate == "kept" or (fate == "dropped" and stage not in before_extract)
        texts[url] = text if extracted else ""
    return texts


def plain(path: Path, **options) -> str:
    import trafilatura

    with gzip.open(path, "rb") as f:
        return trafilatura.extract(f.read(), **options) or ""


def score(truth: dict[str, dict], texts: dict[str, str]) -> dict:
    per_page, pooled = [], [0, 0, 0]
    for pid, t in truth.items():
        p, r, f, ov, npred, ngold = prf(tokens(texts.get(pid)), tokens(t["text"]))
        per_page.append((p, r, f))
        pooled = [pooled[0] + ov, pooled[1] + npred, pooled[2] + ngold]
    n = len(per_page)
    halves = {
        h: [x[2] for i, (pid, x) in enumerate(sorted(zip(truth, per_page))) if i % 2 == k]
        for k, h in enumerate(("even", "odd"))
    }
    mp, mr = pooled[0] / max(pooled[1], 1), pooled[0] / max(pooled[2], 1)
    return {
        "pages": n,
        "precision": sum(x[0] for x in per_page) / n,
        "recall": sum(x[1] for x in per_page) / n,
        "f1": sum(x[2] for x in per_page) / n,
        "micro_f1": 2 * mp * mr / (mp + mr) if mp + mr else 0.0,
        "f1_even": sum(halves["even"]) / len(halves["even"]),
        "f1_odd": sum(halves["odd"]) / len(halves["odd"]),
        "per_page_f1": {pid: x[2] for pid, x in zip(truth, per_page)},
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    add_data_arg(ap)
    ap.add_argument("--out", default=str(scratch("extraction-f1") / "build"), help="prefix of the two builds")
    ap.add_argument("--worst", type=int, default=0, help="list the N pages where ours trails plain most")
    args = ap.parse_args()
    data = Path(args.data)
    truth = {lang: load_truth(data, lang) for lang in SETS}

    by_url, times = {}, {}
    for mode in MODES:
        t0 = time.perf_counter()
        by_url[mode] = ours(data, f"{args.out}-{mode}", mode)
        times[f"ours, {mode}"] = time.perf_counter() - t0
    # the second baseline isolates what our decoding and retry add beyond trafilatura options
    baselines = {"plain trafilatura.extract": {}, "  same, comments off": {"include_comments": False}}
    results = {}
    times.update(dict.fromkeys(baselines, 0.0))
    for lang, pages in truth.items():
        results[lang] = {}
        for mode, texts in by_url.items():
            missing = [pid for pid, t in pages.items() if t["url"] not in texts]
            assert not missing, f"{len(missing)} {lang} pages not found in the WARC shard by URL"
            results[lang][f"ours, {mode}"] = score(pages, {pid: texts[t["url"]] for pid, t in pages.items()})
        for name, options in baselines.items():
            t0 = time.perf_counter()
            results[lang][name] = score(pages, {pid: plain(t["path"], **options) for pid, t in pages.items()})
            times[name] += time.perf_counter() - t0

    print(
        f"{'lang':4} {'system':28} {'pages':>5} {'P':>6} {'R':>6} {'F1':>6} {'microF1':>7} {'F1even':>6} {'F1odd':>6}"
    )
    for lang, systems in results.items():
        for name, s in systems.items():
            print(
                f"{lang:4} {name:28} {s['pages']:5d} {s['precision']:6.3f} {s['recall']:6.3f} "
                f"{s['f1']:6.3f} {s['micro_f1']:7.3f} {s['f1_even']:6.3f} {s['f1_odd']:6.3f}"
            )
    print(
        "wall seconds: "
        + ", ".join(f"{k} {v:.1f}" for k, v in times.items())
        + " (ours includes LID and Parquet writing)"
    )
    for lang, systems in results.items():
        pairs = (("ours, native", "ours, trafilatura"), ("ours, fast", "ours, trafilatura"))
        for x, y in (*pairs, ("ours, trafilatura", "plain trafilatura.extract")):
            a, b = systems[x]["per_page_f1"], systems[y]["per_page_f1"]
            diff = [a[p] - b[p] for p in a]
            print(
                f"{lang}: {x} vs {y}: better on {sum(d > 1e-9 for d in diff)} pages, worse on "
                f"{sum(d < -1e-9 for d in diff)}, equal on {sum(abs(d) <= 1e-9 for d in diff)}"
            )
    from corpus.config import load_config

    default = f"ours, {load_config(None).extract.mode}"  # the claim is about the default build
    if args.worst:  # the pages where ours scores lowest, with plain's score beside
        for lang, systems in results.items():
            a, b = systems[default]["per_page_f1"], systems["plain trafilatura.extract"]["per_page_f1"]
            for pid in sorted(a, key=a.get)[: args.worst]:
                gap = a[pid] - b[pid]
                print(
                    f"{lang} {pid} ours-plain {gap:+.3f} (ours {a[pid]:.3f}, plain {b[pid]:.3f}) {truth[lang][pid]['url']}"  # noqa: E501
                )
    ours_f1 = {lang: round(results[lang][default]["f1"], 4) for lang in SETS}
    plain_f1 = {lang: round(results[lang]["plain trafilatura.extract"]["f1"], 4) for lang in SETS}
    value = {f"{lang} {who}": f1[lang] for lang in SETS for who, f1 in (("ours", ours_f1), ("plain", plain_f1))}
    record(
        "extraction_f1",
        value,
        "ours >= plain",
        "mean F1 per page",
        all(ours_f1[lang] >= plain_f1[lang] for lang in SETS),
        {
            "systems": {
                lang: {name: {k: v for k, v in r.items() if k != "per_page_f1"} for name, r in systems.items()}
                for lang, systems in results.items()
            },
            "seconds": times,
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
