"""Evaluation corpora: real documents from a reference-data folder plus planted near-duplicates
of the kinds web crawls contain (edited sentences, changed boilerplate, truncation, reordered
paragraphs, pages filled into one template). Used by the dedup benchmarks and tests."""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

BOILER = {
    "en": [
        "Share this article: Facebook | Twitter | Email",
        "Subscribe to our newsletter for the latest updates.",
        "Copyright 2024 All rights reserved. Privacy Policy | Terms of Use",
        "Read more: related stories below",
        "Sign in | Register | Help",
        "Advertisement",
    ],
    "zh": [
        "分享到：微博 | 微信 | QQ空间",
        "版权所有 未经授权禁止转载",
        "责任编辑：王小明",
        "点击关注我们获取最新资讯",
        "上一篇 下一篇 返回首页",
        "本文来源于网络，如有侵权请联系删除",
    ],
}
KINDS = ("edit", "boilerplate", "truncate", "reorder", "template")


@dataclass(frozen=True)
class Doc:
    id: str
    text: str
    lang: str
    origin: str = ""  # id of the document a planted copy was made from
    kind: str = ""  # how it was made (KINDS), empty for real documents


def _lines(path: Path) -> list[str]:
    with gzip.open(path, "rt", encoding="utf-8", errors="replace") as f:
        return [line.strip() for line in f]


def real_docs(data: Path | str, lang: str, limit: int) -> list[Doc]:
    """English: article bodies + WikiText paragraphs; Chinese: news pages + CMRC/DRCD contexts."""
    data = Path(data)
    texts = []
    if lang == "en":
        with gzip.open(data / "html/en-articles/ground-truth.json.gz", "rt", encoding="utf-8") as f:
            texts += [v["articleBody"] for v in json.load(f).values()]
        texts += [t for t in _lines(data / "reference/en-wikitext2.txt.gz") if len(t) > 300 and not t.startswith("=")]
    else:
        with gzip.open(data / "html/zh-news/ground-truth.json.gz", "rt", encoding="utf-8") as f:
            texts += [v["content"] for v in json.load(f).values()]
        for name in ("cmrc2018_dev_trial_contexts.zh-hans.txt.gz", "drcd_dev_test_contexts.zh-hans_opencc_t2s.txt.gz"):
            texts += [t for t in _lines(data / "extra/reference/zh/derived" / name) if len(t) > 150]
    seen, out = set(), []
    for t in texts:  # the sources repeat a few passages: keep the first copy only
        if t not in seen and len(t.strip()) > 0:
            seen.add(t)
            out.append(Doc(f"{lang}-{len(out):05d}", t, lang))
    return out[:limit]


def _units(text: str, lang: str) -> tuple[list[str], str]:
    return (re.findall(r"[^。！？]+[。！？]?", text), "") if lang == "zh" else (text.split(" "), " ")


def edit(text: str, lang: str, rng: np.random.Generator, rate: float) -> str:
    """Replace, delete or duplicate a fraction of words (characters for Chinese)."""
    units, sep = (list(text), "") if lang == "zh" else (text.split(" "), " ")
    out = []
    for u in units:
        r = rng.random()
        if r < rate / 3:
            continue
        if r < 2 * rate / 3:
            out.append(units[rng.integers(len(units))])
        elif r < rate:
            out += [u, u]
        else:
            out.append(u)
    return sep.join(out)


def boilerplate(text: str, lang: str, rng: np.random.Generator) -> str:
    pick = rng.choice(len(BOILER[lang]), size=2, replace=False)
    return "\n".join([BOILER[lang][pick[0]], text, BOILER[lang][pick[1]]])


def truncate(text: str, rng: np.random.Generator) -> str:
    return text[: int(len(text) * rng.uniform(0.8, 0.95))]


def reorder(text: str, lang: str, rng: np.random.Generator) -> str:
    paras = [p for p in text.split("\n") if p.strip()]
    if len(paras) < 3:  # one paragraph: swap two halves at a sentence boundary
        units, sep = _units(text, lang)
        cut = len(units) // 2
        return sep.join(units[cut:] + units[:cut])
    order = rng.permutation(len(paras))
    return "\n".join(paras[i] for i in order)


def template(text: str, filler: str, lang: str) -> str:
    """The page of `text` with a small slot filled from another document (a templated site)."""
    units, sep = _units(filler, lang)
    return sep.join([text, sep.join(units[:1])])


def plant(docs: list[Doc], rng: np.random.Generator, share: float = 0.3) -> list[Doc]:
    """Adds copies of a `share` of the documents (some get two copies, forming clusters of three)."""
    out = list(docs)
    chosen = rng.choice(len(docs), size=int(len(docs) * share), replace=False)
    for n, i in enumerate(chosen):
        src = docs[i]
        for c in range(1 + (n % 5 == 0)):
            kind = KINDS[(n + c) % len(KINDS)]
            if kind == "edit":
                text = edit(src.text, src.lang, rng, rng.uniform(0.01, 0.08))
            elif kind == "boilerplate":
                text = boilerplate(src.text, src.lang, rng)
            elif kind == "truncate":
                text = truncate(src.text, rng)
            elif kind == "reorder":
                text = reorder(src.text, src.lang, rng)
            else:
                text = template(src.text, docs[rng.integers(len(docs))].text, src.lang)
            out.append(Doc(f"{src.id}-{kind}{c}", text, src.lang, src.id, kind))
    return out


def write_parquet(docs: list[Doc], folder: str | Path, files: int = 2, extra: dict | None = None) -> list[str]:
    """Survivors-table Parquet (our schema) split over `files` files, as a dedup stage reads them."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from corpus.core import vocab

    Path(folder).mkdir(parents=True, exist_ok=True)
    paths = []
    for f in range(files):
        rows = [
            {vocab.ID: d.id, vocab.TEXT: d.text, vocab.LANG: d.lang, **(extra or {}).get(d.id, {})}
            for d in docs[f::files]
        ]
        path = str(Path(folder) / f"{f:05d}.parquet")
        pq.write_table(pa.Table.from_pylist(rows, schema=vocab.arrow_schema()), path)
        paths.append(path)
    return paths
