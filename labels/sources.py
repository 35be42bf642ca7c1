"""The labelled sets behind the topic and format models, mapped onto one bilingual label space.

Paths are relative to the shared data folder (`--data`). Each loader returns (text, label) pairs
already mapped to the project's labels (docs/topics.md holds the table); native labels that map
to nothing are left out.
"""

from __future__ import annotations

import csv
import glob
import gzip
import json
import os
from collections import Counter, defaultdict
from dataclasses import dataclass

from corpus.core import vocab
from corpus.core.files import open_text

TOPICS = vocab.TOPIC_LABELS
FORMATS = vocab.FORMAT_LABELS
PROMO_FORMATS = ("ads", "spam")  # what the ads/spam F1 counts as positive

AG = {"1": "politics", "2": "sports", "3": "business", "4": "science_tech"}
BBC = {
    "business": "business",
    "entertainment": "entertainment",
    "politics": "politics",
    "sport": "sports",
    "tech": "science_tech",
}
THUCNEWS = (
    "business",
    "real_estate",
    "business",
    "education",
    "science_tech",
    "society",
    "politics",
    "sports",
    "games",
    "entertainment",
)  # class.txt order: finance realty stocks education science society ...
TNEWS = {
    "news_story": "society",
    "news_culture": "culture",
    "news_entertainment": "entertainment",
    "news_sports": "sports",
    "news_finance": "business",
    "news_house": "real_estate",
    "news_car": "automotive",
    "news_edu": "education",
    "news_tech": "science_tech",
    "news_military": "politics",
    "news_travel": "travel",
    "news_world": "politics",
    "news_stock": "business",
    "news_agriculture": "agriculture",
    "news_game": "games",
}


@dataclass(frozen=True)
class LabelledSet:
    name: str
    lang: str
    kind: str  # "topic" or "format"
    rows: tuple[tuple[str, str], ...]
    path: str
    note: str = ""


def ag_news(root: str) -> LabelledSet:
    path = os.path.join(root, "extra/labelled/en/ag_news_test/test.csv.gz")
    with open_text(path) as f:
        rows = tuple((f"{t}. {d}".replace("\\", " "), AG[c]) for c, t, d in csv.reader(f))
    return LabelledSet("ag_news", "en", "topic", rows, path)


def bbc(root: str) -> LabelledSet:
    path = os.path.join(root, "extra/labelled/en/bbc_news/bbc_fulltext.jsonl.gz")
    with open_text(path) as f:
        rows = tuple((r["text"], BBC[r["label"]]) for r in map(json.loads, f))
    return LabelledSet("bbc", "en", "topic", rows, path)


def thucnews(root: str) -> LabelledSet:
    rows = []
    base = os.path.join(root, "extra/labelled/zh/thucnews_titles")
    for part in ("dev", "test"):
        with open_text(os.path.join(base, f"{part}.txt.gz")) as f:
            for line in f:
                text, _, label = line.rstrip("\n").rpartition("\t")
                rows.append((text, THUCNEWS[int(label)]))
    return LabelledSet("thucnews", "zh", "topic", tuple(rows), base, "stocks and finance both map to business")


def tnews(root: str) -> LabelledSet:
    rows = []
    base = os.path.join(root, "extra/labelled/zh/fewclue_tnews")
    for part in ("train_few_all", "dev_few_all", "test_public"):
        with open_text(os.path.join(base, f"{part}.json.gz")) as f:
            rows += [
                (r["sentence"], TNEWS[r["label_desc"]]) for r in map(json.loads, f) if r.get("label_desc") in TNEWS
            ]
    return LabelledSet("tnews", "zh", "topic", tuple(rows), base)


def sms_spam(root: str) -> LabelledSet:
    path = os.path.join(root, "extra/labelled/spam_ads/en_sms_spam_collection/SMSSpamCollection.gz")
    with open_text(path) as f:
        rows = tuple(
            (text, "spam" if lab == "spam" else "chat")
            for lab, _, text in (line.rstrip("\n").partition("\t") for line in f)
            if text
        )
    return LabelledSet("sms_spam", "en", "format", rows, path)


