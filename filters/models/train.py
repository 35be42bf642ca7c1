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
    # reference perplexity percentiles closing the head and middle buckets: the tail is what is
    # less reference-like than 99% of held-out reference (about a fifth of the sample crawl)
    head_percentile: float = 50.0
    tail_percentile: float = 99.0
    fasttext: dict = field(default_factory=lambda: {"epoch": 15, "lr": 0.5, "wordNgrams": 2, "dim": 64,
                                                    "minCount": 1, "bucket": 200_000})
    safety_threshold: float = 0.5
    max_crawl: int = 5000
    max_coherence_docs: int = 3000


@dataclass
class LangData:
    """Texts for one language, by role; `inputs` are the manifest records of where they came from."""
    reference: list[str]
    crawl: list[str] = field(default_factory=list)
    coherent: list[str] = field(default_factory=list)  # extra coherence positives (news articles)
    low_quality: list[str] = field(default_factory=list)
    spam: list[str] = field(default_factory=list)
    safety: list[tuple[str, int]] = field(default_factory=list)
    inputs: dict = field(default_factory=dict)


def _inputs(data: LangData, *roles: str) -> dict:
    out = {}
    for r in roles:
        texts = getattr(data, r)
        out[r] = {"sources": data.inputs.get(r, []), "texts": len(texts),
                  "sha256": sha256_texts([t if isinstance(t, str) else f"{t[1]}\t{t[0]}" for t in texts])}
    return out


def train_kenlm(lang: str, data: LangData, root: str, p: TrainParams) -> dict:
    out, t0 = ensure_dir(model_dir(root, "kenlm", lang)), time.time()
    ref_train, ref_held = split(data.reference, p.heldout, p.seed)
    lm.train_lm(ref_train, out, p.sp_vocab, p.order, p.seed, p.threads)
    ppl = lm.Perplexity(out)
    held_ppl = ppl(ref_held)
    pct = lm.percentiles(held_ppl)
    vals = [v for v in held_ppl if v is not None] or [v for v in ppl(ref_train) if v is not None]
    cutoffs = {"head": float(np.percentile(vals, p.head_percentile)), "middle": float(np.percentile(vals, p.tail_percentile))}
    metrics = {"median_ppl": {"reference_heldout": lm.median(held_ppl), "crawl": lm.median(ppl(data.crawl)),
                              "spam": lm.median(ppl(data.spam))},
               "docs": {"reference_train": len(ref_train), "reference_heldout": len(ref_held), "crawl": len(data.crawl),
                        "spam": len(data.spam)},
               "reference_heldout_percentiles": pct}
    params = {"sp_vocab": p.sp_vocab, "sp_model_type": "unigram", "order": p.order, "seed": p.seed,
              "threads": p.threads, "heldout": p.heldout, "head_percentile": p.head_percentile,
              "tail_percentile": p.tail_percentile, "discount_fallback": True}
    return write_manifest(out, "kenlm", lang, _inputs(data, "reference", "crawl", "spam"), params, metrics, t0,
                          {"bucket_cutoffs": cutoffs, "checksum": model_checksum(out)})


def train_quality(lang: str, data: LangData, root: str, p: TrainParams) -> dict:
    out, t0 = ensure_dir(model_dir(root, "quality", lang)), time.time()
    ref_train, ref_held = split(data.reference, p.heldout, p.seed)
    crawl_train, crawl_held = split(data.crawl, p.heldout, p.seed)
    low_train, low_held = split(data.low_quality, p.heldout, p.seed)
    path = str(Path(out) / textclf.MODEL_FILE)
    used_seed = textclf.train_fasttext(ref_train, crawl_train + low_train, path, p.fasttext, p.seed, p.threads)
    clf = textclf.Classifier(path)
    pos = clf(ref_held)
    metrics = {"auc_reference_vs_crawl": textclf.auc(pos, clf(crawl_held)),
               "auc_reference_vs_low_quality": textclf.auc(pos, clf(low_held)),
               "heldout": {"reference": len(ref_held), "crawl": len(crawl_held), "low_quality": len(low_held)},
               "train": {"reference": len(ref_train), "crawl": len(crawl_train), "low_quality": len(low_train)}}
    params = {"fasttext": p.fasttext, "seed": p.seed, "fasttext_seed": used_seed, "threads": p.threads,
              "heldout": p.heldout, "labels": {"pos": "reference", "neg": "crawl + low_quality"}, "negatives_oversampled": True}
    return write_manifest(out, "quality", lang, _inputs(data, "reference", "crawl", "low_quality"), params, metrics,
                          t0, {"checksum": model_checksum(out)})


def train_coherence(lang: str, data: LangData, root: str, p: TrainParams) -> dict:
    out, t0 = ensure_dir(model_dir(root, "coherence", lang)), time.time()
    # pure-Python features: a fixed-seed sample bounds the time on large reference sets
    docs = data.reference + data.crawl + data.coherent
    if len(docs) > p.max_coherence_docs:
        docs = random.Random(p.seed).sample(docs, p.max_coherence_docs)
    train, held = split(docs, p.heldout, p.seed)
    counts = coherence.train_coherence(train, out, p.seed)
    model = coherence.CoherenceModel(out)
    ref_crawl = set(data.reference) | set(data.crawl)
    metrics = {**coherence.evaluate(model, held, p.seed), **counts,
               "reference_and_crawl_only": coherence.evaluate(model, [d for d in held if d in ref_crawl], p.seed)}
    params = {"seed": p.seed, "heldout": p.heldout, "max_docs": p.max_coherence_docs, "C": 0.3,
              "model": "logistic regression over drift features and their pairwise products",
              "negatives": "splice / insert / shuffled mix of two documents, one per positive"}
    return write_manifest(out, "coherence", lang, _inputs(data, "reference", "crawl", "coherent"), params, metrics,
                          t0, {"checksum": model_checksum(out)})


def train_safety(lang: str, data: LangData, root: str, p: TrainParams) -> dict:
    out, t0 = ensure_dir(model_dir(root, "safety", lang)), time.time()
    train, held = split(data.safety, p.heldout, p.seed)
    path = str(Path(out) / textclf.MODEL_FILE)
    used_seed = textclf.train_fasttext([t for t, y in train if y], [t for t, y in train if not y], path,
                                       p.fasttext, p.seed, p.threads, balance=False)
    clf = textclf.Classifier(path)
    pos, neg = clf([t for t, y in held if y]), clf([t for t, y in held if not y])
    metrics = {"auc": textclf.auc(pos, neg), **textclf.precision_recall(pos, neg, p.safety_threshold),
               "train": {"unsafe": sum(y for _, y in train), "safe": sum(1 - y for _, y in train)}}
    params = {"fasttext": p.fasttext, "seed": p.seed, "fasttext_seed": used_seed, "threads": p.threads,
              "heldout": p.heldout}
    return write_manifest(out, "safety", lang, _inputs(data, "safety"), params, metrics, t0,
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
    keys = ("auc_reference_vs_crawl", "auc_spliced_vs_original", "auc", "precision", "recall", "median_ppl")
    return "  ".join(f"{k}={m['metrics'][k]}" for k in keys if k in m["metrics"])
