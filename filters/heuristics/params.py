"""Per-language parameters and threshold rules of the heuristic families, from the data file
plus the config's overrides. The rules built here are the ones `corpus refilter` replays."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from corpus import vocab as v
from corpus.configlib import ConfigError
from filters.config import HeuristicsConfig
from corpus.steps import ANY_LANG, Rule, bound_rules

DEFAULTS = Path(__file__).resolve().parents[1] / "data" / "heuristics.yaml"

# signal -> (reason when below min, reason when above max)
REASONS: dict[str, tuple[str | None, str | None]] = {
    v.GOPHER_WORD_COUNT: (v.R_GOPHER_SHORT_DOC, v.R_GOPHER_LONG_DOC),
    v.GOPHER_MEAN_WORD_LENGTH: (v.R_GOPHER_SHORT_WORDS, v.R_GOPHER_LONG_WORDS),
    v.GOPHER_HASH_RATIO: (None, v.R_GOPHER_HASHES),
    v.GOPHER_ELLIPSIS_RATIO: (None, v.R_GOPHER_ELLIPSIS),
    v.GOPHER_BULLET_LINES_RATIO: (None, v.R_GOPHER_BULLETS),
    v.GOPHER_ELLIPSIS_LINES_RATIO: (None, v.R_GOPHER_END_ELLIPSIS),
    v.GOPHER_ALPHA_WORDS_RATIO: (v.R_GOPHER_FEW_ALPHA, None),
    v.GOPHER_STOP_WORDS: (v.R_GOPHER_FEW_STOP, None),
    v.GOPHER_DUP_PARA_FRAC: (None, v.R_GOPHER_DUP_PARA),
    v.GOPHER_DUP_PARA_CHAR_FRAC: (None, v.R_GOPHER_DUP_PARA_CHAR),
    v.GOPHER_DUP_LINE_FRAC: (None, v.R_GOPHER_DUP_LINE),
    v.GOPHER_DUP_LINE_CHAR_FRAC: (None, v.R_GOPHER_DUP_LINE_CHAR),
    **{k: (None, v.TOP_NGRAM_REASONS[n]) for n, k in v.TOP_NGRAM_KEYS.items()},
    **{k: (None, v.DUP_NGRAM_REASONS[n]) for n, k in v.DUP_NGRAM_KEYS.items()},
    v.C4_LOREM_IPSUM: (None, v.R_C4_LOREM),
    v.C4_CURLY_BRACKET: (None, v.R_C4_CURLY),
    v.C4_SENTENCES: (v.R_C4_FEW_SENTENCES, None),
    v.FINEWEB_LINE_PUNCT_RATIO: (v.R_FINEWEB_LINE_PUNCT, None),
    v.FINEWEB_SHORT_LINE_RATIO: (None, v.R_FINEWEB_SHORT_LINES),
    v.FINEWEB_CHAR_DUP_RATIO: (None, v.R_FINEWEB_CHAR_DUP),
    v.FINEWEB_NEWLINE_RATIO: (None, v.R_FINEWEB_LIST),
    v.GARBLED_REPLACEMENT_RATIO: (None, v.R_GARBLED_REPLACEMENT),
    v.GARBLED_MOJIBAKE_RATIO: (None, v.R_GARBLED_MOJIBAKE),
    v.GARBLED_UNEXPECTED_SCRIPT_RATIO: (None, v.R_GARBLED_SCRIPT),
    v.GARBLED_CONTROL_RATIO: (None, v.R_GARBLED_CONTROL),
    v.GARBLED_PUNCT_RATIO: (None, v.R_GARBLED_PUNCT),
    v.BLOCKLIST_DISTINCT: (None, v.R_BLOCKLIST_TERMS),
    v.BLOCKLIST_HITS_PER_KWORD: (None, v.R_BLOCKLIST_DENSITY),
}


@lru_cache(maxsize=8)
def _load(path: str) -> dict:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    for lang, section in data.items():
        if lang == "fallback":
            continue
        for key in section.get("thresholds", {}):
            if key not in REASONS:
                raise ConfigError(f"{path}:{lang}.thresholds.{key}", "not a heuristic signal")
    return data


def defaults(hc: HeuristicsConfig) -> dict:
    return _load(hc.defaults or str(DEFAULTS))


def languages(hc: HeuristicsConfig) -> list[str]:
    return [k for k in defaults(hc) if k != "fallback"]


def thresholds(hc: HeuristicsConfig, lang: str) -> dict[str, dict[str, float | None]]:
    """Default thresholds of a language with the config's "*" and per-language overrides."""
    data = defaults(hc)
    section = data.get(lang) or data[data["fallback"]]
    out = {k: dict(b) for k, b in section.get("thresholds", {}).items()}
    for scope in (ANY_LANG, lang):
        for key, bounds in hc.thresholds.get(scope, {}).items():
            if key not in REASONS:
                raise ConfigError(f"heuristics.thresholds.{scope}.{key}", "not a heuristic signal")
            out.setdefault(key, {}).update(bounds)
    return out


def stage_rules(hc: HeuristicsConfig, stage: str) -> dict[str, tuple[Rule, ...]]:
    """{lang: rules} for one stage; "*" carries the fallback language's rules."""
    data = defaults(hc)
    out = {}
    for lang in languages(hc) + [ANY_LANG]:
        source = data["fallback"] if lang == ANY_LANG else lang
        bounds = {k: b for k, b in thresholds(hc, source).items() if v.KEYS[k].stage == stage}
        out[lang] = tuple(bound_rules(bounds, REASONS))
    return out


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
