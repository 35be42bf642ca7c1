"""`corpus models train`: every model per language, each with its held-out metrics and manifest.

Held-out splits are made here by content hash (common.split), so a rerun with the same inputs
and seed evaluates on exactly the same documents.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from filters.models import coherence, lm, textclf
from filters.models.common import ensure_dir, model_checksum, sha256_texts, split, write_manifest
from filters.models.registry import model_dir


@dataclass(frozen=True)
class TrainParams:
    seed: int = 0
    threads: int = 1  # fastText and SentencePiece; 1 keeps fastText deterministic
    heldout: float = 0.2
    sp_vocab: int = 8000
    order: int = 5
    # cutoffs come from the good side only, per source (genre): the perplexity tail starts above
    # the tail_percentile of the held-out perplexities of every positive source, the quality and
    # coherence cutoffs sit below the keep_percentile of every source's held-out scores. The
    # loosest source decides, so each genre of good text keeps at least 99% of its documents
    # whatever the crawl looks like (a cutoff from crawl percentiles drops a fixed share of it).
    head_percentile: float = 50.0
    tail_percentile: float = 99.0
    keep_percentile: float = 1.0
    # ... and a quality score must also be as low as the junk_percentile of the held-out negatives:
    # a document unlike every positive source (a genre none of them covers: blogs, advice columns)
    # but no more like junk than junk itself is kept
    junk_percentile: float = 90.0
    fasttext: dict = field(default_factory=lambda: {"epoch": 15, "lr": 0.5, "wordNgrams": 2, "dim": 64,
                                                    "minCount": 1, "bucket": 200_000})
    safety_threshold: float = 0.5
    max_crawl: int = 5000
    max_coherence_docs: int = 3000


SAFETY_DROP_SCORE = 0.99  # filters/data/scorers.yaml safety.max_score
MIN_SOURCE_HELDOUT = 20  # a source with fewer held-out documents is pooled instead of setting a cutoff alone
# roles read from the sources file (filters/data/train_sources.yaml)
ROLES = ("reference", "articles", "low_quality", "spam", "safety")


@dataclass
class LangData:
    """Texts for one language, by role; `inputs` are the manifest records of where they came from.

    Positives: reference (Wikipedia-like) and articles (well-formed news, essays, fiction).
    Negatives of the quality model: crawl_rejected (crawl documents the heuristics or the safety
    lists reject), low_quality and spam. `crawl` (the rest of the crawl sample) trains nothing
    but coherence; the manifests report how much of it each cutoff removes."""
    reference: list[str]
    articles: list[str] = field(default_factory=list)
    crawl: list[str] = field(default_factory=list)
    crawl_rejected: list[str] = field(default_factory=list)
    low_quality: list[str] = field(default_factory=list)
    spam: list[str] = field(default_factory=list)
    safety: list[tuple[str, int]] = field(default_factory=list)
    inputs: dict = field(default_factory=dict)

    def sources(self, role: str) -> dict[str, list[str]]:
        """A role's texts by source path (the input records hold each source's count, in order)."""
        texts, records = getattr(self, role), self.inputs.get(role) or []
        counts = [r.get("records") for r in records]
        if not texts or None in counts or sum(counts) != len(texts):
            return {role: texts} if texts else {}
        out, start = {}, 0
        for r, n in zip(records, counts):
            out[r["path"]] = texts[start: start + n]
            start += n
        return out

    def positives(self) -> dict[str, list[str]]:
        return {**self.sources("reference"), **self.sources("articles")}


def _inputs(data: LangData, *roles: str) -> dict:
    out = {}
    for r in roles:
        texts = getattr(data, r)
        out[r] = {"sources": data.inputs.get(r, []), "texts": len(texts),
                  "sha256": sha256_texts([t if isinstance(t, str) else f"{t[1]}\t{t[0]}" for t in texts])}
    return out


def _pooled(groups: dict[str, list]) -> dict[str, list]:
    """Groups too small for a percentile of their own are pooled into one."""
    big = {k: v for k, v in groups.items() if len(v) >= MIN_SOURCE_HELDOUT}
    small = [x for k, v in groups.items() if len(v) < MIN_SOURCE_HELDOUT for x in v]
    return {**big, **({"(small sources pooled)": small} if small else {})}


def _pct(values: list, q: float) -> float | None:
    vals = [v for v in values if v is not None]
    return float(np.percentile(vals, q)) if vals else None


def _share(values: list, fires) -> float | None:
    vals = [v for v in values if v is not None]
    return round(sum(map(fires, vals)) / len(vals), 4) if vals else None


def _held(data: LangData, p: TrainParams) -> dict[str, list[str]]:
    """Held-out positives per source."""
    return {k: split(v, p.heldout, p.seed)[1] for k, v in data.positives().items()}


def _train_side(data: LangData, p: TrainParams, *roles: str) -> list[str]:
    return [t for r in roles for t in split(getattr(data, r), p.heldout, p.seed)[0]]


def train_kenlm(lang: str, data: LangData, root: str, p: TrainParams) -> dict:
    out, t0 = ensure_dir(model_dir(root, "kenlm", lang)), time.time()
    ref_train = _train_side(data, p, "reference", "articles")
    lm.train_lm(ref_train, out, p.sp_vocab, p.order, p.seed, p.threads)
    ppl = lm.Perplexity(out)
    held = {k: ppl(v) for k, v in _held(data, p).items()}
    held_all = [x for v in held.values() for x in v]
    if not [v for v in held_all if v is not None]:  # nothing held out (tiny demo data): the training side
        held = {"reference_train": ppl(ref_train)}
        held_all = held["reference_train"]
    tails = {k: _pct(v, p.tail_percentile) for k, v in _pooled(held).items()}
    cutoffs = {"head": _pct(held_all, p.head_percentile), "middle": max(v for v in tails.values() if v is not None)}
    others = {"crawl": ppl(data.crawl), "crawl_rejected": ppl(data.crawl_rejected), "spam": ppl(data.spam),
              "low_quality": ppl(data.low_quality)}
    metrics = {"median_ppl": {"reference_heldout": lm.median(held_all), **{k: lm.median(v) for k, v in others.items()}},
               "median_ppl_by_source": {k: lm.median(v) for k, v in held.items()},
               f"p{p.tail_percentile:g}_by_source": tails,
               "share_in_tail": {**{k: _share(v, lambda x: x > cutoffs["middle"]) for k, v in held.items()},
                                 **{k: _share(v, lambda x: x > cutoffs["middle"]) for k, v in others.items()}},
               "docs": {"train": len(ref_train), "heldout": len(held_all), **{k: len(v) for k, v in others.items()}},
               "reference_heldout_percentiles": lm.percentiles(held_all)}
    params = {"sp_vocab": p.sp_vocab, "sp_model_type": "unigram", "order": p.order, "seed": p.seed,
              "threads": p.threads, "heldout": p.heldout, "head_percentile": p.head_percentile,
              "tail_percentile": p.tail_percentile, "discount_fallback": True,
              "trained_on": "reference + articles (train split)",
              "cutoffs": f"head: p{p.head_percentile:g} of all held-out positives; middle (tail above): the "
                         f"largest p{p.tail_percentile:g} of the held-out perplexities of any positive source"}
    return write_manifest(out, "kenlm", lang, _inputs(data, "reference", "articles", "crawl", "crawl_rejected", "spam"),
                          params, metrics, t0, {"bucket_cutoffs": cutoffs, "checksum": model_checksum(out)})


def _score_cutoff(held_scores: dict[str, list[float]], q: float) -> tuple[float, dict]:
    lows = {k: _pct(v, q) for k, v in _pooled(held_scores).items()}
    return min(v for v in lows.values() if v is not None), lows


def train_quality(lang: str, data: LangData, root: str, p: TrainParams) -> dict:
    out, t0 = ensure_dir(model_dir(root, "quality", lang)), time.time()
    neg_roles = ("crawl_rejected", "low_quality", "spam")
    pos_train = _train_side(data, p, "reference", "articles")
    neg_train = _train_side(data, p, *neg_roles)
    path = str(Path(out) / textclf.MODEL_FILE)
    used_seed = textclf.train_fasttext(pos_train, neg_train, path, p.fasttext, p.seed, p.threads)
    clf = textclf.Classifier(path)
    held = {k: clf(v) for k, v in _held(data, p).items() if v}
    if not held:  # tiny demo data: nothing held out
        held = {"reference_train": clf(pos_train)}
    pos = [x for v in held.values() for x in v]
    neg = {r: clf(split(getattr(data, r), p.heldout, p.seed)[1]) for r in neg_roles}
    crawl = clf(data.crawl)  # trained on none of it
    pos_cut, lows = _score_cutoff(held, p.keep_percentile)
    junk = _pct([x for v in neg.values() for x in v], p.junk_percentile)
    cut = pos_cut if junk is None else min(pos_cut, junk)
    below = lambda x: x < cut  # noqa: E731
    metrics = {"auc_positives_vs_negatives": textclf.auc(pos, [x for v in neg.values() for x in v]),
               **{f"auc_positives_vs_{r}": textclf.auc(pos, v) for r, v in neg.items()},
               "auc_positives_vs_crawl": textclf.auc(pos, crawl),
               f"p{p.keep_percentile:g}_by_source": lows, f"negatives_p{p.junk_percentile:g}": junk,
               "share_below_cutoff": {**{k: _share(v, below) for k, v in held.items()},
                                      **{k: _share(v, below) for k, v in neg.items()}, "crawl": _share(crawl, below)},
               "heldout": {"positives": len(pos), **{r: len(v) for r, v in neg.items()}, "crawl": len(crawl)},
               "train": {"positives": len(pos_train), "negatives": len(neg_train)}}
    params = {"fasttext": p.fasttext, "seed": p.seed, "fasttext_seed": used_seed, "threads": p.threads,
              "heldout": p.heldout, "keep_percentile": p.keep_percentile, "junk_percentile": p.junk_percentile,
              "labels": {"pos": "reference + articles", "neg": " + ".join(neg_roles)}, "negatives_oversampled": True,
              "cutoff": f"the smallest p{p.keep_percentile:g} of the held-out scores of any positive source, "
                        f"or p{p.junk_percentile:g} of the held-out negatives' scores when lower"}
    return write_manifest(out, "quality", lang, _inputs(data, "reference", "articles", *neg_roles, "crawl"), params,
                          metrics, t0, {"cutoffs": {"min_score": cut}, "checksum": model_checksum(out)})


def train_coherence(lang: str, data: LangData, root: str, p: TrainParams) -> dict:
    out, t0 = ensure_dir(model_dir(root, "coherence", lang)), time.time()
    groups = {**data.positives(), "crawl": data.crawl}
    source_of = {t: k for k, v in groups.items() for t in v}
    # pure-Python features: a fixed-seed sample bounds the time on large reference sets
    docs = list(source_of)
    if len(docs) > p.max_coherence_docs:
        docs = random.Random(p.seed).sample(docs, p.max_coherence_docs)
    train, held = split(docs, p.heldout, p.seed)
    counts = coherence.train_coherence(train, out, p.seed)
    model = coherence.CoherenceModel(out)
    scores = {}
    for d in held or train:  # tiny demo data: nothing held out
        scores.setdefault(source_of[d], []).append(model(d)[0])
    cut, lows = _score_cutoff(scores, p.keep_percentile)
    metrics = {**coherence.evaluate(model, held, p.seed), **counts,
               f"p{p.keep_percentile:g}_by_source": lows,
               "share_below_cutoff": {k: _share(v, lambda x: x < cut) for k, v in scores.items()}}
    params = {"seed": p.seed, "heldout": p.heldout, "max_docs": p.max_coherence_docs, "C": 0.3,
              "keep_percentile": p.keep_percentile,
              "model": "logistic regression over drift features and their pairwise products",
              "positives": "reference + articles + crawl sample survivors",
              "negatives": "splice / insert / shuffled mix of two documents, one per positive",
              "cutoff": f"the smallest p{p.keep_percentile:g} of the held-out original documents' scores of any source"}
    return write_manifest(out, "coherence", lang, _inputs(data, "reference", "articles", "crawl"), params, metrics,
                          t0, {"cutoffs": {"min_score": cut}, "checksum": model_checksum(out)})


def train_safety(lang: str, data: LangData, root: str, p: TrainParams) -> dict:
    out, t0 = ensure_dir(model_dir(root, "safety", lang)), time.time()
    train, held = split(data.safety, p.heldout, p.seed)
    unsafe, safe = [t for t, y in train if y], [t for t, y in train if not y]
    # the labelled sets are offensive vs ordinary *comments*: news and fiction about crime or
    # violence look offensive to a model that never saw them, so good text of every genre (the
    # train split of the positives, at most as much as the labelled safe text) joins the safe side
    good = _train_side(data, p, "reference", "articles")
    good = random.Random(p.seed).sample(good, min(len(good), len(safe)))
    path = str(Path(out) / textclf.MODEL_FILE)
    used_seed = textclf.train_fasttext(unsafe, safe + good, path, p.fasttext, p.seed, p.threads, balance=False)
    clf = textclf.Classifier(path)
    pos, neg = clf([t for t, y in held if y]), clf([t for t, y in held if not y])
    # what the drop threshold of filters/data/scorers.yaml (max_score) takes from held-out good text
    above = {k: _share(clf(v), lambda x: x > SAFETY_DROP_SCORE) for k, v in _held(data, p).items() if v}
    metrics = {"auc": textclf.auc(pos, neg), **textclf.precision_recall(pos, neg, p.safety_threshold),
               f"positives_share_above_{SAFETY_DROP_SCORE}": above,
               "train": {"unsafe": len(unsafe), "safe": len(safe), "good_text_as_safe": len(good)}}
    params = {"fasttext": p.fasttext, "seed": p.seed, "fasttext_seed": used_seed, "threads": p.threads,
              "heldout": p.heldout, "safe": "labelled safe + reference and articles (train split)"}
    return write_manifest(out, "safety", lang, _inputs(data, "safety", "reference", "articles"), params, metrics, t0,
                          {"checksum": model_checksum(out)})


TRAINERS = {"kenlm": train_kenlm, "quality": train_quality, "coherence": train_coherence, "safety": train_safety}


def train_all(data: dict[str, LangData], root: str, p: TrainParams, kinds: tuple[str, ...] = tuple(TRAINERS),
              log=print, skip_without_kenlm: bool = False) -> list[dict]:
    """`skip_without_kenlm`: leave KenLM out (no perplexity signal) where lmplz is not built."""
    entries = []
    if skip_without_kenlm and "kenlm" in kinds:
        try:
            lm.kenlm_tool("lmplz"), lm.kenlm_tool("build_binary")
        except FileNotFoundError as e:
            log(f"no KenLM model: {e}")
            kinds = tuple(k for k in kinds if k != "kenlm")
    for lang, d in data.items():
        for kind in kinds:
            if kind == "safety" and not d.safety:
                continue
            m = TRAINERS[kind](lang, d, root, p)
            log(f"{kind}/{lang}: {m['train_seconds']:.1f}s  {_headline(m)}")
            entries.append({"kind": kind, "lang": lang, "checksum": m["checksum"], "metrics": m["metrics"]})
    return entries


def _headline(m: dict) -> str:
    keys = ("auc_positives_vs_negatives", "auc_positives_vs_crawl", "auc_spliced_vs_original", "auc", "precision",
            "recall", "median_ppl")
    cut = m.get("cutoffs") or m.get("bucket_cutoffs") or {}
    return "  ".join([f"{k}={m['metrics'][k]}" for k in keys if k in m["metrics"]] + [f"cutoffs={cut}"] * bool(cut))
