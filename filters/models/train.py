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
from filters.models.ratings import BAND_NAMES
from filters.models.registry import model_dir
from filters.models.synthetic import web_layout
from filters.models.tradeoff import KeepRule, format_table, legend, tradeoff


@dataclass(frozen=True)
class TrainParams:
    seed: int = 0
    threads: int = 1  # fastText and SentencePiece; 1 keeps fastText deterministic
    heldout: float = 0.2
    sp_vocab: int = 8000
    order: int = 5
    # each cutoff is a point of its trade-off curve (filters/models/tradeoff.py): as much of the crawl
    # sample removed as possible while every good set independent of the training positives (the rated
    # pages of the train split) keeps its floor; each positive source's held-out part is in the curve
    # as information only, and with no adequate independent set the cutoff is off. Quality is the
    # stage meant to remove poor pages; the perplexity tail (a CCNet bucket, also a mixture signal)
    # only catches what is far from all good text, so its floor is higher. Rated 3 ("coherent but
    # thin") is kept >= 80%.
    head_percentile: float = 50.0
    quality_min_kept: float = 0.95
    kenlm_min_kept: float = 0.98
    coherence_min_kept: float = 0.95  # recorded; no coherence rule by default
    rated_mid_min_kept: float = 0.80
    line_marks: bool = True  # quality: each line starts with a token for its length (common.ft_line)
    fasttext: dict = field(
        default_factory=lambda: {"epoch": 15, "lr": 0.5, "wordNgrams": 2, "dim": 64, "minCount": 1, "bucket": 200_000}
    )
    safety_threshold: float = 0.5
    max_crawl: int = 5000
    max_coherence_docs: int = 3000


SAFETY_DROP_SCORE = 0.99  # filters/data/scorers.yaml safety.max_score
# roles read from the sources file (filters/data/train_sources.yaml)
ROLES = ("reference", "articles", "calibration", "listings", "teasers", "low_quality", "spam", "safety")
NEGATIVE_ROLES = ("crawl_rejected", "listings", "teasers", "low_quality", "spam")


@dataclass
class LangData:
    """Texts for one language, by role; `inputs` are the manifest records of where they came from.

    Positives: reference (Wikipedia-like) and articles (well-formed news, essays, fiction, web text).
    Negatives of the quality model: crawl_rejected (crawl documents the heuristics, page_type or
    the safety lists reject), listings (list pages made of headlines), teasers (home pages made of
    headlines, blurbs and interface words), low_quality and spam.
    `crawl` (the rest of the crawl sample) trains nothing but coherence; the curves report how
    much of it each cutoff removes. `rated`: pages of the train split of the rated sets by band
    (good, mid, poor; ratings.BANDS): sets of the cutoff rule, never training examples. `calibration`:
    good text that no model trains on, so it bounds cutoffs like the rated good pages do."""

    reference: list[str]
    articles: list[str] = field(default_factory=list)
    calibration: list[str] = field(default_factory=list)
    crawl: list[str] = field(default_factory=list)
    crawl_rejected: list[str] = field(default_factory=list)
    listings: list[str] = field(default_factory=list)
    teasers: list[str] = field(default_factory=list)
    rated: dict = field(default_factory=dict)
    low_quality: list[str] = field(default_factory=list)
    spam: list[str] = field(default_factory=list)
    safety: list[tuple[str, int]] = field(default_factory=list)
    inputs: dict = field(default_factory=dict)
    layout: dict = field(default_factory=dict)  # the quality positives' web layout (synthetic.web_layout)

    def sources(self, role: str) -> dict[str, list[str]]:
        """A role's texts by source path (the input records hold each source's count, in order)."""
        texts, records = getattr(self, role), self.inputs.get(role) or []
        counts = [r.get("records") for r in records]
        if not texts or None in counts or sum(counts) != len(texts):
            return {role: texts} if texts else {}
        out, start = {}, 0
        for r, n in zip(records, counts):
            out[r["path"]] = texts[start : start + n]
            start += n
        return out

    def positives(self) -> dict[str, list[str]]:
        return {**self.sources("reference"), **self.sources("articles")}


