"""End-to-end retention through one build over every shared set whose fate is known (the sets, the
scores and the floors are `evalsets.retention`; tests/filters/test_retention.py checks the same floors).

    python -m benchmarks.retention [--data D]                 # default config, demo models: the five retention_* claims
    python -m benchmarks.retention --train-models             # models trained by the recipe: retention_real_models
    python -m benchmarks.retention --models-dir MODELS        # the same claim with models trained before
    python -m benchmarks.retention --modes trafilatura fast   # both extraction modes side by side: fast_mode_quality
    python -m benchmarks.retention --modes trafilatura native # the same for the native core: native_mode_quality
    python -m benchmarks.retention -c build.yaml              # any other config: printed, not recorded
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("LOGURU_LEVEL", "WARNING")

from benchmarks.results import add_data_arg, record, scratch  # noqa: E402
from evalsets.retention import FLOORS, check_floors, print_summary, run  # noqa: E402

GOOD = ("en-articles", "zh-news", "gne-articles")
GOLD = ("en-articles", "zh-news")
SHORT = {"en-articles": "en", "zh-news": "zh-news", "gne-articles": "GNE"}  # the names the table shows
METRICS = {"content_retention": "content retention", "kept_precision": "kept precision"}


def record_default(s: dict) -> None:
    """The five claims of the default config with the demo models."""
    details = {"summary": {k: v for k, v in s.items() if k != "_losses"}, "losses": s["_losses"]}
    kept = {SHORT[n]: f"{s[n]['kept']}/{s[n]['pages']} ({100 * s[n]['kept_share']:.1f}%)" for n in GOOD}
    met = all(s[n]["kept_share"] >= FLOORS[n]["kept_share"] for n in GOOD)
    record("retention_good_pages", kept, {SHORT[n]: FLOORS[n]["kept_share"] for n in GOOD}, "pages kept", met, details)
    content = {f"{SHORT[n]} {label}": round(s[n][m], 4) for n in GOLD for m, label in METRICS.items()}
    target = {f"{SHORT[n]} {label}": FLOORS[n][m] for n in GOLD for m, label in METRICS.items()}
    record("retention_content", content, target, "", all(content[k] >= target[k] for k in content), details)
    junk = {
        "CC zh spam": f"{s['cc-zh-spam']['dropped']}/{s['cc-zh-spam']['pages']}",
        "list pages": f"{s['list-pages']['dropped']}/{s['list-pages']['pages']}",
    }
    met = (
        s["cc-zh-spam"]["dropped_share"] >= FLOORS["cc-zh-spam"]["dropped_share"]
        and s["list-pages"]["dropped"] >= FLOORS["list-pages"]["dropped"]
    )
    record("retention_junk", junk, {"CC zh spam dropped share": 1.0, "list pages dropped": 11}, "dropped", met, details)
    refs = {n: round(s[n]["dropped_share"], 4) for n, f in FLOORS.items() if "max_dropped_share" in f}
    worst = max(refs, key=refs.get)
    record(
        "retention_reference",
        round(100 * refs[worst], 1),
        3,
        f"% dropped, worst set {worst} ({s[worst]['dropped']}/{s[worst]['pages']})",
        refs[worst] <= 0.03,
        {**details, "dropped_share_by_set": refs},
    )
    p = s["planted-copies"]
    record(
        "retention_planted",
        round(100 * p["pair_caught_share"], 1),
        95,
        f"% of the pairs reaching dedup lose a copy ({p['caught']}/{p['reachable']})",
        not [b for b in check_floors(s) if b.startswith("planted-copies")],
        details,
    )


MODE_CLAIMS = {"fast": "fast_mode_quality", "native": "native_mode_quality"}


def record_mode_quality(by_mode: dict[str, dict], mode: str) -> None:
    """`mode` minus trafilatura on what both must keep: F1, content retention, kept precision, pages kept."""
    t, f = by_mode["trafilatura"], by_mode[mode]
    diff = {}
    for n in GOLD:
        diff[f"{SHORT[n]} F1"] = round(f[n]["extract_f1"] - t[n]["extract_f1"], 4)
        diff[f"{SHORT[n]} content retention"] = round(f[n]["content_retention"] - t[n]["content_retention"], 4)
        diff[f"{SHORT[n]} kept precision"] = round(f[n]["kept_precision"] - t[n]["kept_precision"], 4)
    for n in GOOD:
        diff[f"{SHORT[n]} pages kept"] = f[n]["kept"] - t[n]["kept"]
    details = {
        mode: {
            n: {
                k: s[n][k]
                for k in ("kept", "kept_share", "content_retention", "kept_precision", "extract_f1")
                if k in s[n]
            }
            for n in GOOD
        }
        for mode, s in by_mode.items()
    }
    record(
        MODE_CLAIMS[mode],
        diff,
        0,
        f"{mode} minus trafilatura (>= 0: no worse)",
        all(v >= 0 for v in diff.values()),
        {**details, "floors_broken": {m: check_floors(s) for m, s in by_mode.items()}},
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_data_arg(ap)
    ap.add_argument("-c", "--config", default=None, help="build YAML (default: the default config); not recorded")
    ap.add_argument("--models-dir", default=None, help="scorers.models_dir (default: the demo models)")
    ap.add_argument(
        "--train-models",
        action="store_true",
        help="the recipe's models (benchmarks/scorer_models.py: trained into out/bench/recipe/models unless there)",
    )
    ap.add_argument(
        "--modes",
        nargs="+",
        choices=("trafilatura", "native", "fast"),
        default=None,
        help="one build per extract.mode (trafilatura and fast or native: the fast_mode_quality or "
        "native_mode_quality claim)",
    )
    ap.add_argument("--work", type=Path, default=scratch("retention"), help="generated inputs and the builds")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", default=None, help="also write the summary here")
    args = ap.parse_args()
    models = args.models_dir
    if args.train_models:
        from benchmarks.scorer_models import recipe_models

        models = str(recipe_models(args.data))
    summaries = {}
    for mode in args.modes or [None]:
        overrides = {"extract": {"mode": mode}} if mode else None
        work = args.work / mode if mode else args.work
        summaries[mode] = s = run(args.data, work, args.config, models, args.workers, overrides)
        print(f"\n== extract.mode: {s['_config']['extract_mode']}")
        print_summary(s)
    if args.json:
        Path(args.json).write_text(json.dumps(summaries, indent=1, ensure_ascii=False), encoding="utf-8")
    if args.config:
        return 0
    if args.modes:
        for mode in MODE_CLAIMS:
            if {"trafilatura", mode} <= set(args.modes) and not models:
                record_mode_quality(summaries, mode)
    elif models:
        s, broken = summaries[None], check_floors(summaries[None])
        value = {"floors broken": len(broken), **{f"{SHORT[n]} kept": f"{s[n]['kept']}/{s[n]['pages']}" for n in GOOD}}
        for band, v in sorted(s["gne-articles"].get("by_rating", {}).items(), reverse=True):
            value[f"GNE rated {band} kept"] = f"{v['kept']}/{v['pages']}"  # what the GNE floor counts, by rubric
        record(
            "retention_real_models",
            value,
            {"floors broken": 0},
            "",
            not broken,
            {
                "models_dir": models,
                "broken": broken,
                "summary": {k: v for k, v in s.items() if k != "_losses"},
                "losses": s["_losses"],
            },
        )
    else:
        record_default(summaries[None])
    return 0


if __name__ == "__main__":
    sys.exit(main())
