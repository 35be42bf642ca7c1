"""`corpus mix report RUNS`: one HTML page, its interactive charts drawn by plotly.js from a file beside it
(reports.plots: nothing fetched from a network).

Sections: the verdict (the metric's definition, the fit's held-out rank correlation, the proposal
against uniform weights and the best sampled mixture against the seed band, per target too, and a
warning where the search cannot tell mixtures apart yet); the regression's held-out predictions
against the actual metric, per model; the metric against each source's weight; the three mixtures
side by side over their seeds; the runs table with every target's column.
"""

from __future__ import annotations

import html
import json
import os

import numpy as np

from mixtures.runs import ACC, LOSS, WEIGHT, read_runs
from mixtures.verdict import LABELS, verdict
from reports import plots
from reports.report import STYLE

e = html.escape


def _load(runs_dir: str) -> tuple[list[dict], dict, list[str]]:
    from mixtures.resume import read_proposal

    rows = read_runs(runs_dir)
    if not rows:
        raise FileNotFoundError(f"{runs_dir} holds no finished runs (runs.jsonl)")
    names = [k[len(WEIGHT) :] for k in dict.fromkeys(k for r in rows for k in r if k.startswith(WEIGHT))]
    return rows, read_proposal(runs_dir), names


def search_summary(runs_dir: str) -> dict | None:
    """The search's summary (mixtures/search.py), from the mixture file the runs were made with;
    None for runs imported from elsewhere (no search.json)."""
    from corpus.core.configlib import ConfigError, from_dict
    from mixtures.mixture import Mixture
    from mixtures.resume import SEARCH_FILE
    from mixtures.search import search_config, summary

    path = os.path.join(runs_dir, SEARCH_FILE)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        try:
            mix = from_dict(Mixture, json.load(f))
            return summary(mix, search_config(mix), runs_dir)
        except (ConfigError, KeyError, StopIteration):  # a runs directory of an older version
            return None


def target_columns(rows: list[dict], names: list[str]) -> list[str]:
    """loss.T of every target (a loss column that is not a source's) and acc.T of every task."""
    cols = dict.fromkeys(k for r in rows for k in r)
    return [c for c in cols if c.startswith(LOSS) and c[len(LOSS) :] not in names] + [
        c for c in cols if c.startswith(ACC)
    ]


def verdict_section(s: dict | None) -> str:
    if not s:
        return ""
    cls = lambda line: " class='warn'" if line.startswith("warning") else ""  # noqa: E731
    items = "".join(f"<li{cls(line)}>{e(line)}</li>" for line in verdict(s))
    return f"<h2 id='verdict'>Verdict</h2><ul>{items}</ul>"


def scatter_section(rows: list[dict], proposal: dict) -> str:
    if not proposal:
        return "<h2 id='fit'>Regression</h2><p>No fit yet: the search has not finished its sampled runs.</p>"
    actual = {r["run"]: r["metric"] for r in rows}
    figs, lines = [], []
    for kind, m in proposal["models"].items():
        runs = list(m["heldout_pred"])
        x = np.array([m["heldout_pred"][r] for r in runs], dtype=float)
        y = np.array([actual[r] for r in runs], dtype=float)
        lo, hi = float(min(x.min(), y.min())), float(max(x.max(), y.max()))
        data = [
            {
                "type": "scatter",
                "mode": "markers",
                "name": "held-out runs",
                "x": [float(v) for v in x],
                "y": [float(v) for v in y],
                "text": [str(r) for r in runs],
                "marker": {"color": "#4c72b0", "size": 7},
                "hovertemplate": "run %{text}<br>predicted %{x:.4f}<br>actual %{y:.4f}<extra></extra>",
            },
            {
                "type": "scatter",
                "mode": "lines",
                "name": "predicted = actual",
                "x": [lo, hi],
                "y": [lo, hi],
                "line": {"color": "#999999", "width": 1, "dash": "dash"},
                "hoverinfo": "skip",
            },
        ]
        layout = plots.base_layout(
            380,
            title={"text": f"{e(kind)}: Spearman {m['heldout_spearman']:.3f}", "x": 0, "xref": "paper"},
            margin={"t": 40},
            xaxis={"title": {"text": "predicted (held out)"}},
            yaxis={"title": {"text": "actual metric"}},
        )
        figs.append(plots.embed(data, layout, f"fit-{kind}", f"{kind} predicted vs actual"))
        lines.append(
            f"<li>{e(kind)}: Spearman rho {m['heldout_spearman']:.3f} over {len(runs)} held-out runs, "
            f"{m.get('heldout_spearman_best', float('nan')):.3f} among the best quarter</li>"
        )
    return (
        f"<h2 id='fit'>Regression (held-out predictions, {e(proposal['chosen_model'])} proposes)</h2>"
        f"<ul>{''.join(lines)}</ul><div class='plots'>{''.join(figs)}</div>"
    )


