"""Gathers each language's training texts from a data folder, build outputs and rated pages."""

from __future__ import annotations

from collections import Counter

from filters.models import ratings
from filters.models.crawl_labels import rejection_reasons
from filters.models.sources import crawl_texts, load_sources, read_role
from filters.models.synthetic import layout_spec
from filters.models.train import ROLES, LangData, TrainParams


def collect(
    data_root: str,
    crawl_builds: tuple[str, ...],
    sources_file: str | None,
    langs: tuple[str, ...],
    p: TrainParams,
    rated_builds: tuple[str, ...] = (),
) -> dict[str, LangData]:
    """Rated pages (filters/models/ratings.py) train no model: those of the train split, found by url
    in the crawl sample or in `rated_builds` (builds of the shards that hold them), are the rated sets
    of the cutoff rule; the held-out split is never read here. Crawl-sample pages that are rated (either
    split) are left out of the crawl sample, and so is every page of what the retention benchmark reads
    (`ratings.in_retention`), whatever builds are passed: such a page neither trains nor sets a cutoff."""
    sources = load_sources(sources_file)
    rated = {r.url: r for r in ratings.load(data_root)}
    out = {}
    for lang in langs:
        roles, inputs = {}, {}
        for role in ROLES:
            roles[role], inputs[role] = read_role(data_root, sources, role, lang)
        if not roles["reference"]:
            raise ValueError(f"no reference text for {lang!r} in the sources file")
        crawl, rejected = [], []
        by_band = rated_train_texts((*crawl_builds, *rated_builds), lang, rated)
        if rated_builds or by_band:
            inputs["rated"] = [
                {
                    "builds": [str(b) for b in (*crawl_builds, *rated_builds)],
                    "train_pages": {k: len(v) for k, v in by_band.items()},
                }
            ]
        if crawl_builds:
            docs, records = crawl_texts(
                list(crawl_builds),
                lang,
                p.max_crawl,
                p.seed,
                skip=lambda src, url: url in rated or ratings.in_retention(src, url),
            )
            reasons = [
                r or pt
                for r, (_, _, pt) in zip(
                    rejection_reasons([t for t, _, _ in docs], [u for _, u, _ in docs], lang), docs
                )
            ]
            crawl = [t for (t, _, _), r in zip(docs, reasons) if r is None]
            rejected = [t for (t, _, _), r in zip(docs, reasons) if r is not None]
            inputs["crawl"] = records
            inputs["crawl_rejected"] = [{"rule_reasons": dict(Counter(r for r in reasons if r))}]
        layout = layout_spec((sources.get("layout") or {}).get(lang) or {}, lang)
        out[lang] = LangData(crawl=crawl, crawl_rejected=rejected, rated=by_band, inputs=inputs, layout=layout, **roles)
    return out


def rated_train_texts(builds: tuple[str, ...], lang: str, rated: dict) -> dict[str, list[str]]:
    """band -> texts of the train split's rated pages of one language found (by url) in the builds'
    documents that reached language ID; a page is taken once, and never one of a retention source (by
    its rating's source file, or by the shard the build read it from); its band is that of the rating of
    the text its extractor gave (`Rated.rating_of`)."""
    from corpus.core import vocab
    from corpus.core.sql import connect

    out, seen = {}, set()
    for b in builds:
        for url, text, src, extractor in (
            connect(str(b))
            .execute(
                f"select url, text, source_file, {vocab.EXTRACTOR} from docs where lang = ? and length(text) > 0 "
                "order by id",
                [lang],
            )
            .fetchall()
        ):
            r = rated.get(url)
            if (
                r is not None
                and r.split == "train"
                and url not in seen
                and not ratings.in_retention(r.source_file, url)
                and not ratings.in_retention(src or "")
            ):
                seen.add(url)
                out.setdefault(ratings.band(r.rating_of(extractor)), []).append(text)
    return out
