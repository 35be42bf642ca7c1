"""Per-language parameters and default thresholds of the heuristic families, from the data file
(the config's `thresholds` go on top in corpus.core.steps.Stage)."""

from __future__ import annotations

from pathlib import Path

from corpus.core import vocab as v
from filters.config import HeuristicsConfig
from corpus.core.steps import Rule, Thresholds, bound_rules, read_yaml, thresholds_file

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


def defaults(hc: HeuristicsConfig) -> dict:
    path = hc.defaults or str(DEFAULTS)
    thresholds_file(path, REASONS, "thresholds")  # checks the file's signal names
    return read_yaml(path)


def languages(hc: HeuristicsConfig) -> list[str]:
    return [k for k in defaults(hc) if k != "fallback"]


def default_thresholds(hc: HeuristicsConfig) -> Thresholds:
    """{lang: {signal: bounds}} of the data file; "*" carries the fallback language's."""
    return thresholds_file(hc.defaults or str(DEFAULTS), REASONS, "thresholds")


def stage_signals(stage: str) -> dict[str, tuple[str | None, str | None]]:
    return {k: r for k, r in REASONS.items() if v.KEYS[k].stage == stage}


def default_rules(hc: HeuristicsConfig, stage: str) -> dict[str, tuple[Rule, ...]]:
    """{lang: rules} of one stage at the data file's thresholds (no config overrides)."""
    signals = stage_signals(stage)
    return {lang: tuple(bound_rules({k: b for k, b in by_key.items() if k in signals}, signals))
            for lang, by_key in default_thresholds(hc).items()}


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
