"""Page-type signals on the shared list pages and article pages, and what the default rules drop.

Sets: the 13 list/index pages (Gerapy `list/`, GNE `test_list_page/`), and the article pages:
English gold articles, zh-news, GNE news articles, Gerapy `detail/`; plus the English pages of
`warc/multi-cache-00` (a mixed crawl: articles, but also a few real index pages). Per set: the
quantiles of each signal, how many pages the default page_type rules drop (each page judged in
its set's language; multi-cache by lid.176 on trafilatura's text) and the CPU time of the
signals beside trafilatura's extraction of the same pages.

    python -m benchmarks.page_type_signals [--data ../shared/data] [--pages]
"""

from __future__ import annotations

import argparse
import gzip
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("LOGURU_LEVEL", "WARNING")

from benchmarks.results import add_data_arg, scratch  # noqa: E402
from corpus.core import vocab  # noqa: E402

MULTI_CACHE = "warc/multi-cache-00.warc.gz"
SIGNALS = (vocab.PAGE_TYPE_PROSE_RUN, vocab.PAGE_TYPE_LINK_DENSITY, vocab.PAGE_TYPE_LIST_SHARE, vocab.PAGE_TYPE_LINKS)


def shared_sets(data: Path) -> dict[str, list[tuple[str, str, str]]]:
    """set -> [(name, lang, html)]."""
    from corpus.core.charset import decode
    from evalsets.labelled import SETS
    from evalsets.retention_inputs import gold_pages, html_pages

    out = {}
    for lang in SETS:
        pages, _ = gold_pages(data, lang)
        out[SETS[lang]] = [(url, lang, decode(gzip.open(p["path"]).read())[0]) for url, p in sorted(pages.items())]
    for name, items in html_pages(data).items():  # all Chinese
        out[name] = [(url, "zh", decode(body)[0]) for url, body in items]
    return out


def multi_cache_english(data: Path) -> list[tuple[str, str, str]]:
    from warcio.archiveiterator import ArchiveIterator

    from corpus.core.charset import decode
    from corpus.core.extract import Extractor
    from corpus.core.layout import Layout
    from datatrove.data import Document
    from filters.language import LanguageScorer

    ex, lid = Extractor(Layout(str(scratch("page-type-signals")))), LanguageScorer()
    out = []
    with open(data / MULTI_CACHE, "rb") as f:
        for rec in ArchiveIterator(f):
            if rec.rec_type != "response":
                continue
            url = rec.rec_headers.get_header("WARC-Target-URI")
            html = decode(rec.content_stream().read(), rec.http_headers.get_header("Content-Type"))[0]
            text = ex.extract(html, url)
            if text and lid.score(Document(text=text, id=url))[vocab.LANG] == "en":
                out.append((url, "en", html))
    return out


def quantiles(values: list[float]) -> str:
    v = sorted(values)
    q = [v[min(len(v) - 1, int(f * len(v)))] for f in (0.0, 0.05, 0.5, 0.95)] + [v[-1]]
    return " / ".join(f"{x:.3g}" for x in q)


def measure(sets: dict, show_pages: bool) -> None:
    import trafilatura

    from corpus.config import load_config
    from corpus.core.steps import rules_for
    from filters.page_type import STAGES, page_shape

    rules = STAGES[0].rules_of(load_config(None))
    print("signal quantiles per set: min / p5 / p50 / p95 / max\n")
    cpu_signals = cpu_extract = 0.0
    for name, pages in sets.items():
        rows, dropped = [], []
        for url, lang, html in pages:
            t = time.process_time()
            shape = page_shape(html)
            cpu_signals += time.process_time() - t
            t = time.process_time()
            trafilatura.extract(html, include_tables=True, deduplicate=False, with_metadata=False)
            cpu_extract += time.process_time() - t
            s = shape.signals() if shape else {}
            rows.append(s)
            if any(r.fires(s.get(r.key)) for r in rules_for(rules, lang)):
                dropped.append((url, s))
        print(
            f"{name}: {len(pages)} pages, {len(dropped)} dropped by page_type ({100 * len(dropped) / len(pages):.1f}%)"
        )
        for k in SIGNALS:
            print(f"    {k:24} {quantiles([s[k] for s in rows if s])}")
        for url, s in dropped if show_pages else []:
            print(f"    dropped: {url}  " + " ".join(f"{k[10:]}={s.get(k)}" for k in SIGNALS))
    print(
        f"\nCPU: signals {cpu_signals:.1f} s, trafilatura {cpu_extract:.1f} s on the same pages "
        f"({100 * cpu_signals / cpu_extract:.0f}% of extraction)"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_data_arg(ap)
    ap.add_argument("--pages", action="store_true", help="list every dropped page with its signals")
    args = ap.parse_args()
    data = Path(args.data)
    sets = shared_sets(data)
    sets["multi-cache-en"] = multi_cache_english(data)
    measure(sets, args.pages)
    return 0


if __name__ == "__main__":
    sys.exit(main())
