"""The build configuration: one frozen dataclass per section, validated on load."""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from corpus import stages as registry
from corpus.config_upgrade import as_written, check_retired, say, upgrade
from corpus.core.configlib import ANY_LANG, ConfigError, check, check_paths, from_dict, load_yaml, merge, to_dict
from corpus.core.executors import ExecutorConfig
from corpus.core.steps import BOUNDS, MODEL, Stage, StageConfig
from dedup.config import DedupConfig
from filters.config import HeuristicsConfig, PageTypeConfig, ScorersConfig
from filters.language import LangIdConfig, check_language
from filters.url import UrlFilterConfig
from labels.config import ClusterConfig, TopicConfig

DATA_DIR = Path(__file__).parent / "data"
STAGE_SECTION = "stage_section"  # metadata of a BuildConfig field that holds a stage's section


@dataclass(frozen=True)
class InputConfig:
    format: Literal["auto", "warc", "wet", "jsonl", "parquet"] = "auto"
    text_field: str = "text"  # JSONL / Parquet column holding the text
    id_field: str = ""  # optional column with a stable id; default: file#index
    url_field: str = "url"
    glob: str = "**/*"  # pattern for files under a directory input
    limit: int = 0  # read only the first N records of each input file (a quick look); 0: every record

    def __post_init__(self):
        check(self.limit >= 0, "input.limit", "must be >= 0 (0: every record)")


@dataclass(frozen=True)
class ContentConfig:
    max_bytes: int = 5_000_000  # larger payloads are dropped before extraction (trafilatura is superlinear)
    keep_text_plain: bool = True  # text/plain payloads skip extraction instead of being dropped

    def __post_init__(self):
        check(self.max_bytes > 0, "content.max_bytes", "must be > 0")


@dataclass(frozen=True)
class ExtractConfig:
    timeout_s: float = 10.0  # per document; a page past it is dropped as extract_timeout
    include_tables: bool = True
    include_comments: bool = False
    favor: Literal["balanced", "precision", "recall"] = "balanced"  # trafilatura's
    # trafilatura: trafilatura on every page; native: the native core (corpus/core/_blocks.pyx) on the
    # pages where it finds one main content, trafilatura on the others; fast: resiliparse on the pages the
    # chooser trusts it with, trafilatura on the others (docs/extraction.md)
    mode: Literal["trafilatura", "native", "fast"] = "trafilatura"
    fast_max_links: float = 10.0  # the chooser trusts resiliparse up to this many <a> per 1000 visible characters
    # remove link lists ("hot news", "related" headlines: runs of lines that are mostly the page's anchor
    # texts) from the main text (corpus/core/link_lists.py); off until the rated pages are rated again on
    # the text it gives (docs/extraction.md has both sides)
    link_lists: bool = False

    def __post_init__(self):
        # SIGALRM's timer (corpus.core.extract) overflows long before a year; a day is already no timeout
        check(0 < self.timeout_s <= 86_400, "extract.timeout_s", "must be within (0, 86400] seconds")
        check(self.fast_max_links >= 0, "extract.fast_max_links", "must be >= 0")


def _stage_section(section: type) -> Any:
    """A field holding the section a registered stage declares (Stage.section)."""
    return field(default_factory=section, metadata={STAGE_SECTION: True})


