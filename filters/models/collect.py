"""Gathers each language's training texts from a data folder and build outputs."""

from __future__ import annotations

from filters.models.sources import crawl_texts, load_sources, read_role
from filters.models.train import LangData, TrainParams


def collect(data_root: str, crawl_builds: tuple[str, ...], sources_file: str | None, langs: tuple[str, ...],
            p: TrainParams) -> dict[str, LangData]:
    sources = load_sources(sources_file)
    out = {}
    for lang in langs:
        roles, inputs = {}, {}
        for role in ("reference", "coherent", "low_quality", "spam", "safety"):
            roles[role], inputs[role] = read_role(data_root, sources, role, lang)
        crawl, inputs["crawl"] = crawl_texts(list(crawl_builds), lang, p.max_crawl, p.seed) if crawl_builds else ([], [])
        if not roles["reference"]:
            raise ValueError(f"no reference text for {lang!r} in the sources file")
        out[lang] = LangData(reference=roles["reference"], crawl=crawl, coherent=roles["coherent"], low_quality=roles["low_quality"],
                             spam=roles["spam"], safety=roles["safety"], inputs=inputs)
    return out
