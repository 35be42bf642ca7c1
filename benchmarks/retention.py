"""End-to-end retention: what the default cascade keeps of good pages, and what it lets through.

One build, with any config, over every shared set whose fate is known, all together as in a real
crawl (so dedup sees everything at once):

- good pages with gold main text: `warc/en-articles-00` (English articles), `warc/zh-news-00`
  (Chinese news); good pages without gold: GNE's news articles and Gerapy's `detail/` pages;
- junk: the Chinese gambling/porn/spam pages of the CC-MAIN-2020-34 sample, Gerapy's `list/`
  pages and GNE's list pages;
- planted near-duplicates: 60 copies of English gold articles, 2% of their words changed and a
  boilerplate line added;
- clean reference text, one document per article, abstract or passage.

Per set it prints pages kept, content retention (micro token recall of the gold text inside kept
text, a dropped page counting 0), kept precision (gold tokens / kept tokens), extraction P/R/F1
whatever the fate, and the (stage, reason) of every good page lost, with examples. A good page
that dedup removed while a duplicate of it was kept counts as kept: its text is in the corpus. Tokens:
lower-cased words for English, CJK characters plus ASCII word runs for Chinese.

    PYTHONPATH=$PWD python benchmarks/retention.py [-c build.yaml] [--models-dir models] [--json out.json]

`check_floors(summary)` lists the floors a result breaks (tests/filters/test_retention.py).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import os
import random
import re
import shutil
import sys
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("LOGURU_LEVEL", "WARNING")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from datatrove.data import Document  # noqa: E402

from benchmarks.extraction_f1 import GT_FIELD, SETS, prf, tokens  # noqa: E402
from corpus.vocab import LANG  # noqa: E402

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
# REF_DOCS of each, an even spread over the even rows (the odd ones are for calibration). ChID's units are passages cut from news and novels (median
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
DRCD_ARTICLES = ("extra/reference/zh/drcd_traditional/DRCD_dev.json.gz", "extra/reference/zh/drcd_traditional/DRCD_test.json.gz")
NO_FLOOR = ("ref-zh-chid",)
REF_DOCS = 600
SMALL_SET = 200  # documents; XQuAD's 48 articles, WikiText-2's 120

# set -> kind: gold (main text known), article (good, no gold), junk, reference
KINDS = {"en-articles": "gold", "zh-news": "gold", "gne-articles": "article", "gerapy-detail": "article",
         "other-languages": "other", "cc-zh-spam": "junk", "list-pages": "junk", "planted-copies": "planted", **dict.fromkeys(REFERENCE, "reference")}

FLOORS = {  # set -> {metric: floor}; "max" metrics are ceilings
    "en-articles": {"kept_share": 0.95, "content_retention": 0.92, "kept_precision": 0.95},
    "zh-news": {"kept_share": 0.90, "content_retention": 0.85, "kept_precision": 0.93},
    "gne-articles": {"kept_share": 0.90},
    "cc-zh-spam": {"dropped_share": 1.0},
    "list-pages": {"dropped": 11},
    **{name: {"max_dropped_share": 0.03} for name in REFERENCE if name not in NO_FLOOR},
    "planted-copies": {"pair_caught_share": 0.95, "max_originals_lost": 0},
}


# ---------------------------------------------------------------- inputs

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
    from corpus.charset import decode

    rng = random.Random(0)
    out = []
    for url in sorted(gold)[:: max(1, len(gold) // N_PLANTED)][:N_PLANTED]:
        html, _, _ = decode(_read_gz(gold[url]["path"]))
        out.append((url + ("&" if "?" in url else "?") + "planted=1",
                    plant_copy(html, gold[url]["text"], rng).encode("utf-8"), url))
    return out


def _squad_articles(path: Path) -> list[list[str]]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [[p["context"] for p in a["paragraphs"]] for a in json.load(f)["data"]]


def reference_docs(data: Path, name: str, part: int = 0) -> list[str]:
    """Documents of one reference set: part 0 (even rows) is evaluated here, part 1 (odd rows) is
    left for calibrating thresholds (benchmarks/reference_percentiles.py); at most REF_DOCS."""
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
            docs = ["\n\n".join(rows[a: a + n]) for a, n in zip(starts, sizes)]
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
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html"), ("Content-Length", str(len(body)))],
                                    protocol="HTTP/1.1")
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


# ---------------------------------------------------------------- build and score

def run_build(inputs: list[str], out: Path, config: str | None, models_dir: str | None, workers: int):
    from corpus.build import build
    from corpus.config import load_config

    shutil.rmtree(out, ignore_errors=True)
    overrides = {"inputs": inputs, "output": str(out), "executor": {"workers": workers}}
    if models_dir:
        overrides["scorers"] = {"models_dir": models_dir}
    cfg = load_config(config, **overrides)
    res = build(cfg)
    assert res.exit_code == 0, f"build failed: {res.shards}"
    return cfg


def fates(out: Path) -> dict[str, dict]:
    """url -> {fate, stage, reason, lang, text (the text at the end, '' before extraction)}."""
    from corpus import vocab
    from corpus.sql import connect

    con = connect(str(out))
    # a near-duplicate whose cluster kept a member, or an exact copy: its text is in the corpus
    rows = con.execute(f"""select url, fate, stage, reason, lang, text,
                                  stage = '{vocab.DEDUP_EXACT}' or (stage = '{vocab.DEDUP_MINHASH}' and
                                  {vocab.DEDUP_CLUSTER_ID} in (select {vocab.DEDUP_CLUSTER_ID} from kept))
                           from docs""").fetchall()
    before_extract = (vocab.READ, vocab.CONTENT, vocab.EXTRACT)
    res = {}
    for url, fate, stage, reason, lang, text, dup_of_kept in rows:
        extracted = fate == "kept" or (fate == "dropped" and stage not in before_extract)
        res[url] = {"fate": fate, "stage": stage or "", "reason": reason or "", "lang": lang,
                    "text": (text or "") if extracted else "", "dup_of_kept": bool(dup_of_kept)}
    return res


def _snippet(text: str, n: int = 70) -> str:
    return " ".join(text.split())[:n]


def score_gold(pages: dict[str, dict], res: dict[str, dict], copies: dict[str, str]) -> dict:
    """`copies`: original url -> planted copy url. An original that dedup dropped for its kept
    copy is scored by the copy: its text is in the corpus."""
    kept = ov_kept = tok_kept = ngold = 0
    ex = [0, 0, 0]
    for url, page in pages.items():
        r = res[url]
        copy = res.get(copies.get(url, ""))
        if r["stage"].startswith("dedup_") and copy and copy["fate"] == "kept":
            r = copy
        gold = tokens(page["text"])
        got = tokens(r["text"])
        _, _, _, ov, npred, ng = prf(got, gold)
        ex = [ex[0] + ov, ex[1] + npred, ex[2] + ng]
        ngold += ng
        if r["fate"] == "kept":
            kept += 1
            ov_kept += ov
            tok_kept += npred
    p, rc = ex[0] / max(ex[1], 1), ex[0] / max(ex[2], 1)
    return {"pages": len(pages), "kept": kept, "kept_share": kept / len(pages),
            "content_retention": ov_kept / max(ngold, 1), "kept_precision": ov_kept / max(tok_kept, 1),
            "extract_p": p, "extract_r": rc, "extract_f1": 2 * p * rc / (p + rc) if p + rc else 0.0}


def score_planted(planted: list[tuple[str, bytes, str]], en_gold: dict, res: dict, stages: tuple[str, ...]) -> dict:
    """A pair is reachable when both copies got to the first dedup stage; caught when a dedup
    stage dropped one of them. Originals without a copy must not be dropped by dedup."""
    dedup = [s for s in stages if s.startswith("dedup_")]
    before = set(stages[: stages.index(dedup[0])]) if dedup else set(stages)
    before |= {"read", "content", "extract"}

    def reached(r):
        return not (r["fate"] in ("dropped", "failed") and r["stage"] in before)

    reachable = caught = both = 0
    for copy_url, _, orig_url in planted:
        a, b = res[orig_url], res[copy_url]
        if not (reached(a) and reached(b)):
            continue
        reachable += 1
        lost = [r["fate"] == "dropped" and r["stage"] in dedup for r in (a, b)]
        caught += any(lost)
        both += all(lost)
    originals = {o for _, _, o in planted}
    lone_lost = [u for u in en_gold if u not in originals and res[u]["fate"] == "dropped" and res[u]["stage"] in dedup]
    return {"pairs": len(planted), "reachable": reachable, "caught": caught, "both_lost": both,
            "pair_caught_share": caught / reachable if reachable else 0.0,
            "originals_lost": len(lone_lost), "originals_lost_examples": lone_lost[:3]}


def evaluate(inputs_info: dict, set_of: dict[str, str], res: dict, stages: tuple[str, ...]) -> dict:
    members = defaultdict(list)
    for url, name in set_of.items():
        members[name].append(url)
    missing = [u for u in set_of if u not in res]
    assert not missing, f"{len(missing)} pages not found in the build (e.g. {missing[:2]})"
    gold = inputs_info["gold"]
    summary: dict[str, dict] = {}
    copies = {orig: copy for copy, _, orig in inputs_info["planted"]}
    for lang in SETS:
        summary[SETS[lang]] = score_gold(gold[lang], res, copies)
    for name, urls in members.items():
        kind = KINDS[name]
        if kind in ("gold", "planted", "other"):
            continue
        n_kept = sum(res[u]["fate"] == "kept" or (kind != "junk" and res[u]["dup_of_kept"]) for u in urls)
        # (n - kept) / n, not 1 - kept / n: 18 of 600 must read 0.03 exactly against a 3% ceiling
        dropped_share = (len(urls) - n_kept) / len(urls)
        summary[name] = {"pages": len(urls), "kept": n_kept, "kept_share": n_kept / len(urls),
                         "dropped": len(urls) - n_kept, "dropped_share": dropped_share,
                         "max_dropped_share": dropped_share,
                         "kept_examples": [u for u in urls if res[u]["fate"] == "kept"][:5] if kind == "junk" else []}
    summary["planted-copies"] = score_planted(inputs_info["planted"], gold["en"], res, stages)
    # good pages lost: (set, stage, reason) -> count and examples
    losses: dict[tuple, list] = defaultdict(list)
    for url, name in set_of.items():
        if KINDS[name] in ("gold", "article", "reference") and res[url]["fate"] != "kept" \
                and not res[url]["dup_of_kept"]:
            r = res[url]
            losses[(name, r["stage"], r["reason"])].append(f"{url}  |{_snippet(r['text'])}")
    summary["_losses"] = {" / ".join(k): {"count": len(v), "examples": v[:2]}
                          for k, v in sorted(losses.items(), key=lambda kv: (kv[0][0], -len(kv[1])))}
    return summary


def _host(url: str) -> str:
    m = re.match(r"https?://([^/?#]+)", url)
    return m.group(1).lower() if m else ""


def cc_spam_urls(data: Path) -> list[str]:
    from warcio.archiveiterator import ArchiveIterator

    with open(data / CC_SPAM, "rb") as f:
        urls = [r.rec_headers.get_header("WARC-Target-URI") for r in ArchiveIterator(f) if r.rec_type == "response"]
    return [u for u in urls if not _host(u).endswith(CC_NOT_SPAM)]


def check_floors(summary: dict) -> list[str]:
    broken = []
    for name, floors in FLOORS.items():
        s = summary[name]
        for metric, floor in floors.items():
            if metric.startswith("max_"):
                value = s[metric[4:]]
                if value > floor:
                    broken.append(f"{name}: {metric[4:]} {value:.3f} > {floor}")
            elif s[metric] < floor:
                broken.append(f"{name}: {metric} {s[metric]:.3f} < {floor}")
    return broken


def run(data: Path, work: Path, config: str | None = None, models_dir: str | None = None, workers: int = 2) -> dict:
    inputs, set_of, info = prepare_inputs(data, work / "inputs")
    for u in cc_spam_urls(data):
        set_of[u] = "cc-zh-spam"
    cfg = run_build(inputs, work / "out", config, models_dir, workers)
    res = fates(work / "out")
    summary = evaluate(info, set_of, res, tuple(cfg.stages))
    summary["_config"] = {"stages": list(cfg.stages), "models_dir": cfg.scorers.models_dir or "(demo models)"}
    return summary


def print_summary(summary: dict) -> None:
    print(f"stages: {' '.join(summary['_config']['stages'])}\nmodels: {summary['_config']['models_dir']}\n")
    print(f"{'set':18} {'pages':>5} {'kept':>5} {'kept%':>6} {'content':>7} {'keptP':>6} {'exP':>6} {'exR':>6} {'exF1':>6}")
    for name, s in summary.items():
        if name.startswith("_") or name == "planted-copies":
            continue
        row = f"{name:18} {s['pages']:5d} {s['kept']:5d} {100 * s['kept'] / max(s['pages'], 1):5.1f}%"
        if "content_retention" in s:
            row += (f" {s['content_retention']:7.3f} {s['kept_precision']:6.3f} {s['extract_p']:6.3f} "
                    f"{s['extract_r']:6.3f} {s['extract_f1']:6.3f}")
        print(row)
        for u in s.get("kept_examples") or []:
            print(f"{'':20}kept junk: {u}")
    p = summary["planted-copies"]
    print(f"\nplanted near-duplicates: {p['pairs']} pairs, {p['reachable']} reach dedup, {p['caught']} lose a copy "
          f"({100 * p['pair_caught_share']:.1f}%), {p['both_lost']} lose both; originals without a copy lost "
          f"to dedup: {p['originals_lost']}")
    print("\ngood pages lost (set / stage / reason: count, examples):")
    for key, v in summary["_losses"].items():
        print(f"  {key}: {v['count']}")
        for e in v["examples"]:
            print(f"      {e}")
    broken = check_floors(summary)
    print("\nfloors: " + ("all met" if not broken else "BROKEN\n  " + "\n  ".join(broken)))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.environ.get(
        "CORPUS_SHARED_DATA", str(Path(__file__).resolve().parents[2] / "shared" / "data")))
    ap.add_argument("-c", "--config", default=None, help="build YAML (default: the default config)")
    ap.add_argument("--models-dir", default=None, help="scorers.models_dir (default: the demo models)")
    ap.add_argument("--work", default="/tmp/retention", help="scratch folder: generated inputs and the build")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", default=None, help="write the summary here")
    args = ap.parse_args()
    summary = run(Path(args.data), Path(args.work), args.config, args.models_dir, args.workers)
    print_summary(summary)
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=1, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