@dataclass(frozen=True)
class BuildConfig:
    """The sections every build has, then each stage's own section. The stages' sections are those
    their declarations name (Stage.section), in cascade order: corpus.config checks at import that
    the fields marked _stage_section are exactly those, so a new stage's section cannot be left out."""

    inputs: tuple[str, ...] = ()
    output: str = "out"
    seed: int = 0
    annotate_all: bool = False  # compute every per-document signal even for dropped documents
    stages: tuple[str, ...] = ()  # the stages that run, in order; empty: the default cascade (corpus.stages)
    # lang (or "*" for every language) -> signal -> {"min": x, "max": y}, over the stages' defaults;
    # a null bound switches that side off, `model` reads the cutoff the stage's model recorded
    thresholds: dict[str, dict[str, dict[str, float | str | None]]] = field(default_factory=dict)
    input: InputConfig = field(default_factory=InputConfig)
    executor: ExecutorConfig = field(default_factory=ExecutorConfig)
    # object storage: protocol (s3, gs, ...) -> fsspec options for inputs and outputs given as URLs
    # (s3: {endpoint_url: http://127.0.0.1:8333, key: ..., secret: ...}); unset: the environment, ~/.aws
    storage: dict[str, dict[str, Any]] = field(default_factory=dict)
    content: ContentConfig = field(default_factory=ContentConfig)
    extract: ExtractConfig = field(default_factory=ExtractConfig)
    url_filter: UrlFilterConfig = _stage_section(UrlFilterConfig)
    lang_id: LangIdConfig = _stage_section(LangIdConfig)
    page_type: PageTypeConfig = _stage_section(PageTypeConfig)
    heuristics: HeuristicsConfig = _stage_section(HeuristicsConfig)
    scorers: ScorersConfig = _stage_section(ScorersConfig)
    dedup: DedupConfig = _stage_section(DedupConfig)
    topic: TopicConfig = _stage_section(TopicConfig)
    cluster: ClusterConfig = _stage_section(ClusterConfig)

    def __post_init__(self):
        if not self.stages:
            object.__setattr__(self, "stages", tuple(registry.DEFAULT_ORDER))
        for i, s in enumerate(self.stages):
            check(s in registry.STAGES, f"stages[{i}]", f"unknown stage {s!r} (known: {', '.join(registry.STAGES)})")
        check(len(set(self.stages)) == len(self.stages), "stages", "a stage is listed twice")
        check(0 <= self.seed < 2**32, "seed", "must be within [0, 2**32) (numpy and scikit-learn take no other)")
        self._check_thresholds()
        self._check_storage()

    def _check_storage(self) -> None:
        for name in self.storage:
            check(
                name.isidentifier() and name == name.lower(),
                f"storage.{name}",
                "must be a protocol name in lower case (s3, gs, az, hf, ...), mapping to that protocol's options",
            )

    def for_stage(self, stage: Stage) -> StageConfig:
        """What a stage's hooks are given: its own section and those it reads (Stage.reads), the thresholds
        of its signals, and the few settings every stage may need."""
        names = ((stage.section[0],) if stage.section else ()) + stage.reads
        return StageConfig(
            section=getattr(self, stage.section[0]) if stage.section else None,
            thresholds={
                lang: {k: b for k, b in by_key.items() if k in stage.signals}
                for lang, by_key in self.thresholds.items()
            },
            keep=self.lang_id.keep,
            seed=self.seed,
            annotate_all=self.annotate_all,
            stages=self.stages,
            executor=self.executor,
            sections={name: getattr(self, name) for name in names},
        )

    def _check_thresholds(self) -> None:
        """Every language known to the language-ID model, every signal one a stage has a threshold
        for, every bound min or max: a typo would otherwise be a rule that silently never fires."""
        known = registry.signal_stages()
        for lang, by_key in self.thresholds.items():
            if lang != ANY_LANG:
                check_language(lang, f"thresholds.{lang}", self.lang_id.model_path)
            for key, bounds in by_key.items():
                where = f"thresholds.{lang}.{key}"
                check(key in known, where, "not a signal any stage has a threshold for" + _did_you_mean(key, known))
                check(isinstance(bounds, dict), where, "expected {min: x, max: y}")
                for b, value in bounds.items():
                    check(b in BOUNDS, f"{where}.{b}", "bound must be min or max")
                    check(
                        not isinstance(value, str) or (value == MODEL and registry.STAGES[known[key]].models),
                        f"{where}.{b}",
                        f"a number, null, or '{MODEL}' for a stage with models",
                    )


def check_stage_sections() -> None:
    """BuildConfig's stage sections are those the registered stages declare, by name, type and cascade
    order (the order `--print-config` writes them in); stages may share one, by the same name and type."""
    declared = list(dict.fromkeys(stage.section for stage in registry.STAGES.values() if stage.section))
    hints = typing.get_type_hints(BuildConfig)
    listed = [(f.name, hints[f.name]) for f in dataclasses.fields(BuildConfig) if f.metadata.get(STAGE_SECTION)]
    if listed != declared:
        raise TypeError(
            f"BuildConfig's stage sections {_names(listed)} are not those the registered stages "
            f"declare, in cascade order: {_names(declared)}"
        )
    for stage in registry.STAGES.values():
        unknown = [name for name in stage.reads if name not in dict(listed)]
        if unknown:
            raise TypeError(f"stage {stage.name} reads {', '.join(unknown)}: not a stage section of BuildConfig")


def _names(sections: list[tuple[str, type]]) -> str:
    return ", ".join(f"{name}: {tp.__name__}" for name, tp in sections)


check_stage_sections()