def _inputs(data: LangData, *roles: str) -> dict:
    out = {}
    for r in roles:
        texts = getattr(data, r)
        out[r] = {
            "sources": data.inputs.get(r, []),
            "texts": len(texts),
            "sha256": sha256_texts([t if isinstance(t, str) else f"{t[1]}\t{t[0]}" for t in texts]),
        }
    return out


def _rule_sets(data: LangData, p: TrainParams, score) -> tuple[list, dict, dict, dict, list]:
    """(crawl, good, poor, floors, independent) of a trade-off curve, each text scored by `score` (texts ->
    values): good = each positive source's held-out part and the rated good / mid pages; poor = the
    held-out part of each negative role and the rated poor pages. Nothing here trained the model, but
    only the rated sets and the calibration sources are `independent` of its training positives and may
    bound its cutoff."""
    good = {k: score(v) for k, v in _held(data, p).items() if v}
    poor = {r: score(split(getattr(data, r), p.heldout, p.seed)[1]) for r in NEGATIVE_ROLES if getattr(data, r)}
    rated_good = _independent_good(data, score)
    good.update(rated_good)
    for name, texts in _rated(data, "poor").items():
        poor[name] = score(texts)
    return score(data.crawl + data.crawl_rejected), good, poor, _floors(data, p), list(rated_good)


def _rated(data: LangData, *bands: str) -> dict[str, list[str]]:
    return {f"{BAND_NAMES[b]} (train)": data.rated[b] for b in bands if data.rated.get(b)}


def _independent_good(data: LangData, score) -> dict[str, list]:
    """The rated good and mid pages (train split) and each calibration source, scored: good sets
    independent of every model's positives."""
    sets = {**_rated(data, "good", "mid"), **{f"{k} (calibration)": v for k, v in data.sources("calibration").items()}}
    return {k: score(v) for k, v in sets.items() if v}


def _floors(data: LangData, p: TrainParams) -> dict:
    return {f"{BAND_NAMES['mid']} (train)": p.rated_mid_min_kept} if data.rated.get("mid") else {}


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
    crawl, good, poor, floors, independent = _rule_sets(data, p, ppl)
    if not any(v for v in good.values()):
        good = held
    rule = KeepRule(p.kenlm_min_kept, floors, positives_bound=True)  # the tail: far from every kind of good text
    curve = tradeoff(crawl, good, poor, "max", rule, independent=independent, lang=lang)
    cutoffs = {"head": _pct(held_all, p.head_percentile), "middle": curve["cutoff"], **_off(curve)}
    others = {
        "crawl": ppl(data.crawl),
        "crawl_rejected": ppl(data.crawl_rejected),
        "spam": ppl(data.spam),
        "low_quality": ppl(data.low_quality),
    }
    metrics = {
        "median_ppl": {"reference_heldout": lm.median(held_all), **{k: lm.median(v) for k, v in others.items()}},
        "median_ppl_by_source": {k: lm.median(v) for k, v in held.items()},
        "docs": {"train": len(ref_train), "heldout": len(held_all), **{k: len(v) for k, v in others.items()}},
        "reference_heldout_percentiles": lm.percentiles(held_all),
    }
    params = {
        "sp_vocab": p.sp_vocab,
        "sp_model_type": "unigram",
        "order": p.order,
        "seed": p.seed,
        "threads": p.threads,
        "heldout": p.heldout,
        "head_percentile": p.head_percentile,
        "min_kept": p.kenlm_min_kept,
        "discount_fallback": True,
        "trained_on": "reference + articles (train split)",
        "cutoffs": f"head: p{p.head_percentile:g} of all held-out positives; middle (tail above): the "
        f"point of the trade-off rule ({curve['rule']}); no middle: no tail bucket, no drop",
    }
    return write_manifest(
        out,
        "kenlm",
        lang,
        _inputs(data, "reference", "articles", "crawl", "crawl_rejected", "spam"),
        params,
        metrics,
        t0,
        {"bucket_cutoffs": cutoffs, "tradeoff": curve, "checksum": model_checksum(out)},
    )


