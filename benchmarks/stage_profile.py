"""Where the default `corpus build` spends its time, stage by stage, and what the heuristics cost
per language (jieba word units on Chinese included).

One default build (the default config, every default stage, one worker, one task per input file)
over the shards of benchmarks/build_throughput.py, after an untimed warm-up build of the demo WARC
(imports, demo scorer models). Per-document segments: each step's own time from datatrove's
stats.json, summed per stage (a stage is its scorer and its threshold filter); what the segment's
wall time holds beyond its steps is reading (WARC parsing and charset decoding, or the scratch
Parquet of the segment before) and datatrove's overhead, which datatrove does not time per step.
Corpus-level stages (dedup): the wall time of their segment. The rest of the build (planning,
model records, funnel, manifest) is one row.

The second table times the heuristic families again in this process on the texts that reached
them (kept rows and rows dropped from page_type on; their text as stored, so after correction
where they got that far), per language: word units (regex words for English, jieba for Chinese)
first, then each family on the shared units.

The same build is profiled again with the other extract.mode (native while trafilatura is the default),
in the result's details and the table's last columns.

    python -m benchmarks.stage_profile [--data ../shared/data] [--out DIR]

Records the claim stage_profile (the five largest stages' share of the default build's wall time; no bound).
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import sys
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
os.environ.setdefault("LOGURU_LEVEL", "WARNING")

from benchmarks.results import add_data_arg, record, scratch  # noqa: E402
from corpus.core.fast_extract import NATIVE  # noqa: E402

READ_ROW = "read + decode, datatrove overhead"


def step_stages(cfg, segment_stages, i: int, models: dict) -> list[str]:
    """The stage each step of per-document segment i belongs to, in pipeline order (as stats.json)."""
    from corpus.core import vocab
    from corpus.build import front_steps
    from corpus.core.layout import Layout
    from corpus.core.steps import StageContext

    ctx = StageContext(Layout(cfg.output), i, models=models)
    labels = []
    if i == 0:
        for step in front_steps(cfg, ctx, [], "."):
            kind = type(step).__name__
            labels.append(
                {
                    "CrawlReader": READ_ROW,
                    "ContentFilter": vocab.CONTENT,
                    "PageTypeScorer": "page_type (HTML signals)",
                }.get(kind, "extract")
            )
    else:
        labels.append(READ_ROW)
    for spec in segment_stages:
        labels += [spec.name] * len(spec.steps(cfg, ctx))
    return labels + ["write Parquet"]


def profile_build(cfg) -> tuple[dict[str, float], float]:
    """stage -> seconds of one build, and the build's wall seconds."""
    from corpus import build as build_mod

    seg_wall: dict[int, float] = {}
    run_segment = build_mod._run_segment

    def timed_segment(cfg, layout, files, base_dir, segments, i, ctx, tasks):
        t0 = time.perf_counter()
        run_segment(cfg, layout, files, base_dir, segments, i, ctx, tasks)
        seg_wall[i] = time.perf_counter() - t0

    build_mod._run_segment = timed_segment  # times the build's own segments; nothing else changes
    try:
        t0 = time.perf_counter()
        res = build_mod.build(cfg, keep_work=True)
        wall = time.perf_counter() - t0
    finally:
        build_mod._run_segment = run_segment
    assert res.exit_code == 0 and all(s["balanced"] for s in res.shards.values()), res.shards
    return stage_seconds(cfg, seg_wall, build_mod.model_records(cfg)), wall


def stage_seconds(cfg, seg_wall: dict[int, float], models: dict) -> dict[str, float]:
    from corpus.build import plan_segments
    from corpus.core.layout import Layout

    layout, out = Layout(cfg.output), defaultdict(float)
    for i, seg in enumerate(plan_segments(cfg.stages)):
        if seg.corpus_level:
            out[seg.stages[0].name] += seg_wall[i]
            continue
        with open(os.path.join(layout.logging_dir(i), "stats.json"), encoding="utf-8") as f:
            stats = json.load(f)
        labels = step_stages(cfg, seg.stages, i, models)
        assert len(labels) == len(stats), f"segment {i}: {len(labels)} steps planned, {len(stats)} in stats.json"
        timed = 0.0
        for label, s in zip(labels, stats):
            t = (s.get("time_stats") or {}).get("total", 0.0)
            out[label] += t
            timed += t
        out[READ_ROW] += max(seg_wall[i] - timed, 0.0)
    return dict(out)


