"""`corpus report`: one HTML page that a data engineer opens first, its interactive charts drawn by plotly.js
from a file beside it (reports.plots: nothing fetched from a network).

Sections, each one a reader can fold: a banner when the demo models scored the documents; totals; the
funnel as a stage x language pivot with a plot, and the bytes read against the text extracted; the top
drop reasons per language with the rule behind each and sample texts; the signals against their
thresholds (reports.signals); the failed records; the config, the models and the manifest that made the
build. Signals and rules come from corpus.core.vocab and the stage registry, so new stages appear without
changes here.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable

from corpus.core import vocab
from corpus.core.configlib import to_dict
from corpus.core.funnel import FRONT_STAGES
from corpus.core.layout import Layout
from corpus.core.sql import connect
from reports import plots
from reports.defaults import Defaults
from reports.models import tradeoff_section
from reports.page import FOLD_BUTTONS, SCRIPT, STYLE, e, pct, plural, section, table
from reports.signals import rule_of_reason, signals_section, thresholds_of  # noqa: F401 (thresholds_of: API)

SAMPLE_CHARS = 500
SAMPLES_PER_REASON = 3
TOP_REASONS = 8
FAILED_ROWS = 100
UNKNOWN = "unknown"

_table, _pct = table, pct  # the names mixtures.report and older callers use


class NotABuild(ValueError):
    """OUT is not a finished build (or refilter) output: one line for the command to print."""


# ---------------------------------------------------------------- banner, totals
def demo_banner(manifest: dict) -> str:
    scorer = manifest.get("scorer_models") or {}
    if not scorer.get("demo"):
        return ""
    stages = ", ".join(f"<code>{e(s)}</code>" for s in scorer.get("stages", []))
    train = scorer.get("train_command", "corpus models train")
    return (
        f"<div class='banner' id='demo-models'><b>Demo models scored these documents.</b> The stages {stages} "
        "used the tiny demo models trained on a few paragraphs, with lenient thresholds that drop almost "
        "nothing: their scores (perplexity, quality, coherence, safety) are placeholders, not measures of "
        f"quality. Train real models with <code>{e(train)}</code> and set <code>scorers.models_dir</code> "
        "(docs/scorers.md). The models used are listed under <a href='#models'>Models</a>.</div>"
    )


def languages(funnel: dict) -> list[str]:
    """Languages by documents read, 'unknown' (never identified) last."""
    first = {}
    for r in funnel["stages"]:
        first.setdefault(r["lang"], r["docs_in"])
    return sorted(first, key=lambda lang: (lang == UNKNOWN, -first[lang], lang))


def summary_section(funnel: dict, manifest: dict) -> str:
    t = funnel["totals"]
    records = sum(t.values())
    cards = [
        ("records", records, ""),
        ("kept", t["kept"], pct(t["kept"], records)),
        ("dropped", t["dropped"], pct(t["dropped"], records)),
        ("failed", t["failed"], pct(t["failed"], records)),
    ]
    html_cards = "".join(
        f"<div class='card {k}'><div class='n'>{n}</div> <div>{k} {p}</div></div>" for k, n, p in cards
    )
    when = ""
    if "finished" in manifest:
        took = manifest["finished"] - manifest.get("started", manifest["finished"])
        when = (
            f"<p>finished {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(manifest['finished']))} "
            f"in {took:.1f}s, exit code {manifest.get('exit_code', '–')}</p>"
        )
    return section("summary", "Summary", f"<div class='cards'>{html_cards}</div>{when}")


# ---------------------------------------------------------------- funnel
def funnel_section(funnel: dict, langs: list[str]) -> str:
    stages = list(dict.fromkeys(r["stage"] for r in funnel["stages"]))
    cell = {(r["stage"], r["lang"]): r for r in funnel["stages"]}
    rows, surviving = [], {}
    for s in stages:
        row, all_in, all_out = [e(s)], 0, 0
        for lang in langs:
            r = cell.get((s, lang))
            if r is None:
                row.append("")
                continue
            surviving[(s, lang)] = r["docs_out"]
            all_in, all_out = all_in + r["docs_in"], all_out + r["docs_out"]
            gone = r["docs_in"] - r["docs_out"]
            row.append(f"{r['docs_out']}" + (f" <span class='gone'>−{gone}</span>" if gone else ""))
        gone = all_in - all_out
        row.append(f"<b>{all_out}</b>" + (f" <span class='gone'>−{gone}</span>" if gone else ""))
        rows.append(row)
    read = [str(cell[(stages[0], lang)]["docs_in"]) if (stages[0], lang) in cell else "" for lang in langs]
    rows.insert(0, ["<i>records read</i>"] + read + [f"<b>{sum(funnel['totals'].values())}</b>"])
    numeric = set(range(1, len(langs) + 2))
    body = (
        "<p>Documents left after each stage, per language (<span class='gone'>−n</span>: removed by the "
        "stage). Each document is counted under the language <code>lang_id</code> gave it, from the first "
        "stage on; documents dropped before <code>lang_id</code> count as <i>unknown</i>.</p>"
        "<div class='row'>"
        + table(["stage"] + langs + ["all"], rows, numeric, "pivot")
        + plots.funnel_bars(stages, langs, surviving)
        + "</div>"
        + bytes_to_text(funnel)
    )
    return section("funnel", "Funnel", body)


def bytes_to_text(funnel: dict) -> str:
    """The front stages in payload bytes, and what extraction made of them in characters of text."""
    rows = []
    for stage in FRONT_STAGES:
        rs = [r for r in funnel["stages"] if r["stage"] == stage]
        if not rs or "bytes_in" not in rs[0]:
            continue
        docs_in, docs_out = sum(r["docs_in"] for r in rs), sum(r["docs_out"] for r in rs)
        b_in, b_out = sum(r["bytes_in"] for r in rs), sum(r["bytes_out"] for r in rs)
        text = sum(r["chars_out"] for r in rs) if stage == vocab.EXTRACT else None
        rows.append(
            [
                f"<code>{e(stage)}</code>",
                f"{docs_in:,}",
                f"{b_in:,}",
                f"{docs_out:,}",
                f"{b_out:,}",
                f"{text:,}" if text is not None else "",
                f"{text / b_out:.1%}" if text is not None and b_out else "",
            ]
        )
    if not rows:
        return ""
    return (
        "<h3>From payload bytes to text</h3><p>The front of the build in bytes of input payload (the HTTP "
        "body of a WARC record, the UTF-8 text of a JSONL or Parquet row): what was read, what the content "
        "checks let through, and the characters of main text extraction made of it.</p>"
        + table(
            ["stage", "documents in", "bytes in", "documents out", "bytes out", "text out (chars)", "chars per byte"],
            rows,
            {1, 2, 3, 4, 5, 6},
            "bytes",
        )
    )


# ---------------------------------------------------------------- drop reasons with samples
def samples(con) -> dict[tuple[str, str, str], list[tuple]]:
    """(stage, reason, lang) -> [(id, url, text, (rule, value, threshold))] of a few dropped documents. The
    views give a build made before the rule columns existed nulls there."""
    rule = f"{vocab.RULE_COL}, {vocab.VALUE_COL}, {vocab.THRESHOLD_COL}"
    rows = con.execute(f"""
        select stage, reason, coalesce({vocab.LANG}, '{UNKNOWN}') as lang, id, {vocab.URL}, text, {rule} from (
          select *, row_number() over (partition by stage, reason, coalesce({vocab.LANG}, '{UNKNOWN}')
                                       order by hash(id)) as n from dropped)
        where n <= {SAMPLES_PER_REASON} order by stage, reason, lang, id""").fetchall()
    out: dict[tuple[str, str, str], list[tuple]] = {}
    for stage, reason, lang, did, url, text, *fired in rows:
        out.setdefault((stage, reason, lang), []).append((did, url, text, tuple(fired)))
    return out


def rule_html(fired: tuple) -> str:
    """'gopher_word_count 21 < min 50': the rule that dropped a sample, its value and the bound it crossed."""
    signal, value, threshold = (tuple(fired) + (None, None, None))[:3]
    if not signal:
        return ""
    if value is None or threshold is None:
        return f"<span class='rule'><code>{e(signal)}</code></span>"
    below = value < threshold
    return (
        f"<span class='rule'><code>{e(signal)}</code> {value:.6g} {'&lt; min' if below else '&gt; max'} "
        f"{threshold:.6g}</span>"
    )


def _sample_html(did: str, url: str | None, text: str | None, fired: tuple = ()) -> str:
    text = text or ""
    snippet = text[:SAMPLE_CHARS] + ("…" if len(text) > SAMPLE_CHARS else "")
    return (
        f"<div class='sample'><div class='meta'>{e(did)} {e(url or '')} {rule_html(fired)}</div>"
        f"<pre>{e(snippet) or '<i>(no text)</i>'}</pre></div>"
    )


def reasons_section(funnel: dict, langs: list[str], by_reason: dict, rules: dict | None = None) -> str:
    parts = [
        "<p>The most frequent reasons per language, with their share of the language's documents and "
        "the rule behind each; open a row for sample texts.</p>"
    ]
    for lang in langs:
        rows = [
            (r["stage"], reason, v["docs"], v["chars"], r)
            for r in funnel["stages"]
            if r["lang"] == lang
            for reason, v in r["removed"].items()
            if not reason.startswith("failed:")
        ]
        if not rows:
            continue
        read = next(r["docs_in"] for r in funnel["stages"] if r["lang"] == lang)
        rows.sort(key=lambda x: -x[2])
        parts.append(f"<h3>{e(lang)} <small>{plural(read, 'document')}</small></h3>")
        for stage, reason, docs, chars, _ in rows[:TOP_REASONS]:
            doc = vocab.REASONS[reason].doc if reason in vocab.REASONS else ""
            rule = rule_of_reason(rules or {}, stage, reason, lang)
            rule = f" <span class='doc'>(signal {e(rule)})</span>" if rule else ""
            shown = "".join(_sample_html(*s) for s in by_reason.get((stage, reason, lang), []))
            parts.append(
                f"<details><summary><b>{docs}</b> ({pct(docs, read)}) <code>{e(reason)}</code> at "
                f"<code>{e(stage)}</code> <span class='doc'>{e(doc)}</span>{rule}</summary>{shown}</details>"
            )
        if len(rows) > TOP_REASONS:
            rest = sum(x[2] for x in rows[TOP_REASONS:])
            parts.append(
                f"<p class='doc'>{plural(len(rows) - TOP_REASONS, 'more reason')}, "
                f"{plural(rest, 'document')} (funnel.json)</p>"
            )
    return section("reasons", "Why documents were dropped", "".join(parts))


# ---------------------------------------------------------------- failed, config, models
def failed_section(con) -> str:
    n = con.execute("select count(*) from failed").fetchone()[0]
    if not n:
        return section("failed", "Failed records", "<p>None: every record was read and processed.</p>")
    groups = con.execute(
        f"select stage, {vocab.ERROR_CLASS}, count(*) from failed group by all order by 3 desc"
    ).fetchall()
    rows = con.execute(f"""select id, stage, {vocab.ERROR_CLASS}, {vocab.ERROR_MESSAGE}, {vocab.SOURCE_FILE},
                                  {vocab.SOURCE_OFFSET} from failed order by id limit {FAILED_ROWS}""").fetchall()
    listed = [[e(str(v)) if v is not None else "" for v in r] for r in rows]
    more = f"<p class='doc'>first {FAILED_ROWS} of {n}; all in <code>failed/</code></p>" if n > FAILED_ROWS else ""
    return section(
        "failed",
        "Failed records",
        table(["stage", "error", "records"], [[e(str(a)), e(str(b)), c] for a, b, c in groups], {2})
        + table(["id", "stage", "error", "message", "file", "offset"], listed, {5}, "failed")
        + more,
    )


def models_section(manifest: dict) -> str:
    """manifest.json's `models` (every model a stage decided with: path, sha256, cutoffs) and whether the
    learned stages used the demo models (`scorer_models`)."""
    models = manifest.get("models") or {}
    scorer = manifest.get("scorer_models") or {}
    demo = set(scorer.get("stages", [])) if scorer.get("demo") else set()
    rows = []
    for stage, by_lang in models.items():
        for lang, rec in (by_lang or {}).items():
            cutoffs = ", ".join(
                f"{sig} {b} {v:g}"
                for sig, bounds in (rec.get("cutoffs") or {}).items()
                for b, v in bounds.items()
                if isinstance(v, (int, float))
            )
            cutoffs = ", ".join(
                [cutoffs] * bool(cutoffs) + [f"{sig} off: {why}" for sig, why in (rec.get("cutoff_off") or {}).items()]
            )
            kind = "<span class='demo'>demo</span>" if stage in demo else ""
            rows.append(
                [
                    f"<code>{e(stage)}</code>",
                    e(lang),
                    kind,
                    f"<code>{e(str(rec.get('path', '')))}</code>",
                    f"<code>{e(str(rec.get('sha256', ''))[:12])}</code>",
                    e(cutoffs),
                ]
            )
    where = (
        f"models directory <code>{e(scorer['models_dir'])}</code>"
        if scorer.get("models_dir")
        else "the demo models (no <code>scorers.models_dir</code>)"
        if scorer.get("demo")
        else ""
    )
    head = f"<p>Learned stages scored with {where}.</p>" if where else ""
    if not rows:
        return section("models", "Models", head + "<p>No stage of this build used a model.</p>")
    return section(
        "models",
        "Models",
        head + "<p>Every model a stage decided with (manifest.json, "
        "<code>models</code>): a cutoff is the value the model recorded at training time, which a "
        "<code>model</code> bound reads.</p>"
        + table(["stage", "lang", "", "path", "sha256", "cutoffs"], rows, cls="models"),
    )


def config_section(cfg, manifest: dict) -> str:
    from corpus.config import dump_config

    inputs = manifest.get("inputs", [])
    rows = [[e(i["path"]), i["bytes"]] for i in inputs]
    extra = ""
    if manifest.get("refiltered_from"):
        extra = f"<p>refiltered from <code>{e(manifest['refiltered_from'])}</code></p>"
    versions = manifest.get("versions", {})
    return section(
        "config",
        "Config",
        extra
        + f"<pre class='config'>{e(dump_config(cfg))}</pre>"
        + (
            f"<details><summary>{plural(len(inputs), 'input')}</summary>{table(['path', 'bytes'], rows, {1})}</details>"
            if inputs
            else ""
        )
        + (
            f"<details><summary>versions</summary>"
            f"{table(['package', 'version'], [[e(k), e(str(v))] for k, v in versions.items()])}"
            "</details>"
            if versions
            else ""
        ),
    )


NAV = [
    ("summary", "Summary"),
    ("funnel", "Funnel"),
    ("reasons", "Drop reasons"),
    ("signals", "Signals"),
    ("failed", "Failed"),
    ("models", "Models"),
    ("config", "Config"),
]


def check_build(out: str) -> Layout:
    """The build's layout, or NotABuild with the one line `corpus report` prints."""
    layout = Layout(out)
    if not os.path.isdir(out) or not layout.holds_a_build():
        raise NotABuild(f"{out!r} is not a build output directory (no manifest.json)")
    for path in (layout.manifest(), layout.funnel()):
        if not os.path.isfile(path):
            raise NotABuild(
                f"{out!r} holds a build that has not finished (no {os.path.basename(path)}): rerun "
                "the build to complete it"
            )
    return layout


