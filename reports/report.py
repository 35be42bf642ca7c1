"""`corpus report`: one self-contained HTML page (no network) that a data engineer opens first.

Sections: totals; the funnel as a stage x language pivot with a plot; the top drop reasons per
language with sample texts; a histogram per language of every signal a rule thresholds, with the
thresholds and the share of documents each fails (percentiles for the other signals); the failed records; the
config and manifest that made the build. Signals and rules come from corpus.core.vocab and the stage
registry, so new stages appear without changes here.
"""

from __future__ import annotations

import html
import json
import os
import time

import numpy as np

from corpus.core import vocab
from corpus.core.layout import Layout
from corpus.core.sql import connect
from corpus.core.steps import Rule, rules_for
from reports import plots

SAMPLE_CHARS = 500
SAMPLES_PER_REASON = 3
TOP_REASONS = 8
FAILED_ROWS = 100
UNKNOWN = "unknown"

e = html.escape


def _table(head: list[str], rows: list[list], numeric: set[int] = frozenset(), cls: str = "") -> str:
    th = "".join(f"<th>{e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td class='num'>{c}</td>" if i in numeric else f"<td>{c}</td>"
                                    for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table class='{cls}'><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "–"


# ---------------------------------------------------------------- funnel
def languages(funnel: dict) -> list[str]:
    """Languages by documents read, 'unknown' (never identified) last."""
    first = {}
    for r in funnel["stages"]:
        first.setdefault(r["lang"], r["docs_in"])
    return sorted(first, key=lambda lang: (lang == UNKNOWN, -first[lang], lang))


def summary_section(funnel: dict, manifest: dict) -> str:
    t = funnel["totals"]
    records = sum(t.values())
    cards = [("records", records, ""), ("kept", t["kept"], _pct(t["kept"], records)),
             ("dropped", t["dropped"], _pct(t["dropped"], records)), ("failed", t["failed"], _pct(t["failed"], records))]
    html_cards = "".join(f"<div class='card {k}'><div class='n'>{n}</div> <div>{k} {p}</div></div>" for k, n, p in cards)
    when = ""
    if "finished" in manifest:
        took = manifest["finished"] - manifest.get("started", manifest["finished"])
        when = (f"<p>finished {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(manifest['finished']))} "
                f"in {took:.1f}s, exit code {manifest.get('exit_code', '–')}</p>")
    return f"<section id='summary'><div class='cards'>{html_cards}</div>{when}</section>"


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
    return ("<section id='funnel'><h2>Funnel</h2><p>Documents left after each stage, per language "
            "(<span class='gone'>−n</span>: removed by the stage). A document's language is known from "
            "<code>lang_id</code> on; earlier drops count as <i>unknown</i>.</p><div class='row'>"
            + _table(["stage"] + langs + ["all"], rows, numeric, "pivot")
            + plots.funnel_bars(stages, langs, surviving) + "</div></section>")


# ---------------------------------------------------------------- drop reasons with samples
def samples(con) -> dict[tuple[str, str, str], list[tuple]]:
    rows = con.execute(f"""
        select stage, reason, coalesce({vocab.LANG}, '{UNKNOWN}') as lang, id, {vocab.URL}, text from (
          select *, row_number() over (partition by stage, reason, coalesce({vocab.LANG}, '{UNKNOWN}')
                                       order by hash(id)) as n from dropped)
        where n <= {SAMPLES_PER_REASON} order by stage, reason, lang, id""").fetchall()
    out: dict[tuple[str, str, str], list[tuple]] = {}
    for stage, reason, lang, did, url, text in rows:
        out.setdefault((stage, reason, lang), []).append((did, url, text))
    return out


def _sample_html(did: str, url: str | None, text: str | None) -> str:
    text = text or ""
    snippet = text[:SAMPLE_CHARS] + ("…" if len(text) > SAMPLE_CHARS else "")
    return (f"<div class='sample'><div class='meta'>{e(did)} {e(url or '')}</div>"
            f"<pre>{e(snippet) or '<i>(no text)</i>'}</pre></div>")


def reasons_section(funnel: dict, langs: list[str], by_reason: dict) -> str:
    parts = ["<section id='reasons'><h2>Why documents were dropped</h2><p>The most frequent reasons per "
             "language, with their share of the language's documents; open a row for sample texts.</p>"]
    for lang in langs:
        rows = [(r["stage"], reason, v["docs"], v["chars"], r) for r in funnel["stages"] if r["lang"] == lang
                for reason, v in r["removed"].items() if not reason.startswith("failed:")]
        if not rows:
            continue
        read = next(r["docs_in"] for r in funnel["stages"] if r["lang"] == lang)
        rows.sort(key=lambda x: -x[2])
        parts.append(f"<h3>{e(lang)} <small>{read} documents</small></h3>")
        for stage, reason, docs, chars, _ in rows[:TOP_REASONS]:
            doc = vocab.REASONS[reason].doc if reason in vocab.REASONS else ""
            shown = "".join(_sample_html(*s) for s in by_reason.get((stage, reason, lang), []))
            parts.append(f"<details><summary><b>{docs}</b> ({_pct(docs, read)}) <code>{e(reason)}</code> at "
                         f"<code>{e(stage)}</code> <span class='doc'>{e(doc)}</span></summary>{shown}</details>")
        if len(rows) > TOP_REASONS:
            rest = sum(x[2] for x in rows[TOP_REASONS:])
            parts.append(f"<p class='doc'>{len(rows) - TOP_REASONS} more reasons, {rest} documents (funnel.json)</p>")
    return "".join(parts) + "</section>"


# ---------------------------------------------------------------- signals
def thresholds_of(rules: dict[str, dict[str, tuple[Rule, ...]]], key: str, lang: str) -> list[tuple[str, float]]:
    out = []
    for by_lang in rules.values():
        for r in rules_for(by_lang, lang):
            if r.key == key:
                out += [(f"{r.reason} min", r.min)] if r.min is not None else []
                out += [(f"{r.reason} max", r.max)] if r.max is not None else []
    return out


def _signal_table(con, langs: list[str]):
    have = {r[0] for r in con.execute("describe docs").fetchall()}
    # every numeric signal, less the read stage's bookkeeping (offsets, indices, sizes)
    keys = [k for k in vocab.KEYS.values() if k.dtype in ("int64", "float64") and k.name in have and k.stage != vocab.READ]
    cols = ", ".join(f"{k.name}::double as {k.name}" for k in keys)
    # one scan of the signal columns (never the text) for every histogram
    table = con.sql(f"select coalesce({vocab.LANG}, '{UNKNOWN}') as lang, {cols} from docs where fate <> 'failed' "
                    f"and {vocab.LANG} in ({', '.join(repr(x) for x in langs)})").to_arrow_table()
    return keys, table


def signals_section(con, rules: dict, langs: list[str]) -> str:
    keys, table = _signal_table(con, langs)
    lang_col = np.array(table.column("lang").to_pylist(), dtype=object)
    plotted, others = [], []
    for k in keys:
        values = table.column(k.name).to_numpy(zero_copy_only=False).astype(float)
        for lang in langs:
            xs = values[(lang_col == lang) & np.isfinite(values)]
            if not len(xs):
                continue
            lines = [(label, v, float(((xs < v) if label.endswith("min") else (xs > v)).mean()))
                     for label, v in thresholds_of(rules, k.name, lang)]
            if lines:
                plotted.append((k, lang, xs, lines))
            else:
                p5, p50, p95 = np.percentile(xs, [5, 50, 95])
                others.append([f"<code>{e(k.name)}</code>", e(lang), len(xs), f"{p5:.4g}", f"{p50:.4g}", f"{p95:.4g}",
                               e(k.doc)])
    parts = ["<section id='signals'><h2>Signals and thresholds</h2><p>Every signal a rule thresholds, per "
             "language, over the documents that reached its stage; red lines: the thresholds and the share of "
             "those documents each fails (a document outside two thresholds counts for both; the funnel "
             "counts it once, under the first). Plots are ordered by the share failing.</p>"]
    shares = sorted(((share, k.name, lang, label, value, len(xs)) for k, lang, xs, lines in plotted
                     for label, value, share in lines), key=lambda x: (-x[0], x[1], x[2]))
    if shares:
        rows = [[f"<code>{e(name)}</code>", e(lang), e(label), f"{value:g}", n, f"{share:.1%}"]
                for share, name, lang, label, value, n in shares]
        parts.append("<details open><summary>Thresholds by the share of documents that fail them</summary>"
                     + _table(["signal", "lang", "rule", "threshold", "n", "fail"], rows, {3, 4, 5}) + "</details>")
    # the thresholds that fail the most documents first
    plotted.sort(key=lambda p: (-max(share for _, _, share in p[3]), p[0].name, p[1]))
    parts.append("<div class='grid'>" + "".join(
        plots.histogram(k.name, lang, xs, lines, langs, f"{k.doc} (stage {k.stage})") for k, lang, xs, lines in plotted)
        + "</div>" if plotted else "<p>No thresholded signal in this build.</p>")
    if others:
        parts.append("<details><summary>Other signals (no threshold): percentiles</summary>"
                     + _table(["signal", "lang", "n", "p5", "p50", "p95", "what"], others, {2, 3, 4, 5})
                     + "</details>")
    return "".join(parts) + "</section>"


# ---------------------------------------------------------------- failed, config
def failed_section(con) -> str:
    n = con.execute("select count(*) from failed").fetchone()[0]
    if not n:
        return "<section id='failed'><h2>Failed records</h2><p>None: every record was read and processed.</p></section>"
    groups = con.execute(f"select stage, {vocab.ERROR_CLASS}, count(*) from failed group by all order by 3 desc").fetchall()
    rows = con.execute(f"""select id, stage, {vocab.ERROR_CLASS}, {vocab.ERROR_MESSAGE}, {vocab.SOURCE_FILE},
                                  {vocab.SOURCE_OFFSET} from failed order by id limit {FAILED_ROWS}""").fetchall()
    listed = [[e(str(v)) if v is not None else "" for v in r] for r in rows]
    more = f"<p class='doc'>first {FAILED_ROWS} of {n}; all in <code>failed/</code></p>" if n > FAILED_ROWS else ""
    return ("<section id='failed'><h2>Failed records</h2>"
            + _table(["stage", "error", "records"], [[e(str(a)), e(str(b)), c] for a, b, c in groups], {2})
            + _table(["id", "stage", "error", "message", "file", "offset"], listed, {5}, "failed") + more
            + "</section>")


def config_section(cfg, manifest: dict) -> str:
    from corpus.config import dump_config

    inputs = manifest.get("inputs", [])
    rows = [[e(i["path"]), i["bytes"]] for i in inputs]
    extra = ""
    if manifest.get("refiltered_from"):
        extra = f"<p>refiltered from <code>{e(manifest['refiltered_from'])}</code></p>"
    versions = manifest.get("versions", {})
    return ("<section id='config'><h2>Config</h2>" + extra + f"<pre class='config'>{e(dump_config(cfg))}</pre>"
            + (f"<details><summary>{len(inputs)} inputs</summary>{_table(['path', 'bytes'], rows, {1})}</details>"
               if inputs else "")
            + (f"<details><summary>versions</summary>{_table(['package', 'version'], [[e(k), e(str(v))] for k, v in versions.items()])}"
               "</details>" if versions else "")
            + "</section>")


STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;padding:1em 2em;max-width:1500px;color:#222}
nav{position:sticky;top:0;background:#fff;padding:.4em 0;border-bottom:1px solid #ddd;z-index:1}
nav a{margin-right:1.2em}
h2{margin-top:1.6em;border-bottom:2px solid #eee}
small,.doc,.meta{color:#666;font-weight:normal}
table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #ddd;padding:3px 8px;vertical-align:top}
th{background:#f4f4f4}
tbody tr:nth-child(even){background:#fafafa}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.gone{color:#c44e52;font-size:90%}
.row{display:flex;gap:2em;flex-wrap:wrap;align-items:flex-start}
.row figure{flex:1 1 500px}
figure{margin:0}
figure img{max-width:100%;height:auto}
.grid figure img{width:100%}
figcaption{color:#666;font-size:90%;text-align:center}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:1em}
.cards{display:flex;gap:1em}
.card{border:1px solid #ddd;border-radius:6px;padding:.5em 1.2em;min-width:8em}
.card .n{font-size:200%;font-weight:bold}
.card.kept .n{color:#2e7d32}.card.dropped .n{color:#c44e52}.card.failed .n{color:#b26a00}
details{margin:.3em 0}
summary{cursor:pointer}
pre{white-space:pre-wrap;background:#f6f6f6;padding:.5em;margin:.2em 0 .8em;max-height:16em;overflow:auto}
table.failed td:nth-child(4){max-width:40em}
pre.config{max-height:none}
"""

# marks each figure once its image is decoded, and records where it is, for a headless browser to check
SCRIPT = """
window.addEventListener('load', function () {
  var figures = document.querySelectorAll('figure.plot');
  var drawn = 0;
  figures.forEach(function (f) {
    var img = f.querySelector('img');
    var r = f.getBoundingClientRect();
    f.dataset.box = [r.left + window.scrollX, r.top + window.scrollY, r.width, r.height].map(Math.round).join(',');
    if (img && img.complete && img.naturalWidth > 0 && r.width > 0 && r.height > 0) { f.dataset.drawn = '1'; drawn++; }
  });
  document.body.dataset.plots = figures.length;
  document.body.dataset.drawn = drawn;
  document.body.dataset.height = document.documentElement.scrollHeight;
});
"""

NAV = [("summary", "Summary"), ("funnel", "Funnel"), ("reasons", "Drop reasons"), ("signals", "Signals"),
       ("failed", "Failed"), ("config", "Config")]


def write_report(out: str, path: str | None = None) -> str:
    from corpus.refilter import effective_config, recorded_models, stage_rules

    layout = Layout(out)
    with open(layout.funnel(), encoding="utf-8") as f:
        funnel = json.load(f)
    with open(layout.manifest(), encoding="utf-8") as f:
        manifest = json.load(f)
    cfg = effective_config(out)
    rules = dict(stage_rules(cfg, recorded_models(out)))
    con = connect(out)
    langs = languages(funnel)
    kept_langs = [lang for lang in langs if lang in cfg.lang.keep]  # thresholds apply to kept languages only
    body = (summary_section(funnel, manifest) + funnel_section(funnel, langs)
            + reasons_section(funnel, langs, samples(con)) + signals_section(con, rules, kept_langs))
    from labels.report import label_mix_section  # topic and format label mix, largest clusters

    labels = label_mix_section(con)
    body += labels + failed_section(con) + config_section(cfg, manifest)
    nav = "".join(f"<a href='#{a}'>{t}</a>" for a, t in NAV + [("labels", "Labels")] * bool(labels))
    title = e(os.path.abspath(out))
    path = path or layout.report_file()
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>corpus report: {title}</title>"
                f"<style>{STYLE}</style></head><body><h1>Build report <small>{title}</small></h1><nav>{nav}</nav>"
                f"{body}<script>{SCRIPT}</script></body></html>")
    return path
