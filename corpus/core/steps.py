"""The step contracts every stage builds on: the stage context, the three kinds of per-document
step (filters decide, scorers annotate, formatters rewrite), threshold rules, and the declaration
of a stage.

The three step kinds are datatrove PipelineSteps. A filter is a datatrove BaseFilter whose dropped
documents go to the `dropped` table with its stage and reason; a scorer only adds declared
metadata keys; a formatter only changes text (and may record what it changed as signals).
"""

from __future__ import annotations

import math
from abc import abstractmethod
from functools import lru_cache
from pathlib import Path
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Generic, Mapping, TypeVar

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.filters.base_filter import BaseFilter, get_filter_result

from corpus.core import vocab
from corpus.core.configlib import ANY_LANG, ConfigError, for_lang
from corpus.core.layout import Layout
from corpus.core.writers import DROP_RULE, PENDING_DROP, FateWriter

if TYPE_CHECKING:
    from corpus.core.executors import ExecutorConfig


@dataclass(frozen=True)
class StageContext:
    layout: Layout
    segment: int
    annotate_only: bool = False  # filters forward everything and note their verdict (--annotate-all)
    # stage -> {lang: ModelRecord}: the models the build resolved once and records in manifest.json
    models: Mapping[str, dict] = field(default_factory=dict)


class CorpusFilter(BaseFilter):
    """A BaseFilter whose stage is known, so dropped rows carry (stage, reason).

    With ``ctx.annotate_only`` (`corpus build --annotate-all`) the filter forwards every
    document and only notes its first verdict; PendingDropWriter at the end of the segment
    sends such documents to `dropped`, so every signal is computed for every document while the
    fates stay those of a short-circuiting build.
    """

    stage: str = ""

    def __init__(self, ctx: StageContext | None = None, writer: str | None = None, stage: str | None = None):
        self.stage = stage or self.stage
        if self.stage not in vocab.STAGES:
            raise ValueError(f"{type(self).__name__}.stage must be declared in corpus.core.vocab")
        excl = (
            FateWriter(ctx.layout, vocab.FATE_DROPPED, stage=self.stage, segment=ctx.segment, writer=writer)
            if ctx
            else None
        )
        super().__init__(exclusion_writer=excl)
        self.annotate_only = bool(ctx and ctx.annotate_only)

    @abstractmethod
    def filter(self, doc: Document) -> bool | tuple[bool, str]: ...

    def filter_batch(self, batch: list[Document]) -> list[bool | tuple[bool, str]]:
        results = [self.filter(d) for d in batch]
        if not self.annotate_only:
            return results
        for doc, res in zip(batch, results):
            keep, reason = get_filter_result(res)
            if not keep and PENDING_DROP not in doc.metadata:
                doc.metadata[PENDING_DROP] = (self.stage, reason)
        return [True] * len(batch)


class PendingDropWriter(PipelineStep):
    """Last step of an --annotate-all segment: documents a filter voted out go to `dropped`."""

    name = "pending drops"
    type = "💽 - WRITER"

    def __init__(self, ctx: StageContext):
        super().__init__()
        self.writer = FateWriter(ctx.layout, vocab.FATE_DROPPED, stage=None, segment=ctx.segment, writer="annotated")

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        with self.writer as w:
            for doc in data:
                if PENDING_DROP in doc.metadata:
                    self.stat_update("dropped")
                    w.write(doc, rank)
                else:
                    yield doc


class Formatter(PipelineStep):
    """Rewrites `doc.text` in place (and may record what it changed as signals); never drops."""

    type = "✂️ - FORMAT"

    @abstractmethod
    def rewrite(self, doc: Document) -> None: ...

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for doc in data:
            before = doc.text
            with self.track_time():
                self.rewrite(doc)
            if doc.text != before:
                self.stat_update("rewritten")
            yield doc


class Scorer(PipelineStep):
    """Annotates documents with `score(doc) -> dict`; never drops, never edits text."""

    type = "📊 - SCORER"
    batch_size = 1

    @abstractmethod
    def score(self, doc: Document) -> dict[str, float | int | str | None]: ...

    def score_batch(self, docs: list[Document]) -> list[dict]:
        return [self.score(d) for d in docs]

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        from datatrove.utils.batching import batched

        for batch in batched(data, self.batch_size):
            with self.track_time("batch" if self.batch_size > 1 else None):
                results = self.score_batch(batch)
            for doc, signals in zip(batch, results):
                doc.metadata.update(signals)
                self.stat_update("scored")
                yield doc


# ---------------------------------------------------------------- threshold rules
# A Rule names one signal column, a bound and the reason code it drops with. The same Rule decides
# inside a pipeline (ThresholdFilter) and in SQL over a finished build (Rule.sql_fires), so
# re-filtering never recomputes a signal and never disagrees with the build.