def write_report(out: str, path: str | None = None, say: Callable[[str], None] | None = None, counted=None) -> str:
    """`say(line)`: progress lines as the report is made; `counted`: corpus.core.progress.counted, for the
    histograms (the longest part)."""
    from corpus.refilter import effective_config, recorded_models, stage_rules

    say = say or (lambda line: None)
    layout = check_build(out)
    t0 = time.monotonic()
    with open(layout.funnel(), encoding="utf-8") as f:
        funnel = json.load(f)
    with open(layout.manifest(), encoding="utf-8") as f:
        manifest = json.load(f)
    cfg = effective_config(out)
    if funnel["stages"] and "bytes_in" not in funnel["stages"][0]:  # a build from before the funnel counted bytes
        from corpus.core.funnel import compute_funnel

        say("report: counting payload bytes (funnel.json predates them)")
        funnel = {**funnel, "stages": compute_funnel(out, cfg.stages)["stages"]}
    models = recorded_models(out)
    rules = dict(stage_rules(cfg, models))
    con = connect(out)
    langs = languages(funnel)
    kept_langs = [lang for lang in langs if lang in cfg.lang_id.keep]  # thresholds apply to kept languages only
    scorer = manifest.get("scorer_models") or {}
    demo_stages = frozenset(scorer.get("stages", [])) if scorer.get("demo") else frozenset()
    say(f"report: {out}: {plural(sum(funnel['totals'].values()), 'record')}, {plural(len(langs), 'language')}")
    body = demo_banner(manifest) + summary_section(funnel, manifest) + funnel_section(funnel, langs)
    say("report: drop reasons and samples")
    body += reasons_section(funnel, langs, samples(con), rules)
    say(f"report: reading the signals ({time.monotonic() - t0:.1f}s so far)")
    defaults = Defaults.of_config(to_dict(cfg), demo=bool(demo_stages))
    body += section(
        "signals",
        "Signals and thresholds",
        signals_section(con, rules, kept_langs, defaults, demo_stages, models, counted),
    )
    from reports.labels import label_mix_section  # topic and format label mix, largest clusters

    say("report: label mix, failed records, models, config")
    labels = label_mix_section(con)
    body += labels + failed_section(con) + models_section(manifest) + tradeoff_section(manifest)
    body += config_section(cfg, manifest)
    nav = "".join(f"<a href='#{a}'>{t}</a>" for a, t in NAV + [("labels", "Labels")] * bool(labels)) + FOLD_BUTTONS
    title = e(os.path.abspath(out))
    path = path or layout.report_file()
    with open(path, "w", encoding="utf-8") as f:
        f.write(
            f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>corpus report: {title}</title>"
            f"<style>{STYLE}</style>{plots.SCRIPT_TAG}</head><body><h1>Build report <small>{title}</small></h1>"
            f"<nav>{nav}</nav>{body}<script>{plots.DRAW_SCRIPT}{SCRIPT}</script></body></html>"
        )
    plots.write_script(os.path.dirname(os.path.abspath(path)))  # beside the page (under OUT: Layout.report_script)
    say(f"report: written in {time.monotonic() - t0:.1f}s ({os.path.getsize(path) / 1e6:.1f} MB)")
    return path
