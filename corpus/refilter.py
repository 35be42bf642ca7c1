"""`corpus refilter`: re-apply the threshold rules of every stage to a build's stored signals.

Nothing is re-extracted or re-scored: DuckDB reads the kept/dropped/failed tables of OUT, gives
each document the fate the new rules imply, and writes the three tables and a funnel to OUT2.
A document dropped by a stage without rules (language ID, dedup, ...) keeps that fate unless a
rule of an earlier stage now fires. Signals absent from a row (a stage after the one that
dropped it, in a build without --annotate-all) never fire, so loosening a threshold can only
be studied fully on an --annotate-all build.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass

from corpus.core import vocab
from corpus.config import BuildConfig, parse_set, stored_config
from corpus.config_upgrade import as_written, say, upgrade
from corpus.core.configlib import ConfigError, load_yaml, merge
from corpus.core.funnel import compute_funnel, write_json
from corpus.core.layout import Layout
from corpus.core.outdir import BuildLock, check_removable, check_writable, remove_output
from corpus.core.sql import connect, sql_literal, sql_type
from corpus.stages import STAGES
from corpus.core.steps import ANY_LANG, Rule


@dataclass(frozen=True)
class RefilterResult:
    out: str
    funnel: dict
    seconds: float


def build_manifest(out: str) -> dict:
    if not os.path.isfile(Layout(out).manifest()):
        raise FileNotFoundError(f"{out!r} is not a finished build (no manifest.json)")
    with open(Layout(out).manifest(), encoding="utf-8") as f:
        return json.load(f)


def build_config(out: str) -> dict:
    """The config the build was made with, under today's key names (a build made before a rename too)."""
    return upgrade(build_manifest(out)["config"])[0]


def recorded_models(out: str) -> dict[str, dict]:
    """stage -> {lang: {path, sha256, cutoffs}}: the models the build decided with (manifest.json)."""
    return build_manifest(out).get("models") or {}


def effective_config(
    out: str, config: str | None = None, sets: tuple[str, ...] = (), replace: dict[str, dict] | None = None
) -> BuildConfig:
    """The build's config, then the YAML `config`, then each `--set`, each merged over the one before;
    `replace` ({section: {key: value}}) last, each value replacing the one there. Keys under a former name
    load as today's, with a note for those the user gave."""
    data, notes, written = build_config(out), [], {}
    for given in given_fragments(config, sets):
        given, more_notes, more_written = upgrade(given)
        data, notes, written = merge(data, given), notes + more_notes, {**written, **more_written}
    for section, values in (replace or {}).items():
        data[section] = {**data.get(section, {}), **values}
    try:
        cfg = stored_config(data)
    except ConfigError as e:
        raise as_written(e, written) from None
    say(notes)
    return cfg


# the signal each learned stage's model computes: a threshold on it means what the model means
MODEL_SCORES = {
    vocab.PERPLEXITY: vocab.PPL_KENLM,
    vocab.QUALITY: vocab.QUALITY_SCORE,
    vocab.COHERENCE: vocab.COHERENCE_SCORE,
    vocab.SAFETY: vocab.SAFETY_SCORE,
}


def demo_score_warning(given: list[dict], scorer: dict) -> str | None:
    """The one line to say when the config fragments a user gave (-c, --set) bound a score that demo models
    computed (`scorer`: manifest.json's scorer_models, or filters.scorer_stages.scorer_models of a config)."""
    if not scorer.get("demo"):
        return None
    scores = {MODEL_SCORES[s] for s in scorer.get("stages", ()) if s in MODEL_SCORES}
    bounded = sorted(
        {
            key
            for fragment in given
            for by_key in (fragment.get("thresholds") or {}).values()
            if isinstance(by_key, dict)
            for key in by_key
            if key in scores
        }
    )
    if not bounded:
        return None
    from filters.scorer_stages import TRAIN_REAL_MODELS

    return (
        f"{', '.join(bounded)} {'comes' if len(bounded) == 1 else 'come'} from the tiny demo models in this "
        "build (scorer_models.demo in manifest.json): placeholder scores, so a threshold there may drop every "
        f"document or none, whatever their quality; train real models (`{TRAIN_REAL_MODELS}`), set "
        "scorers.models_dir and rebuild"
    )


def given_fragments(config: str | None, sets: tuple[str, ...]) -> list[dict]:
    """The config fragments a user gave: the YAML file, then each `--set`."""
    return ([load_yaml(config)] if config else []) + [parse_set(item) for item in sets]


def stage_rules(
    cfg: BuildConfig, models: dict[str, dict] | None = None
) -> list[tuple[str, dict[str, tuple[Rule, ...]]]]:
    """(stage, {lang: rules}) of every stage of cfg that decides by rules; `models` is the build's
    record (recorded_models), so a `model` bound is the cutoff the build used; without it such a
    bound makes no rule (models are never looked up afresh)."""
    return [(s, STAGES[s].rules_of(cfg, (models or {}).get(s, {}))) for s in cfg.stages if STAGES[s].decides_by_rules]


NEW = {
    vocab.STAGE_COL: "_new_stage",
    vocab.REASON_COL: "_new_reason",
    vocab.RULE_COL: "_new_rule",
    vocab.VALUE_COL: "_new_value",
    vocab.THRESHOLD_COL: "_new_threshold",
}  # column -> its refiltered value


