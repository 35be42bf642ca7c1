"""The learned scorers' stages (perplexity, quality, coherence, safety): a scorer, then a
ThresholdFilter.

Every decision is a Rule over a stored signal, so `corpus refilter` replays it exactly. A bound of
`model` reads the cutoff the model recorded at training time (held-out good text); the build
resolves each stage's models once and records them in manifest.json (path, sha256, cutoffs), and
refilter reads the cutoffs from there, never from the models directory.
"""

from __future__ import annotations

from pathlib import Path

from corpus.core import vocab
from corpus.core.steps import ModelRecord, Stage, StageContext, thresholds_file
from filters.config import ScorersConfig

DEFAULTS_FILE = Path(__file__).parent / "data" / "scorers.yaml"
DEMO_DEFAULTS_FILE = Path(__file__).parent / "data" / "scorers_demo.yaml"  # with the demo models

LEARNED_STAGES = (vocab.PERPLEXITY, vocab.QUALITY, vocab.COHERENCE, vocab.SAFETY)
TRAIN_REAL_MODELS = "corpus models train --data DATA --crawl CRAWL_SAMPLE -o models"
KINDS = {vocab.PERPLEXITY: "kenlm", vocab.QUALITY: "quality", vocab.COHERENCE: "coherence", vocab.SAFETY: "safety"}
# stage -> (signal, bound, where the model's manifest.json holds the cutoff a `model` bound reads)
CUTOFFS = {
    vocab.PERPLEXITY: (vocab.PPL_KENLM, "max", ("bucket_cutoffs", "middle")),
    vocab.QUALITY: (vocab.QUALITY_SCORE, "min", ("cutoffs", "min_score")),
    vocab.COHERENCE: (vocab.COHERENCE_SCORE, "min", ("cutoffs", "min_score")),
}
SIGNALS = {
    vocab.PERPLEXITY: {vocab.PPL_KENLM: (None, vocab.R_PPL_ABOVE_CAP)},
    vocab.QUALITY: {vocab.QUALITY_SCORE: (vocab.R_LOW_QUALITY, None)},
    vocab.COHERENCE: {vocab.COHERENCE_SCORE: (vocab.R_INCOHERENT, None)},
    # in the order they are checked: the lists before the classifier
    vocab.SAFETY: {
        vocab.SAFETY_URL_HIT: (None, vocab.R_UNSAFE_URL),
        vocab.SAFETY_AGE_GATE: (None, vocab.R_AGE_GATE),
        vocab.SAFETY_TERM_HITS: (None, vocab.R_UNSAFE_TERMS),
        vocab.SAFETY_SCORE: (None, vocab.R_UNSAFE_CLASSIFIER),
    },
}
ALL_SIGNALS = {k: r for signals in SIGNALS.values() for k, r in signals.items()}


def scorer_models(cfg) -> dict:
    """What the learned stages of a build score with, for manifest.json; `notice` is the one line a
    build says at its start when that is the demo models (lenient thresholds that drop almost nothing)."""
    used = [s for s in cfg.stages if s in LEARNED_STAGES]
    if cfg.scorers.models_dir or not used:
        return {"demo": False, "models_dir": cfg.scorers.models_dir or None, "stages": used}
    notice = (
        f"{', '.join(used)} score with the tiny demo models (lenient thresholds, they drop almost nothing); "
        f"train real ones with `{TRAIN_REAL_MODELS}` and set scorers.models_dir (docs/scorers.md)"
    )
    return {"demo": True, "models_dir": None, "stages": used, "notice": notice, "train_command": TRAIN_REAL_MODELS}


def models_root(cfg) -> str:
    """The configured models directory, or the demo models (trained once into a cache)."""
    if cfg.scorers.models_dir:
        return cfg.scorers.models_dir
    from filters.models.demo import ensure_demo_models

    return ensure_demo_models()


def _defaults(cfg) -> dict:
    sc = cfg.scorers
    return thresholds_file(sc.defaults_file or (DEFAULTS_FILE if sc.models_dir else DEMO_DEFAULTS_FILE), ALL_SIGNALS)


def model_records(cfg, stage: str) -> dict[str, ModelRecord]:
    """{lang: {path, sha256, cutoffs}} of every model of the stage's kind in the models directory."""
    from filters.models.common import model_checksum, read_manifest
    from filters.models.registry import has_model, model_dir

    root, kind = models_root(cfg), KINDS[stage]
    langs = sorted(p.name for p in Path(root, kind).iterdir() if p.is_dir()) if Path(root, kind).is_dir() else []
    out = {}
    for lang in (x for x in langs if has_model(root, kind, x)):
        path = model_dir(root, kind, lang)
        record = {"path": str(path), "sha256": model_checksum(path), "cutoffs": {}}
        if stage in CUTOFFS:
            signal, bound, (section, name) = CUTOFFS[stage]
            recorded = read_manifest(path).get(section) or {}
            value = recorded.get(name)
            if value is not None:  # exactly as recorded: a page scoring the cutoff is kept here as the rule kept it
                record["cutoffs"] = {signal: {bound: float(value)}}
            elif recorded.get("reason"):  # off at training time (no independent good set): scored, never dropped by
                record["cutoff_off"] = {signal: recorded["reason"]}
        out[lang] = record
    return out


def _declare(stage: str, build, rules=None) -> Stage:
    model_reasons = {vocab.PPL_KENLM: (None, vocab.R_PPL_TAIL)} if stage == vocab.PERPLEXITY else {}
    return Stage(
        stage,
        build,
        signals=SIGNALS[stage],
        defaults=_defaults,
        models=lambda cfg: model_records(cfg, stage),
        model_reasons=model_reasons,
        rules=rules,
        section=("scorers", ScorersConfig),
    )


def _steps(cfg, ctx: StageContext, scorer_cls, stage: str) -> list:
    return [scorer_cls(models_root(cfg), cfg.scorers.batch_size), DECLARED[stage].threshold_filter(cfg, ctx)]


def perplexity(cfg, ctx: StageContext) -> list:
    from filters.scorers import PerplexityScorer

    return _steps(cfg, ctx, PerplexityScorer, vocab.PERPLEXITY)


def quality(cfg, ctx: StageContext) -> list:
    from filters.scorers import QualityScorer

    return _steps(cfg, ctx, QualityScorer, vocab.QUALITY)


def coherence(cfg, ctx: StageContext) -> list:
    from filters.coherence_segment import CoherenceSegmenter
    from filters.scorers import CoherenceScorer

    steps = _steps(cfg, ctx, CoherenceScorer, vocab.COHERENCE)
    if cfg.scorers.coherence.action == "segment":
        stage = DECLARED[vocab.COHERENCE]
        rules = stage.threshold_rules(cfg, stage.models_for(cfg, ctx))
        steps[-1] = CoherenceSegmenter({lang: r[0].min if r else None for lang, r in rules.items()})
    return steps


def _coherence_rules(cfg, models: dict) -> dict:
    if cfg.scorers.coherence.action == "segment":  # the formatter cuts instead; nothing to replay
        return {}
    return DECLARED[vocab.COHERENCE].threshold_rules(cfg, models)


def safety(cfg, ctx: StageContext) -> list:
    from filters.scorers import SafetyScorer

    return _steps(cfg, ctx, SafetyScorer, vocab.SAFETY)


STAGES = (
    _declare(vocab.PERPLEXITY, perplexity),
    _declare(vocab.QUALITY, quality),
    _declare(vocab.COHERENCE, coherence, _coherence_rules),
    _declare(vocab.SAFETY, safety),
)
DECLARED = {s.name: s for s in STAGES}
