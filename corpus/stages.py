"""The stage registry: where each declared stage (corpus.core.steps.Stage) sits in the cascade.

A per-document stage returns datatrove steps that run inside one pipeline; a corpus-level
stage (dedup, clustering) runs its own chain of pipelines between two per-document segments,
reading the survivors in ``input_dir`` and writing survivors to ``output_dir``. Everything else
about a stage (its signals, default thresholds, models, rules) is in its declaration.
"""

from __future__ import annotations

import importlib

from corpus.core import vocab
from corpus.core.steps import Stage

# stage -> module declaring it (in its STAGES), in the default cascade order (Yi's, Fig. 1)
CASCADE: tuple[tuple[str, str], ...] = (
    (vocab.URL_FILTER, "filters.url"),
    (vocab.LANG_ID, "filters.language"),
    # list/index pages out, from signals the HTML gave before extraction (corpus.build.front_steps)
    (vocab.PAGE_TYPE, "filters.page_type"),
    (vocab.GOPHER_QUALITY, "filters.heuristics.steps"),
    (vocab.GOPHER_REPETITION, "filters.heuristics.steps"),
    (vocab.C4, "filters.heuristics.steps"),
    (vocab.FINEWEB, "filters.heuristics.steps"),
    (vocab.GARBLED, "filters.heuristics.steps"),
    (vocab.WORD_BLOCKLIST, "filters.heuristics.steps"),
    (vocab.CORRECTION, "filters.correction"),
    (vocab.PII, "filters.pii"),
    # learned scorers (perplexity, quality, coherence)
    (vocab.PERPLEXITY, "filters.scorer_stages"),
    (vocab.QUALITY, "filters.scorer_stages"),
    (vocab.COHERENCE, "filters.scorer_stages"),
    # dedup: whole documents first. Paragraph dedup before MinHash would strip the shared
    # paragraphs from one copy of a near-duplicate pair, and MinHash would no longer see the pair.
    (vocab.DEDUP_MINHASH, "dedup.stages"),
    (vocab.DEDUP_EXACT, "dedup.stages"),
    (vocab.DEDUP_PARAGRAPH, "dedup.stages"),
    # safety (after dedup, as in Yi)
    (vocab.SAFETY, "filters.scorer_stages"),
    # topics and clusters (labels/): opt-in, they need `corpus models train topics`
    (vocab.TOPIC, "labels.stage"),
    (vocab.CLUSTER, "labels.stage"),
)
OPT_IN = (vocab.TOPIC, vocab.CLUSTER)  # registered, but run only when listed in `stages:`


def _declared(name: str, module: str) -> Stage:
    for s in importlib.import_module(module).STAGES:
        if s.name == name:
            s.add_to_vocabulary()
            return s
    raise LookupError(f"{module} declares no stage {name!r}")


STAGES: dict[str, Stage] = {name: _declared(name, module) for name, module in CASCADE}
DEFAULT_ORDER: list[str] = [name for name in STAGES if name not in OPT_IN]


def register(stage: Stage, after: str | None = None, default: bool = False) -> None:
    """Adds a stage declared outside CASCADE (a plugin, a test), with the keys and reasons it adds to
    corpus.core.vocab; `default` puts it in the default cascade after `after` (or last). Config files can
    name it in `stages:` either way."""
    if stage.name in STAGES:
        raise ValueError(f"stage {stage.name!r} registered twice")
    stage.add_to_vocabulary()
    STAGES[stage.name] = stage
    if default:
        DEFAULT_ORDER.insert(DEFAULT_ORDER.index(after) + 1 if after else len(DEFAULT_ORDER), stage.name)


def unregister(name: str) -> None:
    STAGES.pop(name)
    if name in DEFAULT_ORDER:
        DEFAULT_ORDER.remove(name)


def signal_stages() -> dict[str, str]:
    """signal -> stage, for every signal a threshold may bound."""
    return {k: s.name for s in STAGES.values() for k in (*s.signals, *s.model_reasons)}
