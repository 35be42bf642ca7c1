"""One parse per page: the page_type signals and the extracted text from one shared tree, checked
against the two-parse code they replaced, on every HTML page of the shared data.

The two-parse code is kept here, as it was, as the reference (`old_*` below): page_type parsed the
page with lxml's own HTML parser and removed hidden elements and comments before counting; the
Extractor parsed the page again (trafilatura's load_html, directly or inside trafilatura.extract).
The new path is the build's: PageTypeScorer (which parses once, trafilatura's way, and leaves the
tree on the document) then Extractor.run (which takes the tree off and extracts from it).

Pages: every HTML record of DATA/warc/ and DATA/warc-real/ (CrawlReader, as a build reads them,
the content stage's checks applied) and every page under DATA/html/ (decoded as the readers do).
Reports the pages whose extracted text differs, whose page_type signals differ, whose page_type
decision differs under the default thresholds of each configured language (all must be 0), pages
whose tree was still on the document after extraction, and the CPU seconds of each path (page_type
and extraction, old and new, one process, the order alternated page by page).

    python -m benchmarks.one_parse_check [--data ../shared/data] [--limit N]

Records the claim one_parse_equivalence (pages that differ in text, signals or decision; target 0).
"""

from __future__ import annotations

import argparse
import glob
import gzip
import os
import sys
import time

os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
os.environ.setdefault("LOGURU_LEVEL", "WARNING")

from benchmarks.results import add_data_arg, record, scratch  # noqa: E402

# ---------------------------------------------------------------- the two-parse code, as it was


def old_parse(html: str):
    """filters/page_type.py `parse` before the shared tree: lxml's parser, hidden elements and comments removed."""
    from lxml import etree

    from corpus.core.extract import without_early_end
    from filters.page_type import HIDDEN_TAGS

    try:
        root = etree.fromstring(without_early_end(html).encode("utf-8", "replace"), etree.HTMLParser(encoding="utf-8"))
    except (etree.LxmlError, ValueError):
        return None
    if root is None:
        return None
    etree.strip_elements(root, etree.Comment, etree.ProcessingInstruction, *HIDDEN_TAGS, with_tail=False)
    return root


def old_walk(root) -> tuple[dict, list]:
    from lxml import etree

    from filters.page_type import BLOCK_TAGS, _chars

    sizes, segments, stack = {}, [], []
    for event, el in etree.iterwalk(root, events=("start", "end")):
        if event == "start":
            outer_block, outer_link = (stack[-1][1], stack[-1][2]) if stack else (root, False)
            is_link = el.tag == "a" and el.get("href") is not None
            block = el if el.tag in BLOCK_TAGS else outer_block
            in_link = outer_link or is_link
            size = [0, 0, is_link]
            stack.append((el, block, in_link, size))
            if el.text and (n := _chars(el.text)):
                segments.append((el, block, in_link, n))
                size[0] += n
                size[1] += n if in_link else 0
            continue
        el, _, _, size = stack.pop()
        sizes[el] = size
        if not stack:
            continue
        parent, block, in_link, psize = stack[-1]
        psize[0] += size[0]
        psize[1] += size[1]
        psize[2] = psize[2] or size[2]
        if el.tail and (n := _chars(el.tail)):
            segments.append((parent, block, in_link, n))
            psize[0] += n
            psize[1] += n if in_link else 0
    return sizes, segments


def old_list_entries(root, sizes: dict) -> set:
    from filters.page_type import LIST_MIN_ITEMS, _is_list

    entries = set()
    for parent in root.xpath(f"descendant-or-self::*[count(*) >= {LIST_MIN_ITEMS}]"):
        groups: dict[tuple, list] = {}
        for child in parent:
            if isinstance(child.tag, str) and child.tag != "p":
                groups.setdefault((child.tag, child.get("class", "")), []).append(child)
        for members in groups.values():
            if _is_list(members, sizes):
                entries.update(members)
    return entries


def old_signals(html: str) -> dict:
    """PageTypeScorer.score before the shared tree."""
    from filters.page_type import PageShape, _longest_prose_run, _pieces

    try:
        root = old_parse(html)
        if root is None:
            return {}
        sizes, segments = old_walk(root)
        text, link = sizes[root][0], sizes[root][1]
        if not text:
            return {}
        pieces, listed = _pieces(segments, old_list_entries(root, sizes))
        links = sum(1 for a in root.iter("a") if a.get("href") is not None)
        return PageShape(text, link, links, _longest_prose_run(pieces), listed).signals()
    except Exception:
        return {}


def old_extract(ex, html: str, url: str | None) -> str:
    """Extractor.extract before the shared tree: the page parsed from its text."""
    import trafilatura
    from trafilatura.utils import load_html

    from corpus.core.extract import _TABLE, DUBIOUS_PREFIX, without_early_end
    from corpus.core.fast_extract import clean_lines
    from corpus.core.tables import unwrap_layout_tables

    def run(page: str) -> str:
        source = without_early_end(page)
        if _TABLE.search(source):
            source = load_html(source)
            if source is None:
                return ""
            unwrap_layout_tables(source)
        text = (
            trafilatura.extract(
                source,
                url=url,
                include_comments=ex.include_comments,
                include_tables=ex.include_tables,
                favor_precision=ex.favor == "precision",
                favor_recall=ex.favor == "recall",
                deduplicate=False,
                with_metadata=False,
                fast=False,
            )
            or ""
        )
        return clean_lines(text)

    text = run(html)
    if not text and "html" not in html[:DUBIOUS_PREFIX].lower():
        text = run("<html>" + html)
    return text


# ---------------------------------------------------------------- the pages


