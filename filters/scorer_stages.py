"""Stage builders and threshold rules of the learned scorers (registered in corpus.stages).

Every decision is a Rule over a stored signal, so `corpus refilter` replays it exactly; the
perplexity rules read the bucket cutoffs from the KenLM manifest of each language.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from corpus import vocab
from corpus.steps import ANY_LANG, Rule, StageContext, ThresholdFilter

DEFAULTS_FILE = Path(__file__).parent / "data" / "scorers.yaml"
DEMO_DEFAULTS_FILE = Path(__file__).parent / "data" / "scorers_demo.yaml"  # with the demo models


@lru_cache(maxsize=8)
def _defaults(path: str) -> dict:
    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))


def thresholds(cfg, scorer: str) -> dict[str, dict[str, float]]:
    """Per-language thresholds: the defaults file, then the config's overrides on top."""
    sc = cfg.scorers
    default = DEFAULTS_FILE if sc.models_dir else DEMO_DEFAULTS_FILE
    base = _defaults(str(sc.defaults_file or default)).get(scorer, {})
    out = {lang: dict(v) for lang, v in base.items()}
    for lang, v in getattr(sc, scorer).thresholds.items():
        out[lang] = {**out.get(lang, out.get(ANY_LANG, {})), **v}
    return out


LEARNED_STAGES = (vocab.PERPLEXITY, vocab.QUALITY, vocab.COHERENCE, vocab.SAFETY)
TRAIN_REAL_MODELS = "corpus models train --data DATA --crawl CRAWL_SAMPLE -o models"


def scorer_models(cfg) -> dict:
    """What the learned stages of a build score with, for manifest.json; `notice` is the one line a
    build says at its start when that is the demo models (lenient thresholds that drop almost nothing)."""
    used = [s for s in cfg.stages if s in LEARNED_STAGES and cfg.scorers.enabled and getattr(cfg.scorers, s).enabled]
    if cfg.scorers.models_dir or not used:
        return {"demo": False, "models_dir": cfg.scorers.models_dir or None, "stages": used}
    notice = (f"{', '.join(used)} score with the tiny demo models (lenient thresholds, they drop almost nothing); "
              f"train real ones with `{TRAIN_REAL_MODELS}` and set scorers.models_dir (docs/scorers.md)")
    return {"demo": True, "models_dir": None, "stages": used, "notice": notice, "train_command": TRAIN_REAL_MODELS}


def models_root(cfg) -> str:
    """The configured models directory, or the demo models (trained once into a cache)."""
    if cfg.scorers.models_dir:
        return cfg.scorers.models_dir
    from filters.models.demo import ensure_demo_models

    return ensure_demo_models()


def _langs(cfg, t: dict) -> list[str]:
    return sorted(set(cfg.lang.keep) | set(t) - {ANY_LANG})


def _pick(t: dict, lang: str) -> dict:
    return t.get(lang, t.get(ANY_LANG, {}))


def perplexity_rules(cfg) -> dict:
    from filters.models.common import read_manifest
    from filters.models.registry import has_model, model_dir

    t, root, rules = thresholds(cfg, "perplexity"), models_root(cfg), {}
    for lang in _langs(cfg, t):
        p, r = _pick(t, lang), []
        if p.get("drop_tail") and has_model(root, "kenlm", lang):
            cut = read_manifest(model_dir(root, "kenlm", lang))["bucket_cutoffs"]["middle"]
            r.append(Rule(vocab.PPL_KENLM, vocab.R_PPL_TAIL, max=round(cut, 6)))
        if p.get("max_ppl"):
            r.append(Rule(vocab.PPL_KENLM, vocab.R_PPL_ABOVE_CAP, max=p["max_ppl"]))
        rules[lang] = tuple(r)
    return rules


