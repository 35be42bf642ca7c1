"""Gathers each language's training texts from a data folder and build outputs."""

from __future__ import annotations

from collections import Counter

from filters.models.crawl_labels import rejection_reasons
from filters.models.sources import crawl_texts, load_sources, read_role
from filters.models.train import ROLES, LangData, TrainParams


def collect(data_root: str, crawl_builds: tuple[str, ...], sources_file: str | None, langs: tuple[str, ...],
            p: TrainParams) -> dict[str, LangData]:
    sources = load_sources(sources_file)
    out = {}
    for lang in langs:
        roles, inputs = {}, {}
        for role in ROLES:
            roles[role], inputs[role] = read_role(data_root, sources, role, lang)
        if not roles["reference"]:
            raise ValueError(f"no reference text for {lang!r} in the sources file")
        crawl, rejected = [], []
        if crawl_builds:
            docs, records = crawl_texts(list(crawl_builds), lang, p.max_crawl, p.seed)
            reasons = rejection_reasons([t for t, _ in docs], [u for _, u in docs], lang)
            crawl = [t for (t, _), r in zip(docs, reasons) if r is None]
            rejected = [t for (t, _), r in zip(docs, reasons) if r is not None]
            inputs["crawl"] = records
            inputs["crawl_rejected"] = [{"rule_reasons": dict(Counter(r for r in reasons if r))}]
        out[lang] = LangData(crawl=crawl, crawl_rejected=rejected, inputs=inputs, **roles)
    return out
