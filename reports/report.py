"""`corpus report`: one self-contained HTML file (plots embedded as PNG) describing a build.

Sections: the funnel per stage x language (documents and characters, from funnel.json), a
histogram of every numeric signal column per language with the thresholds of every stage's
rules drawn on it, and a few dropped documents per reason. Signals and rules are discovered
from corpus.vocab and the stage registry, so new families appear without changes here.
"""

from __future__ import annotations

import base64
import html
import io
import json
import os

from corpus import vocab
from corpus.layout import Layout
from corpus.sql import connect
from filters.rules import ANY_LANG, Rule

SAMPLE_CHARS = 600


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=64)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return f'<img src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}">'


def funnel_section(funnel: dict, langs: tuple[str, ...]) -> str:
    rows = ["<tr><th>stage</th><th>lang</th><th>docs in</th><th>docs out</th><th>chars in</th><th>chars out</th><th>removed</th></tr>"]
    for r in funnel["stages"]:
        removed = ", ".join(f"{html.escape(k)}={v['docs']}" for k, v in r["removed"].items())
        rows.append(f"<tr><td>{html.escape(r['stage'])}</td><td>{html.escape(r['lang'])}</td><td>{r['docs_in']}</td>"
                    f"<td>{r['docs_out']}</td><td>{r['chars_in']}</td><td>{r['chars_out']}</td><td>{removed}</td></tr>")
    t = funnel["totals"]
    return (f"<h2>Funnel</h2><p>kept {t['kept']}, dropped {t['dropped']}, failed {t['failed']}</p>"
            f"<table>{''.join(rows)}</table>" + funnel_plot(funnel, langs))


def funnel_plot(funnel: dict, langs: tuple[str, ...]) -> str:
    import matplotlib.pyplot as plt

    langs = [lang for lang in langs if any(r["lang"] == lang for r in funnel["stages"])]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    fig.subplots_adjust(bottom=0.35, wspace=0.25)
    for ax, (unit, col) in zip(axes, (("documents", "docs_out"), ("characters", "chars_out"))):
        for lang in langs:
            rows = [r for r in funnel["stages"] if r["lang"] == lang]
            ax.plot([r["stage"] for r in rows], [r[col] for r in rows], marker="o", label=lang)
        ax.set_title(f"{unit} surviving each stage")
        ax.tick_params(axis="x", rotation=60, labelsize=7)
        ax.set_ylim(bottom=0)
        ax.set_ylabel(unit)
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(fontsize=7)
    return _png(fig)


def thresholds_of(rules: dict[str, dict[str, tuple[Rule, ...]]], key: str, lang: str) -> list[tuple[str, float]]:
    out = []
    for by_lang in rules.values():
        for r in by_lang.get(lang, by_lang.get(ANY_LANG, ())):
            if r.key == key:
                out += [(f"{r.reason} (min)", r.min)] if r.min is not None else []
                out += [(f"{r.reason} (max)", r.max)] if r.max is not None else []
    return out


def signal_section(con, rules: dict, langs: tuple[str, ...]) -> str:
    import matplotlib.pyplot as plt
    import numpy as np

    have = {r[0] for r in con.execute("describe docs").fetchall()}
    # every numeric signal, less the read stage's bookkeeping (offsets, indices, sizes)
    keys = [k for k in vocab.KEYS.values()
            if k.dtype in ("int64", "float64") and k.name in have and k.stage != vocab.READ]
    cols = ", ".join(f"{k.name}::double as {k.name}" for k in keys)
    # one scan of the signal columns (never the text) for every histogram
    table = con.sql(f"select {vocab.LANG}, {cols} from docs where fate <> 'failed' and {vocab.LANG} in "
                        f"({', '.join(repr(x) for x in langs)})").to_arrow_table()
    lang_col = np.array(table.column(vocab.LANG).to_pylist(), dtype=object)
    parts = ["<h2>Signals</h2><p>Histogram per language of every numeric signal; dashed lines: thresholds.</p>"]
    for k in keys:
        values = table.column(k.name).to_numpy(zero_copy_only=False).astype(float)
        data = {}
        for lang in langs:
            xs = values[(lang_col == lang) & np.isfinite(values)]
            if len(xs):
                data[lang] = xs
        if not data:
            continue
        fig, axes = plt.subplots(1, len(data), figsize=(3.6 * len(data), 2.4), squeeze=False)
        fig.subplots_adjust(bottom=0.15, top=0.8, wspace=0.3)
        for ax, (lang, xs) in zip(axes[0], data.items()):
            lo, hi = float(xs.min()), float(xs.max())
            span = (hi - lo) or 1.0
            shown, off = [], []
            for label, value in thresholds_of(rules, k.name, lang):  # far-off bounds would squash the data
                (shown if lo - span <= value <= hi + span else off).append((label, value))
            lo, hi = min([lo] + [x for _, x in shown]), max([hi] + [x for _, x in shown])
            ax.hist(xs, bins=40, range=(lo, hi if hi > lo else lo + 1), color="#4c72b0", histtype="stepfilled")
            for label, value in shown:
                ax.axvline(value, color="#c44e52", linestyle="--", linewidth=1.2)
            note = ", ".join(f"{x:g}" for _, x in off)
            ax.set_title(f"{k.name} [{lang}] n={len(xs)}" + (f"\nthreshold off-scale: {note}" if note else ""), fontsize=8)
            ax.tick_params(labelsize=7)
        parts.append(f"<h3>{html.escape(k.name)}</h3><p>{html.escape(k.doc)} (stage {html.escape(k.stage)})</p>{_png(fig)}")
    return "".join(parts)


def samples_section(con, per_reason: int = 3) -> str:
    rows = con.execute(f"""select stage, reason, id, {vocab.URL}, {vocab.LANG}, text from (
                             select *, row_number() over (partition by stage, reason order by hash(id)) as n from dropped)
                           where n <= {int(per_reason)} order by stage, reason, id""").fetchall()
    parts = ["<h2>Dropped documents, sampled per reason</h2>"]
    for stage, reason, did, url, lang, text in rows:
        snippet = (text or "")[:SAMPLE_CHARS] + ("…" if text and len(text) > SAMPLE_CHARS else "")
        parts.append(f"<details><summary>{html.escape(str(stage))} / {html.escape(str(reason))}: {html.escape(did)} "
                     f"[{html.escape(str(lang))}] {html.escape(str(url or ''))}</summary><pre>{html.escape(snippet)}</pre></details>")
    return "".join(parts)


STYLE = ("body{font-family:sans-serif;margin:2em;max-width:1400px}table{border-collapse:collapse;font-size:12px}"
         "td,th{border:1px solid #ccc;padding:2px 6px}pre{white-space:pre-wrap;background:#f6f6f6;padding:.5em}")


def write_report(out: str, path: str | None = None) -> str:
    import matplotlib

    matplotlib.use("Agg")
    from corpus.refilter import effective_config, stage_rules

    layout = Layout(out)
    with open(layout.funnel(), encoding="utf-8") as f:
        funnel = json.load(f)
    cfg = effective_config(out)
    rules = dict(stage_rules(cfg))
    con = connect(out)
    body = funnel_section(funnel, cfg.lang.keep) + signal_section(con, rules, cfg.lang.keep) + samples_section(con)
    path = path or layout.path("report.html")
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"<!doctype html><html><head><meta charset='utf-8'><title>corpus report: {html.escape(os.path.abspath(out))}"
                f"</title><style>{STYLE}</style></head><body><h1>Build report</h1><p>{html.escape(os.path.abspath(out))}</p>"
                f"{body}</body></html>")
    return path
