"""The build configuration: one frozen dataclass per section, validated on load."""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from corpus import stages as registry
from corpus.core.configlib import ANY_LANG, check, check_paths, from_dict, load_yaml, merge, to_dict
from corpus.core.executors import ExecutorConfig
from corpus.core.steps import BOUNDS, MODEL
from dedup.config import DedupConfig
from filters.config import HeuristicsConfig, PageTypeConfig, ScorersConfig
from filters.language import LangConfig, check_language
from filters.url import UrlFilterConfig
from labels.config import ClustersConfig, TopicConfig

DATA_DIR = Path(__file__).parent / "data"
STAGE_SECTION = "stage_section"  # metadata of a BuildConfig field that holds a stage's section


@dataclass(frozen=True)
class InputConfig:
    format: Literal["auto", "warc", "wet", "jsonl", "parquet"] = "auto"
    text_field: str = "text"  # JSONL / Parquet column holding the text
    id_field: str = ""  # optional column with a stable id; default: file#index
    url_field: str = "url"
    glob: str = "**/*"  # pattern for files under a directory input


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
    # trafilatura: trafilatura on every page; fast: resiliparse on the pages the chooser trusts it
    # with, trafilatura on the others (docs/extraction.md)
    mode: Literal["trafilatura", "fast"] = "trafilatura"
    fast_max_links: float = 10.0  # the chooser trusts resiliparse up to this many <a> per 1000 visible characters

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
    content: ContentConfig = field(default_factory=ContentConfig)
    extract: ExtractConfig = field(default_factory=ExtractConfig)
    url_filter: UrlFilterConfig = _stage_section(UrlFilterConfig)
    lang: LangConfig = _stage_section(LangConfig)
    page_type: PageTypeConfig = _stage_section(PageTypeConfig)
    heuristics: HeuristicsConfig = _stage_section(HeuristicsConfig)
    scorers: ScorersConfig = _stage_section(ScorersConfig)
    dedup: DedupConfig = _stage_section(DedupConfig)
    topic: TopicConfig = _stage_section(TopicConfig)
    clusters: ClustersConfig = _stage_section(ClustersConfig)

    def __post_init__(self):
        if not self.stages:
            object.__setattr__(self, "stages", tuple(registry.DEFAULT_ORDER))
        for i, s in enumerate(self.stages):
            check(s in registry.STAGES, f"stages[{i}]", f"unknown stage {s!r} (known: {', '.join(registry.STAGES)})")
        check(len(set(self.stages)) == len(self.stages), "stages", "a stage is listed twice")
        check(0 <= self.seed < 2**32, "seed", "must be within [0, 2**32) (numpy and scikit-learn take no other)")
        self._check_thresholds()

    def _check_thresholds(self) -> None:
        """Every language known to the language-ID model, every signal one a stage has a threshold
        for, every bound min or max: a typo would otherwise be a rule that silently never fires."""
        known = registry.signal_stages()
        for lang, by_key in self.thresholds.items():
            if lang != ANY_LANG:
                check_language(lang, f"thresholds.{lang}", self.lang.model_path)
            for key, bounds in by_key.items():
                where = f"thresholds.{lang}.{key}"
                check(key in known, where, "not a signal any stage has a threshold for" + _did_you_mean(key, known))
                check(isinstance(bounds, dict), where, "expected {min: x, max: y}")
                for b, value in bounds.items():
                    check(b in BOUNDS, f"{where}.{b}", "bound must be min or max")
                    check(not isinstance(value, str) or (value == MODEL and registry.STAGES[known[key]].models),
                          f"{where}.{b}", f"a number, null, or '{MODEL}' for a stage with models")


def check_stage_sections() -> None:
    """BuildConfig's stage sections are those the registered stages declare, by name, type and cascade
    order (the order `--print-config` writes them in); stages may share one, by the same name and type."""
    declared = list(dict.fromkeys(stage.section for stage in registry.STAGES.values() if stage.section))
    hints = typing.get_type_hints(BuildConfig)
    listed = [(f.name, hints[f.name]) for f in dataclasses.fields(BuildConfig) if f.metadata.get(STAGE_SECTION)]
    if listed != declared:
        raise TypeError(f"BuildConfig's stage sections {_names(listed)} are not those the registered stages "
                        f"declare, in cascade order: {_names(declared)}")


def _names(sections: list[tuple[str, type]]) -> str:
    return ", ".join(f"{name}: {tp.__name__}" for name, tp in sections)


check_stage_sections()


def _did_you_mean(name: str, known) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(known), n=3)
    return f" (did you mean {' or '.join(close)}?)" if close else " (a stage's signals are the keys it declares in corpus/core/vocab.py)"


# keys of the former dialect -> what replaces them (one way to enable a stage, one threshold dialect)
RETIRED = {
    "heuristics.enabled": "list the stages to run in `stages:` (correction and pii are stages of their own)",
    "heuristics.families": "list the stages to run in `stages:`",
    "scorers.enabled": "list the stages to run in `stages:`",
    **{f"scorers.{s}.enabled": "list the stages to run in `stages:`"
       for s in ("perplexity", "quality", "coherence", "safety")},
    "dedup.enabled": "list the stages to run in `stages:` (leave the dedup_* stages out)",
    "heuristics.thresholds": "thresholds.<lang>.<signal>.{min,max} at the top level",
    "page_type.thresholds": "thresholds.<lang>.<signal>.{min,max} at the top level",
    **{f"scorers.{s}.thresholds": "thresholds.<lang>.<signal>.{min,max} at the top level, e.g. "
       "quality_score.min, ppl_kenlm.max, safety_term_hits.max (a bound `model` reads the model's cutoff)"
       for s in ("perplexity", "quality", "coherence", "safety")},
}


def check_retired(data: dict) -> None:
    for dotted, instead in RETIRED.items():
        *parents, last = dotted.split(".")
        node = data
        for part in parents:
            node = node.get(part) if isinstance(node, dict) else None
        check(not (isinstance(node, dict) and last in node), dotted, f"no longer a setting: {instead}")


def load_config(path: str | Path | None = None, **overrides: Any) -> BuildConfig:
    """YAML file (optional) plus overrides (CLI flags, dotted sections as nested dicts)."""
    data = load_yaml(path) if path else {}
    data = merge(data, {k: v for k, v in overrides.items() if v is not None})
    check_retired(data)
    # an empty list is a mistake, not a request for the default cascade (leave the key out for that)
    check(data.get("stages", None) != [], "stages", "empty: list the stages to run, or leave 'stages' out "
                                                    "for the default cascade")
    cfg = from_dict(BuildConfig, data)
    check_paths(cfg)
    _check_bounds(cfg)
    return cfg


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
