"""Do the learned filters rank real pages, and what does the default cascade keep of each rating band?

On the held-out part of both rated sets (../shared/data/quality/ratings.jsonl with the split in
filters/data/ratings/shared_split.tsv, and this repository's filters/data/ratings/ratings.jsonl),
with the models of the documented recipe (docs/scorers.md; `benchmarks.scorer_models.recipe_models`:
a crawl sample from shards the retention benchmark does not read, a build of the shards holding rated
pages, then `corpus models train --crawl SAMPLE --rated VIEW`):

- learned_rank_auc: AUC of the quality score, of -perplexity (KenLM) and of the coherence score for
  pages rated >= 3 against <= 2, overall and per language, on each set's text from a build with
  stages [url_filter, lang_id] (the text the pages were rated on);
- learned_keep_by_rating: pages kept by the default cascade with those models, by rating band
  (4-5, 3, 0-2), per set: the same pages through a full default build (built afresh on every run);
  the targets (4-5 >= 95%, 3 >= 80%, 0-2 <= 30% kept) hold on each set;
- coherence_splices: real held-out pages rated >= 4 spliced with each other (coherence.make_negatives):
  AUC of coherence, quality and -perplexity for originals against splices, and the share of splices
  each default rule removes.

    python -m benchmarks.learned_filters [--data D] [--work DIR]   # the recipe's models (trained unless there)
    python -m benchmarks.learned_filters --models-dir MODELS        # models trained before
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("LOGURU_LEVEL", "WARNING")

from benchmarks.results import add_data_arg, record, scratch  # noqa: E402
from benchmarks.scorer_models import TRAIN_SHARDS, build, rated_inputs, rated_view, recipe_models  # noqa: E402

BANDS = {"4-5": (4, 5), "3": (3, 3), "0-2": (0, 2)}
TARGETS = {"4-5": 0.95, "3": 0.80, "0-2": 0.30}  # kept share: at least, at least, at most
SETS = ("shared", "own")  # the targets hold on each rated set


def texts_by_url(out: Path) -> dict[str, tuple[str, str | None]]:
    """url -> (text, the extractor that gave it) of every page the build kept."""
    from corpus.core import vocab
    from corpus.core.sql import connect

    rows = connect(str(out)).execute(f"select url, text, {vocab.EXTRACTOR} from kept where length(text) > 0")
    return {u: (t, x) for u, t, x in rows.fetchall()}


def score_pages(models: Path, texts: list[str], lang: str) -> dict[str, list]:
    from filters.models.coherence import CoherenceModel
    from filters.models.lm import Perplexity
    from filters.models.registry import model_dir
    from filters.models.textclf import Classifier

    clf = Classifier.from_dir(model_dir(models, "quality", lang))
    coh = CoherenceModel(str(model_dir(models, "coherence", lang)))
    ppl = Perplexity(str(model_dir(models, "kenlm", lang)))
    return {
        "quality": clf(texts),
        "perplexity": [None if p is None else -p for p in ppl(texts)],
        "coherence": [coh(t)[0] for t in texts],
    }


def auc(scores: list, good: list[bool]) -> float | None:
    from filters.models.textclf import auc as _auc

    pos = [s for s, g in zip(scores, good) if g and s is not None]
    neg = [s for s, g in zip(scores, good) if not g and s is not None]
    v = _auc(pos, neg)
    return None if v is None else round(v, 4)


def ranking(models: Path, rated: list, texts: dict[str, tuple]) -> dict:
    """{set: {scorer: {all, en, zh}}} on held-out rated pages that have text in the view build (each by the
    rating of the text its extractor gave)."""
    out = {}
    for set_name in ("shared", "own", "both"):
        pages = [r for r in rated if r.split == "heldout" and r.url in texts and set_name in (r.set_name, "both")]
        res: dict = {"pages": {lang: sum(r.lang == lang for r in pages) for lang in ("en", "zh")}}
        by_scorer: dict = {}
        for lang in ("en", "zh"):
            mine = [r for r in pages if r.lang == lang]
            if not mine:
                continue
            s = score_pages(models, [texts[r.url][0] for r in mine], lang)
            good = [r.rating_of(texts[r.url][1]) >= 3 for r in mine]
            for k, v in s.items():
                by_scorer.setdefault(k, {"scores": [], "good": []})
                by_scorer[k]["scores"] += v
                by_scorer[k]["good"] += good
                res.setdefault(k, {})[lang] = auc(v, good)
        for k, v in by_scorer.items():
            res[k]["all"] = auc(v["scores"], v["good"])
        out[set_name] = res
    return out


def keep_rates(rated: list, fates: dict) -> dict:
    """{set: {band: {kept, pages, share}}} of held-out rated pages through the default build, each in the
    band of the rating of the text its extractor gave."""
    out = {}
    for set_name in ("shared", "own", "both"):
        pages = [r for r in rated if r.split == "heldout" and r.url in fates and set_name in (r.set_name, "both")]
        res = {}
        for band, (lo, hi) in BANDS.items():
            got = [r for r in pages if lo <= r.rating_of(fates[r.url]["extractor"]) <= hi]
            kept = [r for r in got if fates[r.url]["fate"] == "kept" or fates[r.url]["dup_of_kept"]]
            res[band] = {
                "kept": len(kept),
                "pages": len(got),
                "share": round(len(kept) / len(got), 4) if got else None,
                "removed_by": _count(fates[r.url]["stage"] for r in got if r not in kept),
            }
        out[set_name] = res
    return out


def _count(items) -> dict:
    out: dict = {}
    for x in items:
        out[x] = out.get(x, 0) + 1
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def splices(models: Path, rated: list, texts: dict[str, str]) -> dict:
    """Held-out pages rated >= 4 spliced with each other: what tells them from the originals."""
    from filters.models.coherence import make_negatives
    from filters.models.common import read_manifest
    from filters.models.registry import model_dir

    out = {}
    for lang in ("en", "zh"):
        orig = [
            texts[r.url][0]
            for r in rated
            if r.split == "heldout" and r.lang == lang and r.url in texts and r.rating_of(texts[r.url][1]) >= 4
        ]
        if len(orig) < 4:
            continue
        spliced = make_negatives(orig, seed=1)
        s_orig, s_spl = score_pages(models, orig, lang), score_pages(models, spliced, lang)
        res = {"originals": len(orig), "splices": len(spliced)}
        for k in s_orig:
            res[f"{k}_auc"] = auc(s_orig[k] + s_spl[k], [True] * len(orig) + [False] * len(spliced))
        tail = read_manifest(model_dir(models, "kenlm", lang))["bucket_cutoffs"]["middle"]
        cut = {
            "quality": read_manifest(model_dir(models, "quality", lang))["cutoffs"]["min_score"],
            "coherence": read_manifest(model_dir(models, "coherence", lang))["cutoffs"]["min_score"],
            "perplexity": None if tail is None else -tail,
        }
        for k, c in cut.items():  # None: that cutoff is off and removes nothing
            for name, vals in (("splices", s_spl[k]), ("originals", s_orig[k])):
                v = [x for x in vals if x is not None]
                gone = 0.0 if c is None else round(float(sum(x < c for x in v)) / len(v), 4) if v else None
                res[f"{k}_cutoff_removes_{name}"] = gone if v else None
        out[lang] = res
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_data_arg(ap)
    ap.add_argument("--work", type=Path, default=scratch("learned-filters"), help="the cascade build")
    ap.add_argument(
        "--models-dir",
        type=Path,
        default=None,
        help="models trained before (default: the recipe's, benchmarks/scorer_models.py)",
    )
    args = ap.parse_args()
    from evalsets.retention import fates
    from filters.models import ratings

    t0 = time.time()
    models = args.models_dir or recipe_models(args.data)
    t_models = time.time() - t0
    view = rated_view(args.data)
    config = json.dumps({"scorers": {"models_dir": str(models)}}) + "\n"  # JSON is YAML
    cascade = build(rated_inputs(args.data), args.work / "rated-cascade", config, reuse=False)
    rated = ratings.load(args.data)
    texts = texts_by_url(view)
    rank = ranking(models, rated, texts)
    keep = keep_rates(rated, fates(cascade))
    spl = splices(models, rated, texts)
    details = {
        "models": str(models),
        "models_seconds": round(t_models, 1),
        "ranking": rank,
        "keep": keep,
        "splices": spl,
        "train_shards": TRAIN_SHARDS,
    }
    report(rank, keep, spl)
    q = rank["both"]["quality"]
    met = (q.get("all") or 0) >= 0.85 and all((q.get(lang) or 0) >= 0.8 for lang in ("en", "zh"))
    value = {
        f"{k} {lang}": rank["both"][k].get(lang)
        for k in ("quality", "perplexity", "coherence")
        for lang in ("all", "en", "zh")
    }
    record(
        "learned_rank_auc",
        value,
        {"quality all": 0.85, "quality en": 0.8, "quality zh": 0.8},
        "AUC, held-out rated pages (>= 3 vs <= 2), both sets",
        met,
        details,
    )
    kept = {
        f"{s} {b}": f"{v['kept']}/{v['pages']}" + (f" ({v['share']:.1%})" if v["share"] is not None else "")
        for s in SETS
        for b, v in keep[s].items()
    }
    met = all(_band_met(keep[s][b]["share"], b) for s in SETS for b in BANDS)
    record(
        "learned_keep_by_rating",
        kept,
        {f"{s} {b}": ("<= " if b == "0-2" else ">= ") + f"{TARGETS[b]:.0%}" for s in SETS for b in BANDS},
        "held-out rated pages kept by the default cascade, by set and rating band",
        met,
        details,
    )
    if spl:
        value = {
            f"{lang} {k}": v[f"{k}_auc"] for lang, v in spl.items() for k in ("coherence", "quality", "perplexity")
        }
        record(
            "coherence_splices",
            value,
            "reported",
            "AUC originals vs splices of held-out pages rated >= 4",
            None,
            details,
        )
    return 0


def _band_met(share: float | None, band: str) -> bool:
    if share is None:
        return False
    return share <= TARGETS[band] if band == "0-2" else share >= TARGETS[band]


def report(rank: dict, keep: dict, spl: dict) -> None:
    for set_name in ("shared", "own", "both"):
        r = rank[set_name]
        print(f"{set_name}: held-out pages en {r['pages']['en']}, zh {r['pages']['zh']}")
        for k in ("quality", "perplexity", "coherence"):
            print(f"  AUC rated >= 3 vs <= 2, {k}: " + ", ".join(f"{lang} {v}" for lang, v in r.get(k, {}).items()))
        print(
            "  kept by the default cascade: "
            + ", ".join(
                f"rated {b} {v['kept']}/{v['pages']}" + (f" ({v['share']:.1%})" if v["share"] is not None else "")
                for b, v in keep[set_name].items()
            )
        )
    for lang, v in spl.items():
        print(f"splices {lang}: {v}")


if __name__ == "__main__":
    sys.exit(main())