def train_quality(lang: str, data: LangData, root: str, p: TrainParams) -> dict:
    out, t0 = ensure_dir(model_dir(root, "quality", lang)), time.time()
    neg_roles = tuple(r for r in NEGATIVE_ROLES if getattr(data, r))
    pos_train = _train_side(data, p, "reference", "articles")
    if data.layout:
        pos_train = web_layout(pos_train, **data.layout)
    neg_train = _train_side(data, p, *neg_roles)
    path = str(Path(out) / textclf.MODEL_FILE)
    used_seed = textclf.train_fasttext(
        pos_train, neg_train, path, p.fasttext, p.seed, p.threads, line_marks=p.line_marks
    )
    clf = textclf.Classifier(path, p.line_marks)
    crawl, good, poor, floors, independent = _rule_sets(data, p, clf)
    if not good:  # tiny demo data: nothing held out
        good = {"reference_train": clf(pos_train)}
    rule = KeepRule(p.quality_min_kept, floors)
    curve = tradeoff(crawl, good, poor, "min", rule, independent=independent, lang=lang)
    shift = _score_shift(curve["cutoff"])
    if shift:  # the same curve and point, on the scores the scorer will write
        crawl, good, poor = (textclf.shifted(crawl, shift), _shift_sets(good, shift), _shift_sets(poor, shift))
        curve = tradeoff(crawl, good, poor, "min", rule, independent=independent, lang=lang)
    pos = [x for k, v in good.items() if k in _held(data, p) for x in v] or good.get("reference_train", [])
    neg = {r: poor[r] for r in neg_roles if r in poor}
    rated = {k: v for k, v in {**good, **poor}.items() if k.startswith("rated")}
    metrics = {
        "auc_positives_vs_negatives": textclf.auc(pos, [x for v in neg.values() for x in v]),
        **{f"auc_positives_vs_{r}": textclf.auc(pos, v) for r, v in neg.items()},
        "auc_positives_vs_crawl": textclf.auc(pos, crawl),
        "auc_rated_good_vs_poor_train": textclf.auc(
            rated.get(f"{BAND_NAMES['good']} (train)", []), rated.get(f"{BAND_NAMES['poor']} (train)", [])
        ),
        "heldout": {
            "positives": len(pos),
            **{r: len(v) for r, v in neg.items()},
            "crawl": len(crawl),
            **{k: len(v) for k, v in rated.items()},
        },
        "train": {"positives": len(pos_train), "negatives": len(neg_train)},
    }
    params = {
        "fasttext": p.fasttext,
        "seed": p.seed,
        "fasttext_seed": used_seed,
        "threads": p.threads,
        "heldout": p.heldout,
        "min_kept": p.quality_min_kept,
        "line_marks": p.line_marks,
        "labels": {"pos": "reference + articles", "neg": " + ".join(neg_roles)},
        "positives_layout": data.layout or None,
        "negatives_oversampled": True,
        "cutoff": f"the point of the trade-off rule: {curve['rule']}",
        "score_shift": shift,
        "score": "fastText's probability of the positive label, its log-odds less score_shift: the cutoff is "
        "0.5 in every language whose rule set one, so one threshold reads the same across languages",
    }
    return write_manifest(
        out,
        "quality",
        lang,
        _inputs(data, "reference", "articles", *neg_roles, "crawl"),
        params,
        metrics,
        t0,
        {"cutoffs": {"min_score": curve["cutoff"], **_off(curve)}, "tradeoff": curve, "checksum": model_checksum(out)},
    )


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
    crawl = scores.pop("crawl", [])
    spliced = [model(d)[0] for d in coherence.make_negatives(held or train, p.seed + 1)]
    rated = _independent_good(data, lambda texts: [model(t)[0] for t in texts])  # never among its positives
    curve = tradeoff(
        crawl,
        {**(scores or {"crawl": crawl}), **rated},
        {"spliced (held-out)": spliced},
        "min",
        KeepRule(p.coherence_min_kept, _floors(data, p)),
        independent=list(rated),
        lang=lang,
    )
    metrics = {**coherence.evaluate(model, held, p.seed), **counts}
    params = {
        "seed": p.seed,
        "heldout": p.heldout,
        "max_docs": p.max_coherence_docs,
        "C": 0.3,
        "min_kept": p.coherence_min_kept,
        "model": "logistic regression over drift features and their pairwise products",
        "positives": "reference + articles + crawl sample survivors",
        "negatives": "splice / insert / shuffled mix of two documents, one per positive",
        "cutoff": f"the point of the trade-off rule ({curve['rule']}); not applied unless a config "
        "sets coherence_score: {min: model}",
    }
    return write_manifest(
        out,
        "coherence",
        lang,
        _inputs(data, "reference", "articles", "crawl"),
        params,
        metrics,
        t0,
        {"cutoffs": {"min_score": curve["cutoff"], **_off(curve)}, "tradeoff": curve, "checksum": model_checksum(out)},
    )


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
    metrics = {
        "auc": textclf.auc(pos, neg),
        **textclf.precision_recall(pos, neg, p.safety_threshold),
        f"positives_share_above_{SAFETY_DROP_SCORE}": above,
        "train": {"unsafe": len(unsafe), "safe": len(safe), "good_text_as_safe": len(good)},
    }
    params = {
        "fasttext": p.fasttext,
        "seed": p.seed,
        "fasttext_seed": used_seed,
        "threads": p.threads,
        "heldout": p.heldout,
        "safe": "labelled safe + reference and articles (train split)",
    }
    return write_manifest(
        out,
        "safety",
        lang,
        _inputs(data, "safety", "reference", "articles"),
        params,
        metrics,
        t0,
        {"checksum": model_checksum(out)},
    )