@dataclass(frozen=True)
class Rule:
    key: str  # signal column (declared in corpus.core.vocab)
    reason: str  # reason code (declared in corpus.core.vocab)
    min: float | None = None  # drop when value < min
    max: float | None = None  # drop when value > max

    def __post_init__(self):
        if self.key not in vocab.KEYS:
            raise ValueError(f"rule on undeclared signal {self.key!r}")
        if self.reason not in vocab.REASONS:
            raise ValueError(f"rule with undeclared reason {self.reason!r}")
        if self.min is None and self.max is None:
            raise ValueError(f"rule on {self.key!r} has neither min nor max")

    def fires(self, value) -> bool:
        """A missing or NaN signal never fires: absence of evidence keeps the document."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return False
        return (self.min is not None and value < self.min) or (self.max is not None and value > self.max)

    def describe(self) -> str:
        """The bound in words, as `corpus explain` shows it: 'min 50', 'max 0.3', 'min 1, max 5'."""
        return ", ".join(
            f"{side} {bound:g}" if isinstance(bound, (int, float)) else f"{side} {bound}"
            for side, bound in (("min", self.min), ("max", self.max))
            if bound is not None
        )

    def crossed(self, value) -> float | None:
        """The bound a value this rule fires on crossed: its min when below it, else its max (a rule without a
        numeric bound: None). Stored as the dropped row's `threshold`."""
        if self.min is not None and value < self.min:
            return float(self.min)
        return None if self.max is None else float(self.max)

    def explain(self, value) -> tuple[str, float | None, float | None]:
        """(rule, value, threshold) of a dropped row: the same in the pipeline and in refilter's SQL (sql_explain)."""
        numeric = isinstance(value, (int, float)) and vocab.KEYS[self.key].dtype != "string"
        return self.key, float(value) if numeric else None, self.crossed(value)

    def sql_crossed(self) -> str:
        """`crossed` as SQL over the row, for a row this rule fires on."""
        if self.min is not None and self.max is not None:
            return f"(case when {self.key} < {self.min!r} then {sql_double(self.min)} else {sql_double(self.max)} end)"
        bound = self.max if self.min is None else self.min
        return "cast(null as double)" if bound is None else sql_double(bound)

    def sql_explain(self) -> tuple[str, str, str]:
        """`explain` as SQL expressions (rule, value, threshold) for a row this rule fires on."""
        numeric = vocab.KEYS[self.key].dtype != "string"
        value = f"cast({self.key} as double)" if numeric else "cast(null as double)"
        return f"'{self.key}'", value, self.sql_crossed()

    def sql_fires(self) -> str:
        parts = []
        if self.min is not None:
            parts.append(f"{self.key} < {self.min!r}")
        if self.max is not None:
            parts.append(f"{self.key} > {self.max!r}")
        return f"({self.key} is not null and not isnan({self.key}::double) and ({' or '.join(parts)}))"


def sql_double(x: float) -> str:
    """A number as a DuckDB double, read from its shortest repr (a bare 0.65 would be a DECIMAL first)."""
    return f"cast('{float(x)!r}' as double)"


MODEL = "model"  # a bound that reads the cutoff the build's model recorded at training time
BOUNDS = ("min", "max")


def bound_rules(
    bounds: dict[str, dict],
    reasons: Mapping[str, tuple[str | None, str | None]],
    cutoffs: Mapping[str, dict] | None = None,
    model_reasons: Mapping[str, tuple[str | None, str | None]] | None = None,
) -> list[Rule]:
    """Rules from {signal: {"min": x, "max": y}} and {signal: (reason below min, reason above max)};
    a null bound, or a side without a reason, makes no rule. A bound of MODEL takes the value in
    `cutoffs` ({signal: {"min"/"max": value}}, from the model record) and its reason from
    `model_reasons` when given; without a recorded cutoff it makes no rule."""
    rules = []
    for key, b in bounds.items():
        for side, reason in zip(BOUNDS, reasons[key]):
            value = b.get(side)
            if value == MODEL:
                value = ((cutoffs or {}).get(key) or {}).get(side)
                reason = dict(zip(BOUNDS, (model_reasons or {}).get(key, reasons[key])))[side]
            if value is not None and reason:
                rules.append(Rule(key, reason, **{side: value}))
    return rules


def rules_for(rules: dict[str, tuple[Rule, ...]], lang: str | None) -> tuple[Rule, ...]:
    return for_lang(rules, lang, ())


class ThresholdFilter(CorpusFilter):
    """Drops a document when the first of its language's rules fires; never computes signals."""

    name = "threshold filter"

    def __init__(self, ctx: StageContext | None, stage: str, rules: dict[str, tuple[Rule, ...]]):
        super().__init__(ctx, stage=stage)
        self.rules = rules

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        md = doc.metadata
        for rule in rules_for(self.rules, md.get(vocab.LANG)):
            if rule.fires(md.get(rule.key)):
                note_rule(doc, rule)
                return False, rule.reason
        return True