def game_chat_ads(root: str) -> LabelledSet:
    """Train and validation pooled, then one row per distinct text with its majority label; texts
    whose labels tie are left out (the labels are noisy and the same message recurs). The held-out
    split is then made by content hash, so no message sits on both sides."""
    base = os.path.join(root, "extra/labelled/spam_ads/zh_game_chat_ads")
    votes: dict[str, Counter] = defaultdict(Counter)
    for part in ("train", "validation"):
        with open_text(os.path.join(base, f"{part}.txt.gz")) as f:
            next(f)
            for line in f:
                lab, _, text = line.rstrip("\n").partition("\t")
                if text.strip() and lab in ("0", "1"):
                    votes[text.strip()][lab] += 1
    rows = []
    for text, c in votes.items():
        (top, n), *rest = c.most_common()
        if not rest or rest[0][1] < n:
            rows.append((text, "ads" if top == "1" else "chat"))
    return LabelledSet(
        "game_chat_ads",
        "zh",
        "format",
        tuple(rows),
        base,
        f"{sum(votes[t].total() for t in votes)} rows, {len(votes)} distinct texts, "
        f"{len(votes) - len(rows)} with tied labels left out",
    )


def iflytek(root: str) -> LabelledSet:
    rows = []
    base = os.path.join(root, "extra/labelled/zh/fewclue_iflytek")
    for part in ("train_few_all", "dev_few_all", "test_public"):
        with open_text(os.path.join(base, f"{part}.json.gz")) as f:
            rows += [(r["sentence"], "product") for r in map(json.loads, f)]
    return LabelledSet("iflytek", "zh", "format", tuple(rows), base, "app descriptions")


def gerapy_pages(root: str) -> LabelledSet:
    """Article vs list pages: the text trafilatura extracts with recall favoured (lists keep their
    entries), one row per page."""
    import trafilatura

    base = os.path.join(root, "html/zh-more/gerapy_samples")
    rows = []
    for label, folder in (("article", "detail"), ("list", "list")):
        for path in sorted(glob.glob(os.path.join(base, folder, "*.html.gz"))):
            html = gzip.open(path).read().decode("utf-8", errors="replace")
            text = trafilatura.extract(html, favor_recall=True, include_tables=False) or ""
            if text.strip():
                rows.append((text, label))
    return LabelledSet("gerapy_pages", "zh", "format", tuple(rows), base)


def zh_passages(root: str) -> LabelledSet:
    """Chinese running text (news and novel passages, paper abstracts): without it the only Chinese
    articles would be headlines, and long Chinese pages would look like app descriptions."""
    rows = []
    for name in ("zh-chid-passages.txt.gz", "zh-csl-abstracts.txt.gz"):
        with open_text(os.path.join(root, "reference", name)) as f:
            rows += [(line.strip(), "article") for line in f if line.strip()]
    return LabelledSet(
        "zh_passages", "zh", "format", tuple(rows), os.path.join(root, "reference"), "ChID passages and CSL abstracts"
    )


TOPIC_SETS = (ag_news, bbc, thucnews, tnews)
FORMAT_SETS = (sms_spam, game_chat_ads, iflytek, gerapy_pages, zh_passages)


def load(root: str, loaders) -> list[LabelledSet]:
    return [fn(root) for fn in loaders]


def article_rows(topic_sets: list[LabelledSet]) -> LabelledSet:
    """Every topic-labelled text is an article (news headline, lead or full story) for the format model."""
    rows = tuple((t, "article") for s in topic_sets for t, _ in s.rows)
    return LabelledSet("topic_sets_as_articles", "en+zh", "format", rows, "+".join(s.name for s in topic_sets))