def heuristics_by_language(out: str) -> list[tuple]:
    """(lang, docs, chars, units s, {family: s}) for the texts that reached the heuristics."""
    from corpus.core import vocab
    from corpus.core.sql import connect
    from filters.config import HeuristicsConfig
    from filters.heuristics.params import lang_params
    from filters.heuristics.steps import FAMILIES
    from filters.units import Units

    early = (vocab.READ, vocab.CONTENT, vocab.EXTRACT, vocab.URL_FILTER, vocab.LANG_ID)
    rows = (
        connect(out)
        .execute(
            "select lang, text from docs where fate = 'kept' or (fate = 'dropped' and stage not in "
            f"({', '.join(repr(s) for s in early)}))"
        )
        .fetchall()
    )
    by_lang = defaultdict(list)
    for lang, text in rows:
        by_lang[lang].append(text or "")
    table = []
    for lang, texts in sorted(by_lang.items(), key=lambda kv: -len(kv[1])):
        params = lang_params(HeuristicsConfig(), lang)
        units = [Units(t, lang) for t in texts]
        t0 = time.perf_counter()
        for u in units:
            u.words  # noqa: B018 (computes and caches the word units)
        t_units = time.perf_counter() - t0
        fams = {}
        for fam, fn in FAMILIES.items():
            t0 = time.perf_counter()
            for u in units:
                fn(u, params)
            fams[fam] = time.perf_counter() - t0
        table.append((lang, len(texts), sum(map(len, texts)), t_units, fams))
    return table


def main() -> int:
    ap = argparse.ArgumentParser()
    add_data_arg(ap)
    ap.add_argument("--out", type=Path, default=scratch("stage-profile"))
    args = ap.parse_args()

    from corpus.config import load_config
    from corpus.demo import write_demo_warc

    work = args.out
    shutil.rmtree(work, ignore_errors=True)
    warm = load_config(
        None,
        inputs=[write_demo_warc(str(work / "demo.warc.gz"))],
        output=str(work / "warm-up"),
        executor={"workers": 1},
    )
    profile_build(warm)
    shards = sorted(glob.glob(os.path.join(args.data, "warc", "*.warc.gz")))
    cfg = load_config(None, inputs=shards, output=str(work / "out"), executor={"workers": 1})
    load_before = os.getloadavg()
    seconds, wall = profile_build(cfg)
    seconds["set-up, funnel, manifest"] = max(wall - sum(seconds.values()), 0.0)
    other = NATIVE if cfg.extract.mode != NATIVE else "trafilatura"  # the other side of the extraction choice
    cfg_other = load_config(
        None, inputs=shards, output=str(work / f"out-{other}"), executor={"workers": 1}, extract={"mode": other}
    )
    seconds_other, wall_other = profile_build(cfg_other)
    seconds_other["set-up, funnel, manifest"] = max(wall_other - sum(seconds_other.values()), 0.0)

    print(
        f"default build ({', '.join(cfg.stages)}), 1 worker, {len(shards)} shards, {os.cpu_count()} CPUs, "
        f"load average before: {load_before}; extract.mode {cfg.extract.mode} (default) and {other}"
    )
    print(f"{'stage':36} {'seconds':>8} {'share':>6} {other + ' s':>14} {'share':>6}")
    for stage, s in sorted(seconds.items(), key=lambda kv: -kv[1]):
        o = seconds_other.get(stage, 0.0)
        print(f"{stage:36} {s:8.2f} {100 * s / wall:5.1f}% {o:14.2f} {100 * o / wall_other:5.1f}%")
    print(f"{'total (build wall time)':36} {wall:8.2f} {'':6} {wall_other:14.2f}")

    print("\nheuristic families per language, timed again on the texts that reached them (seconds)")
    table = heuristics_by_language(cfg.output)
    fams = list(table[0][4]) if table else []
    print(f"{'lang':5} {'docs':>5} {'chars':>9} {'units':>7} " + " ".join(f"{f[:12]:>12}" for f in fams))
    for lang, n, chars, t_units, by_fam in table:
        print(f"{str(lang):5} {n:5d} {chars:9d} {t_units:7.3f} " + " ".join(f"{by_fam[f]:12.3f}" for f in fams))
    print("units: regex words (en) or jieba words (zh), computed once and shared by the families")
    print(f"load average after: {os.getloadavg()}")
    top = sorted(seconds.items(), key=lambda kv: -kv[1])[:5]
    name = {READ_ROW: "read + decode"}  # the table's cells are comma-separated
    record(
        "stage_profile",
        {name.get(k, k): round(100 * s / wall, 1) for k, s in top},
        "profiled",
        "% of build wall time",
        None,
        {
            "seconds": seconds,
            "wall_s": wall,
            "stages": list(cfg.stages),
            "extract_mode": cfg.extract.mode,
            "other_mode": {"extract_mode": other, "seconds": seconds_other, "wall_s": wall_other},
            "heuristics_by_language": [
                {"lang": lang, "docs": n, "chars": chars, "units_s": t_units, **fams}
                for lang, n, chars, t_units, fams in table
            ],
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
