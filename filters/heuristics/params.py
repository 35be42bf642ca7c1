"""Per-language parameters and default thresholds of the heuristic families, from the data file
(the config's `thresholds` go on top in corpus.core.steps.Stage)."""

from __future__ import annotations

from pathlib import Path

from corpus.core import vocab as v
from corpus.core.steps import Rule, Thresholds, bound_rules, read_yaml, thresholds_file
from filters.config import HeuristicsConfig
from filters.heuristics.families import SIGNALS

DEFAULTS = Path(__file__).resolve().parents[1] / "data" / "heuristics.yaml"


def defaults(hc: HeuristicsConfig) -> dict:
    path = hc.defaults or str(DEFAULTS)
    thresholds_file(path, SIGNALS, "thresholds")  # checks the file's signal names
    return read_yaml(path)


def languages(hc: HeuristicsConfig) -> list[str]:
    return [k for k in defaults(hc) if k != "fallback"]


def default_thresholds(hc: HeuristicsConfig) -> Thresholds:
    """{lang: {signal: bounds}} of the data file; "*" carries the fallback language's."""
    return thresholds_file(hc.defaults or str(DEFAULTS), SIGNALS, "thresholds")


def stage_signals(stage: str) -> v.Bounds:
    """signal -> (reason below min, reason above max) of one family, as corpus.core.vocab declares them."""
    return v.Bounds(stage)


def default_rules(hc: HeuristicsConfig, stage: str) -> dict[str, tuple[Rule, ...]]:
    """{lang: rules} of one stage at the data file's thresholds (no config overrides)."""
    signals = stage_signals(stage)
    return {
        lang: tuple(bound_rules({k: b for k, b in by_key.items() if k in signals}, signals))
        for lang, by_key in default_thresholds(hc).items()
    }


def lang_params(hc: HeuristicsConfig, lang: str | None) -> dict:
    """How signals are computed for a language (stop words, line rules, scripts, blocklist)."""
    from filters.heuristics.blocklist import DEFAULT_DIR, compile_terms, read_terms

    data = defaults(hc)
    key = lang if lang in data and lang != "fallback" else data["fallback"]
    p = dict(data[key].get("params", {}))
    p["stop_words_set"] = frozenset(p.get("stop_words", ()))
    p["c4_end_punct"] = tuple(p.get("c4_end_punct", ()))
    files = list(hc.blocklists.get(lang or "", ()))
    default = DEFAULT_DIR / f"{key}.txt"
    if hc.use_default_blocklists and default.exists():
        files.insert(0, str(default))
    p["blocklist_pattern"] = compile_terms(read_terms(files), lang if lang in data else key)
    return p