def _did_you_mean(name: str, known) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(known), n=3)
    return (
        f" (did you mean {' or '.join(close)}?)"
        if close
        else " (a stage's signals are the keys it declares in corpus/core/vocab.py)"
    )


def load_config(path: str | Path | None = None, **overrides: Any) -> BuildConfig:
    """YAML file (optional) plus overrides (CLI flags, dotted sections as nested dicts). Keys under a former
    name load as today's, with a note on stderr once the config is known to be sound (a mistake is one line)."""
    data, notes, written = upgrade(load_yaml(path) if path else {})
    given, more_notes, more_written = upgrade({k: v for k, v in overrides.items() if v is not None})
    data = merge(data, given)
    try:
        check_retired(data)
        # an empty list is a mistake, not a request for the default cascade (leave the key out for that)
        check(
            data.get("stages", None) != [],
            "stages",
            "empty: list the stages to run, or leave 'stages' out for the default cascade",
        )
        cfg = from_dict(BuildConfig, data)
        check_paths(cfg)
        _check_bounds(cfg)
    except ConfigError as e:
        raise as_written(e, {**written, **more_written}) from None
    say(notes + more_notes)
    return cfg


def parse_set(item: str) -> dict:
    """A `--set` flag (build, refilter): 'a.b.c=VALUE' -> {'a': {'b': {'c': VALUE}}}; a path not starting with
    a config section is a threshold: LANG.SIGNAL.min/max, or SIGNAL.min/max for every language ("*"). A
    threshold given without its bound (`fineweb_line_punct_ratio=0.05`) is a ConfigError that shows both."""
    from corpus.config_upgrade import SECTIONS
    from corpus.core.configlib import nested, parse_assignment

    parts, value = parse_assignment(item)
    section = parts[0] in BuildConfig.__dataclass_fields__ or parts[0] in SECTIONS  # (or a former name)
    if parts[-1] in registry.signal_stages() and (not section or parts[0] == "thresholds" and len(parts) == 3):
        _no_bound(item, parts[-1])
    if not section:
        parts = ["thresholds"] + ([ANY_LANG] if len(parts) == 2 else []) + parts
    return nested(parts, value)


def _no_bound(item: str, signal: str) -> None:
    """`--set SIGNAL=VALUE`: a ConfigError that shows the bounds the signal takes."""
    path, raw = (x.strip() for x in item.split("=", 1))
    reasons = registry.STAGES[registry.signal_stages()[signal]].signals[signal]
    sides = [
        f"--set {path}.{side}={raw} (drop {where} it)"
        for side, where, reason in zip(BOUNDS, ("below", "above"), reasons)
        if reason
    ]
    raise ConfigError(path, f"a threshold takes a bound: {' or '.join(sides)}")


def stored_config(data: dict) -> BuildConfig:
    """A config a build stored (build-config.json, manifest.json's "config"), read under today's key names."""
    data, _, _ = upgrade(data)
    check_retired(data)
    return from_dict(BuildConfig, data)


def recorded(cfg: BuildConfig) -> dict:
    """The config as OUT keeps it (build-config.json, manifest.json) and as a resume compares it: all but
    `storage`, whose options say where the data is and may hold credentials, not what the build does."""
    out = to_dict(cfg)
    out.pop("storage", None)
    return out


def same_config(stored: str, cfg: BuildConfig) -> bool:
    """Whether the text of a build-config.json holds cfg, written now or under former key names (a build made
    before a rename resumes)."""
    import json

    if stored == json.dumps(recorded(cfg), sort_keys=True, ensure_ascii=False):
        return True
    try:
        return recorded(stored_config(json.loads(stored))) == recorded(cfg)
    except (ValueError, TypeError, AttributeError):  # ConfigError is a ValueError
        return False


def _check_bounds(cfg: BuildConfig) -> None:
    """Each stage's thresholds as the build will apply them (its defaults file, then the config): read here,
    a typo in a defaults file fails at load, and a min above its max would drop every document."""
    for name in cfg.stages:
        for lang, by_key in registry.STAGES[name].thresholds(cfg).items():
            for key, bounds in by_key.items():
                low, high = bounds.get("min"), bounds.get("max")
                if _is_number(low) and _is_number(high):  # a `model` bound is only known to the build
                    check(low <= high, f"thresholds.{lang}.{key}", f"min {low} is above max {high}: no document passes")


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def dump_config(cfg: BuildConfig) -> str:
    import yaml

    return yaml.safe_dump(to_dict(cfg), sort_keys=False, allow_unicode=True)
