"""How far the cheap extractors fall short of trafilatura on the labelled pages, and where
trafilatura's own time goes: the measurements behind "2x at trafilatura's quality" being out of
reach for `extract.mode: fast` (docs/notes/fast-extraction.md).

Per labelled page (evalsets.labelled's sets), one process:

1. trafilatura as the build runs it, timed, with the seconds spent inside its readability
   fallback; and trafilatura with `fast=True` (no fallback extractors): how often the two give the
   same text, and their F1.
2. resiliparse's main-content text as fast mode takes it, and the same text with link-dominated
   lines removed: anchors are marked in the HTML before resiliparse renders it, so each output
   line knows which of its characters were link text. A line with more than `--max-link-share`
   of its characters inside links is dropped (jusText's classic bound is 0.2).
3. A distilled line classifier: trafilatura's output (not the gold) labels each resiliparse line
   kept or dropped, LightGBM learns that from cheap line features (length, link share, Han share,
   end punctuation, digits, position, neighbours, and marks put after start tags: headings, list
   items, paragraphs, cells, boilerplate- or content-named regions) on the even pages, and the odd pages are scored
   against the gold, the classifier's most confident pages taking its text and the rest
   trafilatura's. Then once more, trained on the HTML outside the gold sets instead (GNE and
   Gerapy's Chinese pages, `warc/multi-cache-00`, the dolma/iana crawls, CC-MAIN-2020-34's sample)
   and scored on every gold page: other sites, as a shipped model would meet them.

    python -m benchmarks.extraction_ceiling [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import gzip
import math
import re
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.results import add_data_arg, scratch
from evalsets.labelled import SETS, labelled_pages, prf, tokens

# private-use characters (no page text is made of them) put into the HTML after an element's
# start tag, so each line resiliparse renders says what it came from
A_OPEN, A_CLOSE, HEADING, ITEM, PARA, CELL, BOILER, CONTENT = (chr(0xE000 + i) for i in range(8))
_MARKS = str.maketrans("", "", A_OPEN + A_CLOSE + HEADING + ITEM + PARA + CELL + BOILER + CONTENT)
_TAG = re.compile(r"<(a|h[1-6]|li|p|td|div|section|ul|span|article|aside|nav|footer|header)\b([^>]*)>", re.I)
_A_END = re.compile(r"</a\s*>", re.I)
_NAMES = re.compile(r"""(?:class|id)\s*=\s*["']?([^"'>]*)""", re.I)
_BOILER_NAME = re.compile(
    r"comment|related|share|social|sidebar|breadcrumb|footer|nav|menu|recommend|copyright|"
    r"advert|banner|popular|subscribe|newsletter|tag|hot|rank|login|toolbar|pag(?:er|ination)|"
    r"widget|promo|sponsor|foot|header|bottom|top|more|list|link",
    re.I,
)
_CONTENT_NAME = re.compile(r"article|content|post|entry|story|text|body|detail|main|news|zw|cont", re.I)
_STRUCTURE = {"li": ITEM, "p": PARA, "td": CELL}
_LINKED = re.compile(f"{A_OPEN}[^{A_CLOSE}]*{A_CLOSE}")
_WS = re.compile(r"\s+")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_END = re.compile(r"[.!?。！？…\"”’」』)）]\s*$")
_PUNCT = re.compile(r"[.,;!?。，；！？、]")
_DIGIT = re.compile(r"\d")
SHARES = (0.4, 0.5, 0.6, 0.7, 1.0)


@dataclass(frozen=True)
class Line:
    text: str
    link_share: float  # of its characters inside <a>
    marks: tuple[float, ...]  # heading, list item, paragraph, cell starts; boilerplate, content names
    region: float  # the last named element above: 1 boilerplate-like, -1 content-like, 0 none yet
    since_region: int  # lines since that element started


def _mark(match: re.Match) -> str:
    tag, out = match.group(1).lower(), match.group(0)
    if tag == "a":
        return out + A_OPEN
    out += HEADING if tag[0] == "h" and len(tag) == 2 else _STRUCTURE.get(tag, "")
    if tag in ("aside", "nav", "footer", "header"):
        return out + BOILER
    names = " ".join(_NAMES.findall(match.group(2)))
    return out + (BOILER if _BOILER_NAME.search(names) else CONTENT if _CONTENT_NAME.search(names) else "")


def marked_lines(html: str) -> list[Line]:
    """resiliparse's main-content lines with what the marks say about each."""
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.html import HTMLTree

    marked = _A_END.sub(lambda m: A_CLOSE + m.group(0), _TAG.sub(_mark, html))
    text = extract_plain_text(
        HTMLTree.parse(marked),
        main_content=True,
        alt_texts=False,
        links=False,
        form_fields=False,
        noscript=False,
        list_bullets=False,
        preserve_formatting=True,
    )
    lines, region, since = [], 0.0, 0
    for raw in text.split("\n"):
        boiler, content = raw.count(BOILER), raw.count(CONTENT)
        if boiler or content:
            region, since = (1.0 if boiler > content else -1.0), 0
        plain = _WS.sub(" ", raw.translate(_MARKS)).strip()
        if not plain:
            continue
        linked = sum(len(m.group(0).translate(_MARKS)) for m in _LINKED.finditer(raw))
        marks = tuple(float(c in raw) for c in (HEADING, ITEM, PARA, CELL)) + (boiler, content)
        lines.append(Line(plain, min(1.0, linked / len(plain)), marks, region, since))
        since += 1
    return lines


def line_features(lines: list[Line]) -> list[list[float]]:
    n, longest = len(lines), max(len(x.text) for x in lines)
    total = sum(len(x.text) for x in lines)
    linky = sum(x.link_share > 0.5 for x in lines) / n
    peak = max(range(n), key=lambda i: len(lines[i].text))
    rows, before = [], 0
    for i, x in enumerate(lines):
        p = x.text
        f = [
            math.log1p(len(p)),
            x.link_share,
            len(_HAN.findall(p)) / len(p),
            float(bool(_END.search(p))),
            len(_PUNCT.findall(p)) / len(p),
            len(_DIGIT.findall(p)) / len(p),
            i / n,
            len(p) / longest,
            p.count("|") + p.count("·"),
            len(p.split()),
            *x.marks,
            x.region,
            x.since_region,
            before / total,
            (i - peak) / n,
            linky,
            math.log1p(n),
            math.log1p(total),
            float("©" in p or "版权" in p),
        ]
        before += len(p)
        for j in (i - 1, i + 1, i - 2, i + 2):  # neighbours: a heading is short, the paragraph after it is not
            if 0 <= j < n:
                q = lines[j]
                f += [math.log1p(len(q.text)), q.link_share, float(bool(_END.search(q.text))), *q.marks[:2]]
            else:
                f += [-1.0] * 5
        rows.append(f)
    return rows


def teacher_labels(lines: list[Line], teacher: str) -> list[bool]:
    """A line is content when trafilatura kept it: verbatim, or 80% of its tokens in its output."""
    kept = {_WS.sub(" ", t).strip() for t in teacher.split("\n")}
    bag = tokens(teacher)
    labels = []
    for line in lines:
        t = tokens(line.text)
        n = sum(t.values())
        labels.append(line.text in kept or bool(n and sum((t & bag).values()) / n > 0.8))
    return labels


def measure(data: Path, max_link_share: float, extractor) -> list[dict]:
    import trafilatura.external as external

    from corpus.core.fast_extract import fast_page

    spent = {"readability": 0.0}
    readability = external.try_readability

    def timed_readability(tree):  # instrumentation only: same call, same result
        t0 = time.perf_counter()
        try:
            return readability(tree)
        finally:
            spent["readability"] += time.perf_counter() - t0

    external.try_readability = timed_readability
    rows = []
    try:
        for lang, i, t, html in labelled_pages(data):
            spent["readability"] = 0.0
            t0 = time.perf_counter()
            full = extractor.extract(html, t["url"])
            t1 = time.perf_counter()
            quick = extractor.extract(html, t["url"], fallbacks=False)
            t2 = time.perf_counter()
            lines = marked_lines(html)
            t3 = time.perf_counter()
            cleaned = "\n".join(x.text for x in lines if x.link_share <= max_link_share)
            rows.append(
                {
                    "lang": lang,
                    "odd": i % 2 == 1,
                    "gold": tokens(t["text"]),
                    "full": full,
                    "quick": quick,
                    "fast": fast_page(html).text,
                    "cleaned": cleaned,
                    "lines": lines,
                    "s_full": t1 - t0,
                    "s_quick": t2 - t1,
                    "s_marked": t3 - t2,
                    "s_readability": spent["readability"],
                }
            )
    finally:
        external.try_readability = readability
    return rows


def other_pages(data: Path) -> list[str]:
    """Decoded HTML of the shared pages outside the gold sets."""
    from warcio.archiveiterator import ArchiveIterator

    from corpus.core.charset import decode

    pages = []
    for path in sorted((data / "html" / "zh-more").rglob("*.html.gz")):
        with gzip.open(path, "rb") as f:
            pages.append(decode(f.read())[0])
    shards = [
        data / "warc" / "multi-cache-00.warc.gz",
        *sorted((data / "warc-real" / "other_real_crawls").glob("*.warc.gz")),
        data / "warc-real" / "commoncrawl_real" / "resiliparse_CC-MAIN-2020-34_sample.warc.gz",
    ]
    for shard in shards:
        with open(shard, "rb") as f:
            for rec in ArchiveIterator(f):
                if rec.rec_type == "response" and "html" in (rec.http_headers.get_header("Content-Type") or ""):
                    pages.append(decode(rec.content_stream().read())[0])
    return pages


def fit(examples: list[tuple[list[Line], str]]):
    """A LightGBM line classifier from (resiliparse lines, trafilatura's text) pairs."""
    import lightgbm as lgb
    import numpy as np

    x = np.array([f for lines, _ in examples for f in line_features(lines)])
    y = np.array([lab for lines, teacher in examples for lab in teacher_labels(lines, teacher)])
    return lgb.LGBMClassifier(n_estimators=300, num_leaves=31, learning_rate=0.05, verbose=-1).fit(x, y)


def distil(model, rows: list[dict]) -> float:
    """Adds the classifier's text and its mean confidence to each row; returns the seconds spent on
    features and prediction (the marked resiliparse pass is timed in measure)."""
    import numpy as np

    seconds = 0.0
    for r in rows:
        if not r["lines"]:
            r["student"], r["confidence"] = "", 0.0
            continue
        t0 = time.perf_counter()
        p = model.predict_proba(np.array(line_features(r["lines"])))[:, 1]
        seconds += time.perf_counter() - t0
        r["student"] = "\n".join(x.text for x, q in zip(r["lines"], p) if q > 0.5)
        r["confidence"] = float(np.mean(np.abs(p - 0.5)) * 2)
    return seconds


def student_table(rows: list[dict]) -> None:
    """F1 when the classifier's most confident share of pages take its text, the rest trafilatura's
    as built / with fast=True."""
    print(
        f"{'lang':4} {'pages':>5} {'rest':>9} {'alone':>6} "
        + " ".join(f"{'share ' + format(s, 'g'):>9}" for s in SHARES)
        + f" {'student P':>9}"
    )
    for lang in SETS:
        sel = sorted((r for r in rows if r["lang"] == lang), key=lambda r: -r["confidence"])
        student = [prf(tokens(r["student"]), r["gold"])[2] for r in sel]
        for rest in ("full", "quick"):
            other = [prf(tokens(r[rest]), r["gold"])[2] for r in sel]
            cells = [statistics.mean(student[:k] + other[k:]) for k in (int(s * len(sel)) for s in SHARES)]
            print(
                f"{lang:4} {len(sel):5} {rest:>9} {statistics.mean(other):6.3f} "
                + " ".join(f"{c:9.3f}" for c in cells)
                + f" {mean_prf(sel, 'student')[0]:9.3f}"
            )


def mean_prf(rows: list[dict], key: str) -> tuple[float, float, float]:
    scores = [prf(tokens(r[key]), r["gold"])[:3] for r in rows]
    return tuple(statistics.mean(s[k] for s in scores) for k in range(3))


def long_sentence_junk(rows: list[dict], lang: str) -> float:
    """Share of the cleaned text's tokens outside the gold that sit in lines of 100+ characters
    ending in sentence punctuation: the part no line rule on length or links reaches."""
    junk = long = 0
    for r in rows:
        if r["lang"] != lang:
            continue
        for line in r["cleaned"].split("\n"):
            t = tokens(line)
            extra = sum(t.values()) - sum((t & r["gold"]).values())
            junk += extra
            long += extra if len(line) >= 100 and _END.search(line) else 0
    return long / max(junk, 1)


def main() -> int:
    from corpus.core.extract import Extractor
    from corpus.core.layout import Layout

    ap = argparse.ArgumentParser()
    add_data_arg(ap)
    ap.add_argument("--max-link-share", type=float, default=0.2)
    args = ap.parse_args()
    extractor = Extractor(Layout(str(scratch("extraction-ceiling"))))
    rows = measure(Path(args.data), args.max_link_share, extractor)

    full_s, quick_s = sum(r["s_full"] for r in rows), sum(r["s_quick"] for r in rows)
    read_s, marked_s = sum(r["s_readability"] for r in rows), sum(r["s_marked"] for r in rows)
    same = sum(r["full"] == r["quick"] for r in rows)
    print(
        f"{len(rows)} pages. trafilatura as built: {full_s:.2f} s, of it readability {read_s:.2f} s "
        f"({read_s / full_s:.0%}); fast=True {quick_s:.2f} s ({full_s / quick_s:.2f}x), same text on "
        f"{same} pages ({same / len(rows):.0%}); marked resiliparse pass {marked_s:.2f} s ({full_s / marked_s:.1f}x)"
    )
    print(f"\n{'lang':4} {'text':36} {'P':>6} {'R':>6} {'F1':>6}")
    for lang in SETS:
        sel = [r for r in rows if r["lang"] == lang]
        for key, name in (
            ("full", "trafilatura (as built)"),
            ("quick", "trafilatura fast=True"),
            ("fast", "resiliparse main content"),
            ("cleaned", f"resiliparse, link share <= {args.max_link_share:g}"),
        ):
            p, r_, f = mean_prf(sel, key)
            print(f"{lang:4} {name:36} {p:6.3f} {r_:6.3f} {f:6.3f}")
        print(f"{lang:4} cleaned text outside the gold in long punctuated lines: {long_sentence_junk(rows, lang):.0%}")
    odd = [r for r in rows if r["odd"]]
    distil(fit([(r["lines"], r["full"]) for r in rows if not r["odd"] and r["lines"]]), odd)
    print(
        "\ndistilled line classifier on its most confident share of pages, trafilatura (full: as built;"
        "\nquick: fast=True) on the rest; 'alone' is that trafilatura on every page."
        "\ntrained on the even gold pages, scored on the odd ones:"
    )
    student_table(odd)
    examples = [
        (lines, extractor.extract(html, None)) for html in other_pages(Path(args.data)) if (lines := marked_lines(html))
    ]
    seconds = distil(fit(examples), rows)
    print(f"trained on {len(examples)} pages outside the gold sets, scored on every gold page:")
    student_table(rows)
    print(
        f"classifier path on every page: marked resiliparse pass {marked_s:.2f} s + features and "
        f"prediction {seconds:.2f} s = {(marked_s + seconds) / full_s:.0%} of trafilatura's time"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
