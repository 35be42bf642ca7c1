"""Thresholds from `corpus calibrate --reference`, made without the documents retention scores.

Reference: held-out documents of the reference sources `benchmarks/retention.py` samples (up to
HELD_OUT per source, none of the ones it scores). Crawl: the shared pages retention builds, less
its reference file, built with the heuristic stages only (--annotate-all). Writes the fragment
(default: out/bench/calibrate-reference/thresholds.yaml); then compare:

    python -m benchmarks.calibrate_reference
    python -m benchmarks.retention                                   # default thresholds
    python -m benchmarks.retention --work out/bench/retention-calibrated -c out/bench/calibrate-reference/thresholds.yaml
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
from pathlib import Path

from benchmarks.results import add_data_arg, scratch
from evalsets import retention_inputs as R

HELD_OUT = 300


def all_docs(data: Path, name: str) -> list[str]:
    from filters.reference import uncut, wikitext_articles

    _, rel, fmt = R.REFERENCE[name]
    if fmt == "wikitext":
        return wikitext_articles(data / rel)
    with gzip.open(data / rel, "rt", encoding="utf-8") as f:
        rows = [ln.strip() for ln in f if ln.strip()]
    return [json.loads(r)["text"] for r in rows] if fmt == "jsonl" else [d for d in map(uncut, rows) if d]


def write_held_out(data: Path, path: Path) -> dict[str, int]:
    rng, counts = random.Random(0), {}
    with open(path, "w", encoding="utf-8") as f:
        for name, (lang, _, _) in R.REFERENCE.items():
            scored = set(R.reference_docs(data, name))
            rest = [d for d in all_docs(data, name) if d not in scored]
            rng.shuffle(rest)
            counts[name] = len(rest[:HELD_OUT])
            for text in rest[:HELD_OUT]:
                f.write(json.dumps({"text": text, "lang": lang}, ensure_ascii=False) + "\n")
    return counts


def main() -> int:
    from corpus.build import build
    from corpus.calibrate_reference import calibrate_reference, fragment, table
    from corpus.config import load_config
    from filters.heuristics.families import FAMILIES

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_data_arg(ap)
    ap.add_argument("--work", type=Path, default=scratch("calibrate-reference"))
    ap.add_argument("--keep", type=float, default=0.98)
    ap.add_argument(
        "-o",
        "--output",
        type=Path,
        default=None,
        help="write the thresholds fragment here (default: WORK/thresholds.yaml)",
    )
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    data, work = Path(args.data), Path(args.work)
    inputs, _, _ = R.prepare_inputs(data, work / "inputs")
    crawl = [p for p in inputs if not p.endswith("reference.jsonl")]
    reference = work / "held-out.jsonl"
    print("held-out reference documents:", write_held_out(data, reference))
    stages = ("url_filter", "lang_id", *FAMILIES)  # every heuristic family
    cfg = load_config(
        None,
        inputs=tuple(crawl),
        output=str(work / "crawl"),
        stages=stages,
        annotate_all=True,
        executor={"workers": args.workers},
    )
    if build(cfg, overwrite=True).exit_code:
        return 1
    results, _ = calibrate_reference(cfg.output, str(reference), cfg, keep=args.keep)
    for r in results:
        print(table(r) + "\n")
    output = args.output or work / "thresholds.yaml"
    output.write_text(fragment(results), encoding="utf-8")
    print("fragment:", output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