def fate_sql(cfg: BuildConfig, models: dict[str, dict]) -> str:
    """SELECT over `docs` adding the NEW columns (_new_stage null: kept) for non-failed rows: the stage, reason
    and rule (signal, value, threshold) of the first rule that now fires, else what the row had."""
    rules = stage_rules(cfg, models)
    rule_stages = [s for s, _ in rules]
    order = {s: i for i, s in enumerate(cfg.stages)}
    pos = "case stage " + " ".join(f"when '{s}' then {i}" for s, i in order.items()) + " else -1 end"
    whens = []
    for s, by_lang in rules:
        langs = [lang for lang in by_lang if lang != ANY_LANG]
        # rules_for semantics: a language's own rules, else the "*" rules
        scopes = [(f"{vocab.LANG} = '{lang}'", by_lang[lang]) for lang in langs]
        if ANY_LANG in by_lang:
            # (with no language of its own, `not in (null)` would be null and match nothing)
            others = (
                f"({vocab.LANG} is null or {vocab.LANG} not in ({', '.join(repr(x) for x in langs)}))"
                if langs
                else "true"
            )
            scopes.append((others, by_lang[ANY_LANG]))
        # a row dropped by a non-rule stage only moves to a rule stage that comes before it
        reach = f"(fate = 'kept' or _orig_rule or _orig_pos > {order[s]})"
        for scope, rs in scopes:
            for r in rs:
                values = (f"'{s}'", f"'{r.reason}'", *r.sql_explain())  # in the order of NEW
                whens.append((f"{reach} and {scope} and {r.sql_fires()}", values))
    kept_like = "fate = 'kept' or _orig_rule"
    orig_rule = f"(fate = 'dropped' and stage in ({', '.join(repr(s) for s in rule_stages) or 'null'}))"
    cases = ",\n          ".join(
        f"case {' '.join(f'when {c} then {values[i]}' for c, values in whens)} when {kept_like} then null "
        f"else {column} end as {name}"
        for i, (column, name) in enumerate(NEW.items())
    )
    return f"""
        with d as (select *, {orig_rule} as _orig_rule, {pos} as _orig_pos from docs where fate <> 'failed')
        select * exclude (_orig_rule, _orig_pos, fate),
          {cases}
        from d"""


def refilter(
    out: str, out2: str, cfg: BuildConfig, overwrite: bool = False, columns: dict[str, str] | None = None
) -> RefilterResult:
    """`columns`: signal columns recomputed as SQL over `docs` (cluster weights, `corpus clusters apply`)."""
    started = time.time()
    _check_target(out, out2, overwrite)
    layout2 = Layout(out2)
    layout2.ensure()
    with BuildLock(out2):  # a build or refilter running into OUT2 is refused, never deleted
        if overwrite:
            remove_output(out2)
            layout2.ensure()
        funnel = _write(out, layout2, cfg, columns, started)
    return RefilterResult(out2, funnel, time.time() - started)


def _check_target(out: str, out2: str, overwrite: bool) -> None:
    src, dst = os.path.realpath(out), os.path.realpath(out2)
    if src == dst or src.startswith(dst.rstrip(os.sep) + os.sep):
        raise ValueError("refilter writes a new output directory; OUT2 must neither be OUT nor hold it")
    if os.path.exists(out2) and not overwrite:
        raise FileExistsError(f"{out2} exists; pass --overwrite")
    if overwrite:
        check_removable(out2)
    check_writable(out2)


def _write(out: str, layout2: Layout, cfg: BuildConfig, columns: dict[str, str] | None, started: float) -> dict:
    """The three tables, funnel and manifest of OUT2; returns the funnel."""
    con = connect(out)
    models = recorded_models(out)
    con.execute(f"create temp table _refiltered as {fate_sql(cfg, models)}")
    cols = f"* exclude ({', '.join([*NEW, *NEW.values()])}), " + ", ".join(
        f"{new} as {column}" for column, new in NEW.items()
    )
    if columns:
        con.execute(
            f"create or replace temp table _refiltered as select * replace "
            f"({', '.join(f'{expr} as {name}' for name, expr in columns.items())}) from _refiltered"
        )
    _copy(
        con,
        f"select {cols} from _refiltered where _new_stage is null",
        layout2.fate_file(vocab.FATE_KEPT, "refilter", 0, 0),
    )
    _copy(
        con,
        f"select {cols} from _refiltered where _new_stage is not null",
        layout2.fate_file(vocab.FATE_DROPPED, "refilter", 0, 0),
    )
    _copy(
        con,
        "select * exclude (fate) from docs where fate = 'failed'",
        layout2.fate_file(vocab.FATE_FAILED, "refilter", 0, 0),
    )
    funnel = compute_funnel(layout2.root, cfg.stages)
    write_json(layout2.funnel(), funnel)
    from corpus.config import recorded

    write_json(
        layout2.manifest(),
        {
            "config": recorded(cfg),
            "models": models,
            "refiltered_from": os.path.abspath(out),
            "started": started,
            "finished": time.time(),
        },
    )
    return funnel


def _copy(con, query: str, path: str) -> None:
    """Write rows in the one schema's column order; a column the source build lacks (it was built
    before a key was declared) is written as nulls."""
    have = {r[0] for r in con.execute(f"describe ({query})").fetchall()}
    cols = []
    for f in vocab.arrow_schema():
        cols.append(f'"{f.name}"' if f.name in have else f'cast(null as {sql_type(f.type)}) as "{f.name}"')
    con.execute(
        f"copy (select {', '.join(cols)} from ({query})) to {sql_literal(path)} (format parquet, compression zstd)"
    )