def note_rule(doc: Document, rule: Rule) -> None:
    """Records the rule that drops `doc` for its row (rule, value, threshold); a document an earlier filter
    already voted out (--annotate-all) keeps that first verdict's."""
    if PENDING_DROP not in doc.metadata:
        doc.metadata[DROP_RULE] = rule.explain(doc.metadata.get(rule.key))


# ---------------------------------------------------------------- the declaration of a stage
# A stage is declared once, next to its builder. The registry (corpus.stages) places it in the
# cascade; the config checks `thresholds` against its signals; the build records its models in
# manifest.json; `corpus refilter`, `corpus calibrate` and the report replay its rules.

Thresholds = dict[str, dict[str, dict[str, Any]]]  # lang (or "*") -> signal -> {"min": x, "max": y}
ModelRecord = dict[str, Any]  # {"path", "sha256", "cutoffs": {signal: {"min"/"max": value}}}


@lru_cache(maxsize=16)
def read_yaml(path: str) -> dict:
    import yaml

    return yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}


def thresholds_file(path: str | Path, signals: Mapping, section: str | None = None) -> Thresholds:
    """{lang: {signal: bounds}} of a per-language defaults file: LANG: {signal: {min, max}} (under
    LANG.`section` when given); `fallback: LANG` makes that language's the "*" entry. A signal
    outside `signals` is a ConfigError naming the file, so a typo there fails at config load."""
    data = read_yaml(str(path))
    out = {}
    for lang, entry in data.items():
        if lang == "fallback":
            continue
        by_key = (entry or {}).get(section, {}) if section else (entry or {})
        for key in by_key:
            if key not in signals:
                raise ConfigError(
                    f"{path}:{lang}.{section + '.' if section else ''}{key}",
                    "not a signal this stage has a threshold for",
                )
        out[lang] = {k: dict(b) for k, b in by_key.items()}
    if "fallback" in data:
        out[ANY_LANG] = out[data["fallback"]]
    return out


S = TypeVar("S")