def _manifest_cutoff(root: str, kind: str, lang: str) -> float | None:
    from filters.models.common import read_manifest
    from filters.models.registry import has_model, model_dir

    if not has_model(root, kind, lang):
        return None
    return (read_manifest(model_dir(root, kind, lang)).get("cutoffs") or {}).get("min_score")


def _score_rules(cfg, scorer: str, key: str, reason: str) -> dict:
    """min_score when set; else, with drop_below_cutoff, the cutoff in the model's manifest (set
    from the held-out good text at training time)."""
    t, root, rules = thresholds(cfg, scorer), None, {}
    for lang in _langs(cfg, t):
        p = _pick(t, lang)
        v = p.get("min_score")
        if v is None and p.get("drop_below_cutoff"):
            root = root or models_root(cfg)
            v = _manifest_cutoff(root, scorer, lang)
        rules[lang] = (Rule(key, reason, min=round(v, 6)),) if v is not None else ()
    return rules


def quality_rules(cfg) -> dict:
    return _score_rules(cfg, "quality", vocab.QUALITY_SCORE, vocab.R_LOW_QUALITY)


def coherence_rules(cfg) -> dict:
    if cfg.scorers.coherence.action == "segment":  # the formatter cuts instead; nothing to replay
        return {}
    return _score_rules(cfg, "coherence", vocab.COHERENCE_SCORE, vocab.R_INCOHERENT)


def safety_rules(cfg) -> dict:
    t, rules = thresholds(cfg, "safety"), {}
    for lang in _langs(cfg, t):
        p, r = _pick(t, lang), []
        if p.get("drop_url_hit"):
            r.append(Rule(vocab.SAFETY_URL_HIT, vocab.R_UNSAFE_URL, max=0))
        if p.get("drop_age_gate"):
            r.append(Rule(vocab.SAFETY_AGE_GATE, vocab.R_AGE_GATE, max=0))
        if p.get("max_term_hits") is not None:
            r.append(Rule(vocab.SAFETY_TERM_HITS, vocab.R_UNSAFE_TERMS, max=p["max_term_hits"]))
        if p.get("max_score") is not None:
            r.append(Rule(vocab.SAFETY_SCORE, vocab.R_UNSAFE_CLASSIFIER, max=p["max_score"]))
        rules[lang] = tuple(r)
    return rules


def _steps(cfg, ctx: StageContext, scorer_cls, stage: str, rules_fn, enabled: bool) -> list:
    if not (cfg.scorers.enabled and enabled):
        return []
    return [scorer_cls(models_root(cfg), cfg.scorers.batch_size), ThresholdFilter(ctx, stage, rules_fn(cfg))]


def perplexity(cfg, ctx: StageContext) -> list:
    from filters.scorers import PerplexityScorer

    return _steps(cfg, ctx, PerplexityScorer, vocab.PERPLEXITY, perplexity_rules, cfg.scorers.perplexity.enabled)


def quality(cfg, ctx: StageContext) -> list:
    from filters.scorers import QualityScorer

    return _steps(cfg, ctx, QualityScorer, vocab.QUALITY, quality_rules, cfg.scorers.quality.enabled)


def coherence(cfg, ctx: StageContext) -> list:
    from filters.coherence_segment import CoherenceSegmenter
    from filters.scorers import CoherenceScorer

    steps = _steps(cfg, ctx, CoherenceScorer, vocab.COHERENCE, coherence_rules, cfg.scorers.coherence.enabled)
    if steps and cfg.scorers.coherence.action == "segment":
        rules = _score_rules(cfg, "coherence", vocab.COHERENCE_SCORE, vocab.R_INCOHERENT)
        steps[-1] = CoherenceSegmenter({lang: r[0].min if r else None for lang, r in rules.items()})
    return steps


def safety(cfg, ctx: StageContext) -> list:
    from filters.scorers import SafetyScorer

    return _steps(cfg, ctx, SafetyScorer, vocab.SAFETY, safety_rules, cfg.scorers.safety.enabled)