def shared_pages(data, limit: int = 0):
    """(name, url, html, payload bytes) of every HTML page the front of a build would extract."""
    from datatrove.data import Document

    from corpus.core import vocab
    from corpus.core.charset import decode
    from corpus.core.extract import ContentFilter
    from corpus.core.layout import Layout
    from corpus.core.readers import CrawlReader, resolve_inputs

    content = ContentFilter()
    files, _ = resolve_inputs((str(data / "warc"), str(data / "warc-real")))
    reader = CrawlReader(files, str(data), Layout(str(scratch("one-parse-check"))))
    n = 0
    for doc in reader.run():
        md = doc.metadata
        if md.get(vocab.PAYLOAD_KIND) == "html" and content.filter(doc) is True:
            yield doc.id, md.get(vocab.URL), doc.text
            n += 1
            if limit and n >= limit:
                return
    for path in sorted(glob.glob(str(data / "html" / "**" / "*.html.gz"), recursive=True)):
        with gzip.open(path, "rb") as f:
            body = f.read()
        html = decode(body)[0]
        doc = Document(text=html, id=path, metadata={vocab.PAYLOAD_KIND: "html", vocab.PAYLOAD_BYTES: len(body)})
        if content.filter(doc) is True:
            yield os.path.relpath(path, data), None, html
            n += 1
            if limit and n >= limit:
                return


# ---------------------------------------------------------------- the check


def decisions(rules: dict, signals: dict) -> dict:
    from corpus.core.steps import rules_for

    return {
        lang: next((r.reason for r in rules_for(rules, lang) if r.fires(signals.get(r.key))), None) for lang in rules
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    add_data_arg(ap)
    ap.add_argument("--limit", type=int, default=0, help="pages at most (0: all)")
    args = ap.parse_args()

    from datatrove.data import Document

    from corpus.config import load_config
    from corpus.core import vocab
    from corpus.core.extract import HTML_TREE, Extractor, parse_page
    from corpus.core.layout import Layout
    from filters.page_type import STAGES, PageTypeScorer

    rules = STAGES[0].rules_of(load_config(None))
    # the build's steps; a timeout no page reaches, so that both paths extract every page
    ex = Extractor(Layout(str(scratch("one-parse-check"))), timeout_s=3600)
    scorer = PageTypeScorer()
    cpu = {"old page_type": 0.0, "old extract": 0.0, "new page_type": 0.0, "new extract": 0.0}
    pages = text_diff = signal_diff = decision_diff = tree_left = rejected = 0
    examples: list[str] = []

    def old_path(url, html):
        t0 = time.process_time()
        s = old_signals(html)
        t1 = time.process_time()
        t = old_extract(ex, html, url)
        t2 = time.process_time()
        cpu["old page_type"] += t1 - t0
        cpu["old extract"] += t2 - t1
        return s, t

    def new_path(url, html):
        doc = Document(text=html, id="p", metadata={vocab.PAYLOAD_KIND: "html", vocab.URL: url})
        t0 = time.process_time()
        (doc,) = scorer.run([doc])
        t1 = time.process_time()
        out = list(ex.run([doc]))
        t2 = time.process_time()
        cpu["new page_type"] += t1 - t0
        cpu["new extract"] += t2 - t1
        if not out:  # extraction failed on this page
            return {k: v for k, v in doc.metadata.items() if k.startswith("page_type_")}, None, False
        md = out[0].metadata
        return {k: v for k, v in md.items() if k.startswith("page_type_")}, out[0].text, HTML_TREE in md

    for name, url, html in shared_pages(args.data, args.limit):
        pages += 1
        rejected += parse_page(html) is None
        if pages % 2:
            old_s, old_t = old_path(url, html)
            new_s, new_t, left = new_path(url, html)
        else:
            new_s, new_t, left = new_path(url, html)
            old_s, old_t = old_path(url, html)
        tree_left += left
        what = []
        if new_t != old_t:
            text_diff += 1
            what.append(f"text ({len(old_t)} -> {None if new_t is None else len(new_t)} chars)")
        if new_s != old_s:
            signal_diff += 1
            what.append(f"signals {old_s} -> {new_s}")
        if decisions(rules, new_s) != decisions(rules, old_s):
            decision_diff += 1
            what.append("decision")
        if what:
            examples.append(f"{name}: {'; '.join(what)}")

    print(f"{pages} HTML pages ({rejected} rejected by trafilatura's parser, signals from lxml's own there)")
    print(f"extracted text differs: {text_diff}")
    print(f"page_type signals differ: {signal_diff}")
    print(f"page_type decision differs (languages {', '.join(rules)}): {decision_diff}")
    print(f"tree left on the document after extraction: {tree_left}")
    for line in examples[:40]:
        print("  " + line)
    old_total, new_total = cpu["old page_type"] + cpu["old extract"], cpu["new page_type"] + cpu["new extract"]
    print("CPU seconds, one process, old and new alternating page by page:")
    for k, v in cpu.items():
        print(f"  {k:14} {v:7.2f}")
    print(f"  page_type + extract: old {old_total:.2f}, new {new_total:.2f}, new/old {new_total / old_total:.3f}")
    print(f"load average: {os.getloadavg()}")
    differ = text_diff + signal_diff + decision_diff + tree_left
    if not args.limit:
        record(
            "one_parse_equivalence",
            differ,
            0,
            "pages whose text, page_type signals or decision differ (or kept their tree)",
            differ == 0,
            {
                "pages": pages,
                "rejected_by_trafilatura": rejected,
                "text_differs": text_diff,
                "signals_differ": signal_diff,
                "decision_differs": decision_diff,
                "tree_left": tree_left,
                "cpu_s": cpu,
                "cpu_ratio_new_old": new_total / old_total,
                "examples": examples[:40],
            },
        )
    return 0 if differ == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