@dataclass(frozen=True)
class StageConfig(Generic[S]):
    """What a stage's hooks (build, defaults, models, rules) are given: the stage's own config section and
    the few build-wide settings stages share. The build config makes one per stage
    (corpus.config.BuildConfig.for_stage), so a stage module never sees, or imports, the application's config."""

    section: S | None = None  # the stage's own section (Stage.section); None for a stage without one
    # lang (or "*") -> signal -> bounds: the config's `thresholds:` of the stage's own signals, over its defaults
    thresholds: Thresholds = field(default_factory=dict)
    keep: tuple[str, ...] = ()  # the kept languages (lang_id.keep): each has thresholds of its own
    seed: int = 0
    annotate_all: bool = False
    stages: tuple[str, ...] = ()  # the stages that run, in order
    executor: ExecutorConfig | None = None  # where a corpus-level stage runs its pipelines
    # the stage's own section and those it reads (Stage.reads), by name; each is an attribute too
    # (cfg.scorers), as on the build config
    sections: Mapping[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        sections = self.__dict__.get("sections") or {}  # (not self.sections: unpickling looks up names first)
        if name in sections:
            return sections[name]
        raise AttributeError(
            f"{type(self).__name__} has no {name!r}: a stage reads its own section, and the "
            "sections it names in Stage.reads"
        )


@dataclass(frozen=True)
class Stage:
    name: str
    # (cfg, ctx) -> datatrove steps; a corpus-level stage: (cfg, ctx, input_dir, output_dir) -> None.
    # Every hook (build, defaults, models, rules) is given the stage's StageConfig as cfg.
    build: Callable
    # signals a threshold may bound: signal -> (reason below min, reason above max)
    signals: Mapping[str, tuple[str | None, str | None]] = field(default_factory=dict)
    # cfg -> the default thresholds, {lang or "*": {signal: {"min": x, "max": y}}}
    defaults: Callable[[StageConfig], Thresholds] | None = None
    # cfg -> {lang: ModelRecord}: the models the stage scores with, resolved once by the build and
    # recorded in manifest.json; a MODEL bound reads its value from there
    models: Callable[[StageConfig], dict[str, ModelRecord]] | None = None
    # reasons of bounds read from a model record, where they differ from `signals`
    model_reasons: Mapping[str, tuple[str | None, str | None]] = field(default_factory=dict)
    # (cfg, models) -> {lang: rules}, for a stage whose decision is not a plain threshold filter
    rules: Callable[[StageConfig, dict], dict] | None = None
    corpus_level: bool = False
    # (name, frozen dataclass): the build config's section of how the stage computes its signals
    # (thresholds are never there); stages may share one. The name is the stage's where it has one of its own.
    section: tuple[str, type] | None = None
    # what a new stage adds to the vocabulary (existing stages declare theirs in corpus.core.vocab); the
    # registry adds them when it places the stage (add_to_vocabulary)
    keys: tuple[tuple[str, str, str], ...] = ()  # (name, dtype, doc)
    reasons: tuple[tuple[str, str], ...] = ()  # (code, doc)
    reads: tuple[str, ...] = ()  # other stages' sections its hooks read, by name (StageConfig.sections)

    def __post_init__(self):
        # checked against the vocabulary as add_to_vocabulary will leave it (a key declared already keeps its
        # stage), without declaring anything: constructing a declaration has no effect on the process
        added_keys = {name for name, _, _ in self.keys}
        known_reasons = {*vocab.REASONS, *(code for code, _ in self.reasons)}
        for key, reasons in {**self.signals, **self.model_reasons}.items():
            declared = vocab.KEYS.get(key)
            if not (declared.stage == self.name if declared else key in added_keys):
                raise ValueError(f"{self.name}: signal {key!r} not its own")
            if not all(r is None or r in known_reasons for r in reasons):
                raise ValueError(f"{self.name}: undeclared reason for {key!r}")

    def add_to_vocabulary(self) -> None:
        """Declares the stage, and the keys and reasons it adds, in corpus.core.vocab; what is declared already
        stays as it is, so placing a stage again changes nothing."""
        if self.name not in vocab.STAGES:
            vocab.stage(self.name)
        for name, dtype, doc in self.keys:
            if name not in vocab.KEYS:
                vocab.key(name, dtype, self.name, doc)
        for code, doc in self.reasons:
            if code not in vocab.REASONS:
                vocab.reason(code, self.name, doc)

    @property
    def decides_by_rules(self) -> bool:
        return bool(self.signals) or self.rules is not None

    def config(self, cfg) -> StageConfig:
        """What the stage's hooks are given: a StageConfig as it is; of a build config, its view for this stage."""
        return cfg if isinstance(cfg, StageConfig) else cfg.for_stage(self)

    def steps(self, cfg, ctx: StageContext | None) -> list:
        """A per-document stage's datatrove steps."""
        return self.build(self.config(cfg), ctx)

    def run(self, cfg, ctx: StageContext, input_dir: str, output_dir: str) -> None:
        """A corpus-level stage: its pipelines, from the survivors in input_dir to its survivors in output_dir."""
        self.build(self.config(cfg), ctx, input_dir, output_dir)

    def model_records(self, cfg) -> dict[str, ModelRecord]:
        return self.models(self.config(cfg)) if self.models else {}

    def models_for(self, cfg, ctx: StageContext | None) -> dict[str, ModelRecord]:
        """The build's record when it made one (ctx.models), else resolved now (a step built alone)."""
        return ctx.models[self.name] if ctx and self.name in ctx.models else self.model_records(cfg)

    def thresholds(self, cfg) -> Thresholds:
        """{lang: {signal: bounds}}: the defaults, then the config's "*" and per-language values.
        Languages: those of the defaults, of the config and the kept ones; "*" for any other."""
        cfg = self.config(cfg)
        base = self.defaults(cfg) if self.defaults else {}
        mine = {lang: {k: b for k, b in by_key.items() if k in self.signals} for lang, by_key in cfg.thresholds.items()}
        langs = dict.fromkeys([*base, *mine, *cfg.keep, ANY_LANG])
        out = {}
        for lang in langs:
            merged = {k: dict(b) for k, b in for_lang(base, lang, {}).items() if k in self.signals}
            for scope in dict.fromkeys((ANY_LANG, lang)):
                for k, b in mine.get(scope, {}).items():
                    merged.setdefault(k, {}).update(b)
            out[lang] = merged
        return out

    def rules_of(self, cfg, models: dict[str, ModelRecord] | None = None) -> dict[str, tuple[Rule, ...]]:
        """{lang: rules} this stage decides with; `models` is the record the build made (manifest.json)."""
        cfg = self.config(cfg)
        models = self.model_records(cfg) if models is None else models
        return self.rules(cfg, models) if self.rules is not None else self.threshold_rules(cfg, models)

    def threshold_rules(self, cfg, models: dict[str, ModelRecord]) -> dict[str, tuple[Rule, ...]]:
        return {
            lang: tuple(bound_rules(bounds, self.signals, (models.get(lang) or {}).get("cutoffs"), self.model_reasons))
            for lang, bounds in self.thresholds(cfg).items()
        }

    def threshold_filter(self, cfg, ctx: StageContext | None) -> ThresholdFilter:
        return ThresholdFilter(ctx, self.name, self.rules_of(cfg, self.models_for(cfg, ctx)))
