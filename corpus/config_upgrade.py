"""Configs written in a former dialect: retired switches are refused with what replaced them; renamed
keys, and the language-ID score floors that are thresholds now, load as today's keys with a one-line note.

A build's stored config (build-config.json, manifest.json) is read through the same `upgrade`, quietly,
so builds made before a rename still resume and refilter.
"""

from __future__ import annotations

import math
import sys
from typing import Any

from corpus.core import vocab
from corpus.core.configlib import ANY_LANG, ConfigError, check

# keys of the former dialect -> what replaces them (one way to enable a stage, one threshold dialect)
RETIRED = {
    "heuristics.enabled": "list the stages to run in `stages:` (correction and pii are stages of their own)",
    "heuristics.families": "list the stages to run in `stages:`",
    "scorers.enabled": "list the stages to run in `stages:`",
    **{
        f"scorers.{s}.enabled": "list the stages to run in `stages:`"
        for s in ("perplexity", "quality", "coherence", "safety")
    },
    "dedup.enabled": "list the stages to run in `stages:` (leave the dedup_* stages out)",
    "heuristics.thresholds": "thresholds.<lang>.<signal>.{min,max} at the top level",
    "page_type.thresholds": "thresholds.<lang>.<signal>.{min,max} at the top level",
    **{
        f"scorers.{s}.thresholds": "thresholds.<lang>.<signal>.{min,max} at the top level, e.g. "
        "quality_score.min, ppl_kenlm.max, safety_term_hits.max (a bound `model` reads the model's cutoff)"
        for s in ("perplexity", "quality", "coherence", "safety")
    },
}

# a section's former name -> its name now (a section is named after its stage)
SECTIONS = {"lang": "lang_id", "clusters": "cluster"}
# (section, key) -> its name now: one spelling of the defaults file in every section
KEYS = {("heuristics", "defaults"): "defaults_file", ("page_type", "defaults"): "defaults_file"}
# lang.min_score and lang.default_min_score, as they were by default: filters/data/lang_id.yaml holds the same
FORMER_MIN_SCORE = {"en": 0.65, "zh": 0.5}
FORMER_DEFAULT_MIN_SCORE = 0.5


def check_retired(data: dict) -> None:
    for dotted, instead in RETIRED.items():
        *parents, last = dotted.split(".")
        node = data
        for part in parents:
            node = node.get(part) if isinstance(node, dict) else None
        check(not (isinstance(node, dict) and last in node), dotted, f"no longer a setting: {instead}")


def upgrade(data: dict) -> tuple[dict, list[str], dict[str, str]]:
    """(data under today's key names, a note for each former name used, {key now: key as written}).
    A key given under both names is a ConfigError."""
    data, notes, written = dict(data), [], {}
    for old, new in SECTIONS.items():
        if old in data:
            check(new not in data, old, f"given twice: as {new!r} and by its former name {old!r}")
            data[new] = data.pop(old)
            notes.append(f"config key '{old}' is now '{new}'; the former name still loads")
            written[new] = old
    for (section, old), new in KEYS.items():
        node = data.get(section)
        if isinstance(node, dict) and old in node:
            check(new not in node, f"{section}.{old}", f"given twice: as {section}.{new} and by its former name {old}")
            data[section] = {**{k: v for k, v in node.items() if k != old}, new: node[old]}
            notes.append(f"config key '{section}.{old}' is now '{section}.{new}'; the former name still loads")
            written[f"{section}.{new}"] = f"{section}.{old}"
    note = _min_scores_to_thresholds(data, written.get("lang_id", "lang_id"))
    if note:
        notes.append(note)
    return data, notes, written


def _min_scores_to_thresholds(data: dict, section: str) -> str | None:
    """lang_id.min_score / default_min_score (the language-ID score floors of old) -> thresholds of
    lang_score, with the same decisions: a kept language's floor was min_score[lang], else
    default_min_score. Left out when they are the former defaults (filters/data/lang_id.yaml's values)."""
    node = data.get("lang_id")
    if not isinstance(node, dict) or not {"min_score", "default_min_score"} & node.keys():
        return None
    node = dict(node)
    given = [f"{section}.{k}" for k in ("min_score", "default_min_score") if k in node]
    by_lang = node.pop("min_score", None)
    default = node.pop("default_min_score", None)
    data["lang_id"] = node
    check(by_lang is None or isinstance(by_lang, dict), f"{section}.min_score", f"expected a mapping, got {by_lang!r}")
    for lang, score in (by_lang or {}).items():
        _check_score(score, f"{section}.min_score.{lang}")
        from filters.language import check_language

        check_language(lang, f"{section}.min_score.{lang}", str(node.get("model_path") or ""))
    if default is not None:
        _check_score(default, f"{section}.default_min_score")
    thresholds = data.get("thresholds") or {}
    check(isinstance(thresholds, dict), "thresholds", "expected a mapping")
    both = [lang for lang, by_key in thresholds.items() if isinstance(by_key, dict) and vocab.LANG_SCORE in by_key]
    check(
        not both,
        given[0],
        f"and thresholds.{both[0] if both else ''}.{vocab.LANG_SCORE} both given: the floor "
        f"is thresholds.<lang>.{vocab.LANG_SCORE}.min now, give it there only",
    )
    by_lang = FORMER_MIN_SCORE if by_lang is None else by_lang
    default = FORMER_DEFAULT_MIN_SCORE if default is None else default
    if by_lang != FORMER_MIN_SCORE or default != FORMER_DEFAULT_MIN_SCORE:
        # "*" first: it is over every language's default, and each language's own is over "*"
        floors = {ANY_LANG: default, **by_lang}
        data["thresholds"] = {
            **thresholds,
            **{lang: {**thresholds.get(lang, {}), vocab.LANG_SCORE: {"min": floor}} for lang, floor in floors.items()},
        }
    return (
        f"config key{'s' if len(given) > 1 else ''} {' and '.join(repr(g) for g in given)} "
        f'{"are" if len(given) > 1 else "is"} now thresholds.<lang>.{vocab.LANG_SCORE}.min ("*" for every '
        "other language); read as such"
    )


def _check_score(value: Any, key: str) -> None:
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    check(number and math.isfinite(value) and 0.0 <= value <= 1.0, key, f"must be within [0, 1], got {value!r}")


def as_written(error: ConfigError, written: dict[str, str]) -> ConfigError:
    """The error naming the key as the config wrote it (a former name), where it did."""
    for new, old in written.items():
        if error.key == new or error.key.startswith((f"{new}.", f"{new}[")):
            key = old + error.key[len(new) :]
            message = str(error).split(f"'{error.key}': ", 1)[-1]
            return ConfigError(key, message)
    return error


def say(notes: list[str]) -> None:
    for note in dict.fromkeys(notes):
        print(f"note: {note}", file=sys.stderr)