def weights_section(rows: list[dict], names: list[str]) -> str:
    search = [r for r in rows if r.get("kind") == "search"] or rows
    y = [float(r["metric"]) for r in search]
    figs = []
    for n in names:
        data = [
            {
                "type": "scatter",
                "mode": "markers",
                "name": n,
                "x": [float(r.get(WEIGHT + n, 0.0)) for r in search],
                "y": y,
                "text": [str(r["run"]) for r in search],
                "marker": {"color": "#55a868", "size": 6},
                "hovertemplate": "run %{text}<br>weight %{x:.3f}<br>metric %{y:.4f}<extra></extra>",
            }
        ]
        layout = plots.base_layout(
            300,
            margin={"t": 15},
            xaxis={"title": {"text": f"weight of {e(n)}"}},
            yaxis={"title": {"text": "metric"}},
        )
        figs.append(plots.embed(data, layout, f"weight-{n}", f"metric against the weight of {n}"))
    return f"<h2 id='weights'>Metric against each source's weight</h2><div class='plots'>{''.join(figs)}</div>"


def comparison_section(s: dict | None, names: list[str]) -> str:
    groups = (s or {}).get("compared", {})
    if not groups:
        return ""
    # an unclaimed proposal (its fit cannot rank the best runs) is trained as a check, never shown as the answer
    names_of = {**LABELS, **({} if s.get("claimed", True) else {"proposed": "fitted optimum (not claimed)"})}
    labels = [f"{names_of[k]} (n={g['n']})" for k, g in groups.items()]
    means = [float(g["mean"]) for g in groups.values()]
    data = [
        {
            "type": "scatter",
            "mode": "markers",
            "name": "mean over the seeds",
            "x": labels,
            "y": means,
            "customdata": [[float(g["min"]), float(g["max"])] for g in groups.values()],
            "error_y": {
                "type": "data",
                "symmetric": False,
                "array": [float(g["max"]) - m for m, g in zip(means, groups.values())],
                "arrayminus": [m - float(g["min"]) for m, g in zip(means, groups.values())],
                "color": "#dd8452",
                "width": 8,
            },
            "marker": {"color": "#dd8452", "size": 9},
            "hovertemplate": "%{x}<br>mean %{y:.4f}<br>min %{customdata[0]:.4f}, max %{customdata[1]:.4f}"
            "<extra></extra>",
        }
    ]
    layout = plots.base_layout(
        320,
        margin={"t": 15, "r": 60},
        xaxis={"type": "category"},
        yaxis={"title": {"text": "metric (min-max over seeds)"}},
    )
    mixes = {
        "proposed": s["proposal"],
        "uniform": {n: 1 / len(names) for n in names},
        "best": s["best_seen"].get("weights", {}),
    }
    table = _table(
        ["source"] + [names_of[k] for k in groups],
        [[e(n)] + [f"{mixes[k].get(n, 0):.3f}" for k in groups] for n in names],
    )
    cols = list(dict.fromkeys(c for g in groups.values() for c in g["columns"]))
    stats = _table(
        ["mixture", "seeds", "metric (mean)", "min", "max", "fit predicted"] + cols,
        [
            [
                e(names_of[k]),
                g["n"],
                f"{g['mean']:.4f}",
                f"{g['min']:.4f}",
                f"{g['max']:.4f}",
                f"{s['predicted'][k]:.4f}",
            ]
            + [f"{g['columns'].get(c, float('nan')):.4f}" for c in cols]
            for k, g in groups.items()
        ],
    )
    return (
        "<h2 id='compare'>Proposal against uniform weights and the best sampled mixture</h2>"
        + plots.embed(data, layout, "compare", "proposed vs uniform vs best sampled", "bars: the spread of the seeds")
        + table
        + stats
    )


def runs_section(rows: list[dict], names: list[str]) -> str:
    cols = target_columns(rows, names)
    head = ["run", "kind", "seed"] + names + ["metric"] + cols + ["wall s"]
    num = lambda v: f"{v:.4f}" if isinstance(v, float) else ""  # noqa: E731
    body = [
        [e(str(r["run"])), e(str(r.get("kind", ""))), r.get("seed", "")]
        + [f"{r.get(WEIGHT + n, 0):.3f}" for n in names]
        + [num(r.get("metric"))]
        + [num(r.get(c)) for c in cols]
        + [r.get("wall_s", "")]
        for r in rows
    ]
    return f"<h2 id='runs'>Runs ({len(rows)})</h2>" + _table(head, body)


def _table(head: list[str], rows: list[list]) -> str:
    th = "".join(f"<th>{e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def write_report(runs_dir: str, path: str | None = None) -> str:
    rows, proposal, names = _load(runs_dir)
    rows = [r for r in rows if isinstance(r.get("metric"), (int, float))]
    s = search_summary(runs_dir)
    body = (
        verdict_section(s)
        + scatter_section(rows, proposal)
        + weights_section(rows, names)
        + comparison_section(s, names)
        + runs_section(rows, names)
    )
    title = e(os.path.abspath(runs_dir))
    path = path or os.path.join(runs_dir, "report.html")
    with open(path, "w", encoding="utf-8") as f:
        f.write(
            f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>mixture search: {title}</title>"
            f"<style>{STYLE} .plots{{display:flex;flex-wrap:wrap;gap:8px}} .plots figure{{flex:1 1 360px;"
            f"max-width:520px}} figure[data-plot=compare]{{max-width:720px}} .warn{{color:#b00020;font-weight:bold}}"
            f"</style>{plots.SCRIPT_TAG}</head><body><h1>Mixture search <small>{title}</small></h1>{body}"
            f"<script>{plots.DRAW_SCRIPT}window.addEventListener('load', function () {{ drawPlots(document); }});"
            "</script></body></html>"
        )
    plots.write_script(os.path.dirname(os.path.abspath(path)))  # plotly.js beside the page
    return path
