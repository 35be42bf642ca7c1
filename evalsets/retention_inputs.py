"""The end-to-end retention set, built from the shared data: every page and document whose fate is
known, written as build inputs (the WARC shards of the labelled pages and of the CC-MAIN-2020-34
sample as they are, one WARC of the HTML-only sets and planted copies, one JSONL of reference text).

- good pages with gold main text: `warc/en-articles-00` (English articles), `warc/zh-news-00`
  (Chinese news); good pages without gold: GNE's news articles and Gerapy's `detail/` pages;
- junk: the Chinese gambling/porn/spam pages of the CC-MAIN-2020-34 sample, Gerapy's `list/`
  pages and GNE's list pages;
- planted near-duplicates: 60 copies of English gold articles, 2% of their words changed and a
  boilerplate line added;
- clean reference text, one document per article, abstract or passage (the even rows; the odd
  ones are left for calibrating thresholds).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import random
import re
from collections import defaultdict
from pathlib import Path

from datatrove.data import Document

from corpus.core.vocab import LANG
from evalsets.labelled import GT_FIELD, SETS

CC_SPAM = "warc-real/commoncrawl_real/resiliparse_CC-MAIN-2020-34_sample.warc.gz"
# hosts of that sample that are not Chinese spam: a Russian company page, a Swiss cycling site, a
# Dutch gardener, an English company page on a .cn domain; the other 11 are Chinese gambling,
# porn and spam sites
CC_NOT_SPAM = ("01spb.ru", "live-radsport.ch", "0900-hovenier.nl", "037426.cn")
GNE = "html/zh-more/gne_news_pages"
GERAPY = "html/zh-more/gerapy_samples"
N_PLANTED = 60
PLANT_CHANGE = 0.02
PLANT_BOILERPLATE = "Follow us on social media and sign up for our newsletter to get the latest stories."
# one document per article or abstract (Wikipedia paragraphs grouped by their article); at most
# REF_DOCS of each, an even spread over the even rows (the odd ones are for calibration). ChID's units are
# passages cut from news and novels (median
# 93 characters, one or two sentences): shorter than any web document a length rule should keep,
# so the set is reported but has no floor.
REFERENCE = {
    "ref-en-wikitext2": ("en", "reference/en-wikitext2.txt.gz", "wikitext"),
    "ref-en-xquad": ("en", "extra/reference/en/xquad/xquad.en.json.gz", "squad"),
    "ref-zh-csl": ("zh", "reference/zh-csl-abstracts.txt.gz", "lines"),
    "ref-zh-csldcp": ("zh", "reference/zh-csldcp-abstracts.jsonl.gz", "jsonl"),
    "ref-zh-chid": ("zh", "reference/zh-chid-passages.txt.gz", "lines"),
    "ref-zh-cmrc2018": ("zh", "extra/reference/zh/derived/cmrc2018_dev_trial_contexts.zh-hans.txt.gz", "lines"),
    "ref-zh-drcd": ("zh", "extra/reference/zh/derived/drcd_dev_test_contexts.zh-hans_opencc_t2s.txt.gz", "drcd"),
    "ref-zh-xquad": ("zh", "extra/reference/zh/xquad/xquad.zh.json.gz", "squad"),
}
DRCD_ARTICLES = (
    "extra/reference/zh/drcd_traditional/DRCD_dev.json.gz",
    "extra/reference/zh/drcd_traditional/DRCD_test.json.gz",
)
NO_FLOOR = ("ref-zh-chid",)
REF_DOCS = 600
SMALL_SET = 200  # documents; XQuAD's 48 articles, WikiText-2's 120

# set -> kind: gold (main text known), article (good, no gold), junk, reference
KINDS = {
    "en-articles": "gold",
    "zh-news": "gold",
    "gne-articles": "article",
    "gerapy-detail": "article",
    "other-languages": "other",
    "cc-zh-spam": "junk",
    "list-pages": "junk",
    "planted-copies": "planted",
    **dict.fromkeys(REFERENCE, "reference"),
}


def _read_gz(path: Path) -> bytes:
    with gzip.open(path, "rb") as f:
        return f.read()


def gold_pages(data: Path, lang: str) -> tuple[dict[str, dict], list[str]]:
    """url -> {id, text, path} of the pages of one gold set whose gold text is in `lang` (lid.176
    on the gold text), and the urls of the others (the English set holds 20 pages in other
    languages, which a build rightly drops)."""
    from filters.language import LanguageScorer

    folder = data / "html" / SETS[lang]
    with gzip.open(folder / "ground-truth.json.gz", "rt", encoding="utf-8") as f:
        gt = json.load(f)
    lid = LanguageScorer()
    pages, other = {}, []
    for pid, v in gt.items():
        text = v[GT_FIELD[lang]]
        if lid.score(Document(text=text, id=pid))[LANG] == lang:
            pages[v["url"]] = {"id": pid, "text": text, "path": folder / "pages" / f"{pid}.html.gz"}
        else:
            other.append(v["url"])
    return pages, other


def html_pages(data: Path) -> dict[str, list[tuple[str, bytes]]]:
    """set -> [(url, raw bytes)] of the HTML-only sets; identical files are taken once."""
    out, seen = defaultdict(list), set()

    def add(name: str, url: str, path: Path):
        body = _read_gz(path)
        digest = hashlib.sha256(body).hexdigest()
        if digest not in seen:
            seen.add(digest)
            out[name].append((url, body))

    for p in sorted((data / GNE / "tests").glob("*/*.html.gz")):
        add("gne-articles", f"https://gne.example/{p.parent.name}/{p.name[:-3]}", p)
    for p in sorted((data / GNE / "test_list_page").glob("*/*.html.gz")):
        add("list-pages", f"https://gne.example/list/{p.parent.name}/{p.name[:-3]}", p)
    for kind, name in (("detail", "gerapy-detail"), ("list", "list-pages")):
        for p in sorted((data / GERAPY / kind).glob("*.html.gz")):
            add(name, f"https://gerapy.example/{kind}/{p.name[:-3]}", p)
    return out


_WORD = re.compile(r"\b[A-Za-z]{4,}\b")


def plant_copy(html: str, gold: str, rng: random.Random) -> str:
    """A near-duplicate page: PLANT_CHANGE of the article's words altered where they first occur
    after <body>, and a boilerplate paragraph added at the end."""
    words = _WORD.findall(gold)
    start = max(html.lower().find("<body"), 0)
    head, body = html[:start], html[start:]
    for w in rng.sample(words, max(1, int(len(words) * PLANT_CHANGE))):
        body = re.sub(rf"\b{w}\b", w[::-1].lower(), body, count=1)
    end = body.lower().rfind("</body")
    para = f"<p>{PLANT_BOILERPLATE}</p>"
    body = body[:end] + para + body[end:] if end >= 0 else body + para
    return head + body


def planted_pages(data: Path, gold: dict[str, dict]) -> list[tuple[str, bytes, str]]:
    """(copy url, utf-8 page, original url) for N_PLANTED English gold articles."""
    from corpus.core.charset import decode

    rng = random.Random(0)
    out = []
    for url in sorted(gold)[:: max(1, len(gold) // N_PLANTED)][:N_PLANTED]:
        html, _, _ = decode(_read_gz(gold[url]["path"]))
        out.append(
            (
                url + ("&" if "?" in url else "?") + "planted=1",
                plant_copy(html, gold[url]["text"], rng).encode("utf-8"),
                url,
            )
        )
    return out


def _squad_articles(path: Path) -> list[list[str]]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [[p["context"] for p in a["paragraphs"]] for a in json.load(f)["data"]]


def reference_docs(data: Path, name: str, part: int = 0) -> list[str]:
    """Documents of one reference set: part 0 (even rows) is evaluated here, part 1 (odd rows) is
    left for calibrating thresholds (benchmarks/reference_percentiles.py, benchmarks/calibrate_reference.py);
    at most REF_DOCS."""
    from filters.reference import uncut, wikitext_articles

    _, rel, fmt = REFERENCE[name]
    path = data / rel
    if fmt == "wikitext":
        docs = wikitext_articles(path)
    elif fmt == "squad":
        docs = ["\n\n".join(paras) for paras in _squad_articles(path)]
    else:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            rows = [ln.strip() for ln in f if ln.strip()]
        if fmt == "drcd":  # the Simplified lines follow the Traditional files' paragraphs in order
            sizes = [len(paras) for p in DRCD_ARTICLES for paras in _squad_articles(data / p)]
            assert sum(sizes) == len(rows), "DRCD: derived lines do not match the articles"
            starts = [sum(sizes[:i]) for i in range(len(sizes))]
            docs = ["\n\n".join(rows[a : a + n]) for a, n in zip(starts, sizes)]
        elif fmt == "jsonl":
            docs = [json.loads(r)["text"] for r in rows]
        else:  # ChID cut its passages mid-sentence and marked the cut with "...": the cut sentence goes
            docs = [d for d in map(uncut, rows) if d]
    if len(docs) <= SMALL_SET:  # evaluated whole, nothing left to calibrate on
        return docs if part == 0 else []
    docs = docs[part::2]
    step = max(1, len(docs) // REF_DOCS)
    return docs[::step][:REF_DOCS]


def write_warc(path: Path, pages: list[tuple[str, bytes]]) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for url, body in pages:
            # no charset label: the reader decodes these pages as it would any unlabelled page
            http = StatusAndHeaders(
                "200 OK", [("Content-Type", "text/html"), ("Content-Length", str(len(body)))], protocol="HTTP/1.1"
            )
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http))


def prepare_inputs(data: Path, work: Path) -> tuple[list[str], dict[str, str], dict]:
    """Input files, url -> set name, and what scoring needs (gold texts, planted pairs, etc.)."""
    work.mkdir(parents=True, exist_ok=True)
    set_of: dict[str, str] = {}
    gold = {}
    for lang in SETS:
        gold[lang], other = gold_pages(data, lang)
        set_of.update(dict.fromkeys(gold[lang], SETS[lang]))
        set_of.update(dict.fromkeys(other, "other-languages"))
    html = html_pages(data)
    planted = planted_pages(data, gold["en"])
    pages = [(u, b) for name in sorted(html) for u, b in html[name]] + [(u, b) for u, b, _ in planted]
    for name, items in html.items():
        for url, _ in items:
            set_of[url] = name
    for url, _, _ in planted:
        set_of[url] = "planted-copies"
    write_warc(work / "html-sets.warc.gz", pages)
    with open(work / "reference.jsonl", "w", encoding="utf-8") as f:
        for name in REFERENCE:
            for i, text in enumerate(reference_docs(data, name)):
                url = f"https://reference.example/{name}/{i}"
                set_of[url] = name
                f.write(json.dumps({"text": text, "url": url}, ensure_ascii=False) + "\n")
    inputs = [str(data / "warc" / f"{SETS[lang]}-00.warc.gz") for lang in SETS]
    inputs += [str(data / CC_SPAM), str(work / "html-sets.warc.gz"), str(work / "reference.jsonl")]
    return inputs, set_of, {"gold": gold, "planted": planted}


def _host(url: str) -> str:
    m = re.match(r"https?://([^/?#]+)", url)
    return m.group(1).lower() if m else ""


def cc_spam_urls(data: Path) -> list[str]:
    from warcio.archiveiterator import ArchiveIterator

    with open(data / CC_SPAM, "rb") as f:
        urls = [r.rec_headers.get_header("WARC-Target-URI") for r in ArchiveIterator(f) if r.rec_type == "response"]
    return [u for u in urls if not _host(u).endswith(CC_NOT_SPAM)]
