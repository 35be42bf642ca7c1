"""The fast extraction path's chooser: share of pages it sends to resiliparse, extraction F1 and
extraction seconds, for a range of `extract.fast_max_links` thresholds, on the labelled pages.

Every labelled page (evalsets.labelled's sets, decoded by corpus.core.charset from the page
file) is extracted once by each path: trafilatura as the build runs it (with its fallback
extractors), and the fast mode's resiliparse pass with its features; also, for comparison,
trafilatura without its fallback extractors (fast=True). A threshold then picks, per page,
resiliparse's text or trafilatura's; seconds are what that mode spends (the resiliparse pass on
every page, plus trafilatura on the pages it falls back on). Pages are split by their index in the sorted ids:
thresholds are chosen on the even pages, and the odd ones are the held-out report.

    python -m benchmarks.extraction_chooser [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from benchmarks.results import add_data_arg, scratch
from evalsets.labelled import SETS, labelled_pages, prf, tokens

THRESHOLDS = (2, 4, 6, 8, 9, 10, 11, 12, 16, 20, 30, float("inf"))


def measure(data: Path) -> list[dict]:
    """Per page: F1 and seconds of both paths, and the fast path's features."""
    from corpus.core.extract import Extractor
    from corpus.core.fast_extract import MIN_FAST_CHARS, fast_page
    from corpus.core.layout import Layout

    full = Extractor(Layout(str(scratch("extraction-chooser"))))
    rows = []
    for lang, i, t, html in labelled_pages(data):
        gold = tokens(t["text"])
        t0 = time.perf_counter()
        page = fast_page(html)
        t1 = time.perf_counter()
        text = full.extract(html, t["url"])
        t2 = time.perf_counter()
        quick = full.extract(html, t["url"], fallbacks=False)
        t3 = time.perf_counter()
        rows.append(
            {
                "lang": lang,
                "half": "even" if i % 2 == 0 else "odd",
                "links": page.links_per_kchar,
                "long_enough": len(page.text) >= MIN_FAST_CHARS,
                "f1_fast": prf(tokens(page.text), gold)[2],
                "f1_full": prf(tokens(text), gold)[2],
                "f1_quick": prf(tokens(quick), gold)[2],
                "s_fast": t1 - t0,
                "s_full": t2 - t1,
                "s_quick": t3 - t2,
            }
        )
    return rows


def curve(rows: list[dict], threshold: float) -> dict:
    """Share sent to resiliparse, mean F1 per half and language, extraction seconds of the mode."""
    take = [r["long_enough"] and r["links"] <= threshold for r in rows]
    f1 = lambda sel: statistics.mean(r["f1_fast"] if t else r["f1_full"] for r, t in sel)  # noqa: E731
    out = {
        "share": sum(take) / len(rows),
        "seconds": sum(r["s_fast"] + (0 if t else r["s_full"]) for r, t in zip(rows, take)),
    }
    for half in ("even", "odd"):
        out[half] = f1([(r, t) for r, t in zip(rows, take) if r["half"] == half])
    for lang in SETS:
        out[lang] = f1([(r, t) for r, t in zip(rows, take) if r["lang"] == lang])
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    add_data_arg(ap)
    args = ap.parse_args()
    rows = measure(Path(args.data))
    base = sum(r["s_full"] for r in rows)
    counts = ", ".join(f"{lang} {sum(r['lang'] == lang for r in rows)}" for lang in SETS)
    print(f"{len(rows)} pages ({counts}); trafilatura alone: {base:.2f} s")
    print(
        f"{'max links/kchar':>15} {'to fast':>7} {'F1 even':>7} {'F1 odd':>7} {'F1 en':>6} {'F1 zh':>6} "
        f"{'extract s':>9} {'speed-up':>8}"
    )
    for name, key in (("trafilatura", "full"), ("traf. fast=True", "quick")):
        ref = {h: statistics.mean(r[f"f1_{key}"] for r in rows if r["half"] == h) for h in ("even", "odd")}
        ref.update({lang: statistics.mean(r[f"f1_{key}"] for r in rows if r["lang"] == lang) for lang in SETS})
        secs = sum(r[f"s_{key}"] for r in rows)
        print(
            f"{name:>15} {0:7.2f} {ref['even']:7.4f} {ref['odd']:7.4f} {ref['en']:6.3f} {ref['zh']:6.3f} "
            f"{secs:9.2f} {base / secs:8.2f}"
        )
    for th in THRESHOLDS:
        c = curve(rows, th)
        print(
            f"{th:15g} {c['share']:7.2f} {c['even']:7.4f} {c['odd']:7.4f} {c['en']:6.3f} {c['zh']:6.3f} "
            f"{c['seconds']:9.2f} {base / c['seconds']:8.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