def _score_shift(cutoff: float | None) -> float:
    """The log-odds that move a quality cutoff to 0.5 (none for no cutoff, or one at 0 or 1)."""
    return textclf.logit(cutoff) if cutoff is not None and 0.0 < cutoff < 1.0 else 0.0


def _shift_sets(sets: dict[str, list], shift: float) -> dict[str, list]:
    return {k: textclf.shifted(v, shift) for k, v in sets.items()}


def _off(curve: dict) -> dict:
    """The manifest's note beside a cutoff that is off."""
    return {"reason": curve["off_reason"]} if curve["cutoff"] is None else {}


TRAINERS = {"kenlm": train_kenlm, "quality": train_quality, "coherence": train_coherence, "safety": train_safety}


def train_all(
    data: dict[str, LangData],
    root: str,
    p: TrainParams,
    kinds: tuple[str, ...] = tuple(TRAINERS),
    log=print,
    skip_without_kenlm: bool = False,
) -> list[dict]:
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
            log(f"{kind}/{lang}: training ...")
            m = TRAINERS[kind](lang, d, root, p)
            for line in _report(kind, lang, m):
                log(line)
            entries.append({"kind": kind, "lang": lang, "checksum": m["checksum"], "metrics": m["metrics"]})
    return entries


HEADLINES = {
    "auc_positives_vs_negatives": "held-out AUC good vs poor",
    "auc_positives_vs_crawl": "AUC good vs crawl",
    "auc_rated_good_vs_poor_train": "AUC rated 4-5 vs 0-2 (train split)",
    "auc_spliced_vs_original": "AUC original vs spliced",
    "auc": "AUC",
    "precision": "precision",
    "recall": "recall",
}


def _report(kind: str, lang: str, m: dict) -> list[str]:
    """What the terminal says when a model is done: its time and held-out metrics, then its trade-off
    curve (cutoff -> crawl removed, each good set kept, each poor set removed) and the rule's point."""
    got = [
        f"{label} {m['metrics'][k]:.3f}"
        for k, label in HEADLINES.items()
        if isinstance(m["metrics"].get(k), (int, float))
    ]
    ppl = (m["metrics"].get("median_ppl") or {}).get("reference_heldout")
    if ppl is not None:
        got.append(f"median perplexity of held-out good text {ppl:.0f}")
    lines = [f"{kind}/{lang}: done in {m['train_seconds']:.1f}s" + (f"; {', '.join(got)}" if got else "")]
    t = m.get("tradeoff")
    if t:
        side = "below" if t["bound"] == "min" else "above"
        lines += [
            f"  trade-off (a document {side} the cutoff is removed; crawl- and name- = share removed, "
            f"name+ = share kept):",
            *format_table(t),
            *legend(t),
        ]
        lines.append(
            f"  cutoff {t['cutoff']:.6g}{textclf.shift_note(m['params'])}, bound by {t['binding_set']}: {t['rule']}"
            if t["cutoff"] is not None
            else f"  cutoff OFF: {t['off_reason']}; the signal is recorded, nothing is dropped by it"
        )
    return lines
