"""`corpus mix report RUNS`: one self-contained HTML page (figures embedded as SVG, no network).

Sections: the regression's held-out predictions against the actual metric with the rank
correlation, per model; the metric against each source's weight; the proposed mixture against
uniform weights and the best run seen, with the seed-noise band; the runs table.
"""

from __future__ import annotations

import html
import json
import os

import numpy as np

from mixtures.runs import WEIGHT, read_runs
from reports import plots
from reports.report import STYLE

e = html.escape


def _load(runs_dir: str) -> tuple[list[dict], dict, list[str]]:
    rows = read_runs(runs_dir)
    if not rows:
        raise FileNotFoundError(f"{runs_dir} holds no finished runs (runs.jsonl)")
    path = os.path.join(runs_dir, "proposal.json")
    proposal = json.load(open(path)) if os.path.exists(path) else {}
    names = [k[len(WEIGHT):] for k in dict.fromkeys(k for r in rows for k in r if k.startswith(WEIGHT))]
    return rows, proposal, names


def scatter_section(rows: list[dict], proposal: dict) -> str:
    if not proposal:
        return "<h2 id='fit'>Regression</h2><p>No fit yet: the search has not finished its sampled runs.</p>"
    actual = {r["run"]: r["metric"] for r in rows}
    figs, lines = [], []
    for kind, m in proposal["models"].items():
        runs = list(m["heldout_pred"])
        x = np.array([m["heldout_pred"][r] for r in runs])
        y = np.array([actual[r] for r in runs])
        fig = plots._figure(4.2, 3.6)
        ax = fig.add_subplot()
        ax.scatter(x, y, s=18, color="#4c72b0")
        lo, hi = min(x.min(), y.min()), max(x.max(), y.max())
        ax.plot([lo, hi], [lo, hi], color="#999999", lw=1, ls="--")
        ax.set_xlabel("predicted (held out)")
        ax.set_ylabel("actual metric")
        ax.set_title(f"{kind}: Spearman {m['heldout_spearman']:.3f}")
        figs.append(plots.embed(fig, f"fit-{kind}", f"{kind} predicted vs actual"))
        lines.append(f"<li>{e(kind)}: Spearman rho {m['heldout_spearman']:.3f} over {len(runs)} held-out runs</li>")
    return (f"<h2 id='fit'>Regression (held-out predictions, {e(proposal['chosen_model'])} proposes)</h2>"
            f"<ul>{''.join(lines)}</ul><div class='plots'>{''.join(figs)}</div>")


def weights_section(rows: list[dict], names: list[str]) -> str:
    search = [r for r in rows if r.get("kind") == "search"] or rows
    y = np.array([r["metric"] for r in search])
    figs = []
    for n in names:
        x = np.array([r.get(WEIGHT + n, 0.0) for r in search])
        fig = plots._figure(3.2, 2.8)
        ax = fig.add_subplot()
        ax.scatter(x, y, s=14, color="#55a868")
        ax.set_xlabel(f"weight of {n}")
        ax.set_ylabel("metric")
        figs.append(plots.embed(fig, f"weight-{n}", f"metric against the weight of {n}"))
    return f"<h2 id='weights'>Metric against each source's weight</h2><div class='plots'>{''.join(figs)}</div>"


def comparison_section(rows: list[dict], proposal: dict, names: list[str]) -> str:
    groups = {k: [r for r in rows if r.get("kind") == k] for k in ("proposed", "uniform")}
    if not proposal or not any(groups.values()):
        return ""
    best = next(r for r in rows if r["run"] == proposal["best_seen"]["run"])
    labels, means, lows, highs = [], [], [], []
    for label, rs in (("proposed", groups["proposed"]), ("uniform", groups["uniform"]), ("best seen", [best])):
        if rs:
            v = np.array([r["metric"] for r in rs])
            labels.append(f"{label} (n={len(v)})")
            means.append(v.mean())
            lows.append(v.mean() - v.min())
            highs.append(v.max() - v.mean())
    fig = plots._figure(5, 3)
    ax = fig.add_subplot()
    ax.errorbar(range(len(labels)), means, yerr=[lows, highs], fmt="o", capsize=6, color="#dd8452")
    ax.set_xticks(range(len(labels)), labels)
    ax.set_ylabel("metric (min-max over seeds)")
    mix_rows = [[e(n), f"{proposal['weights'].get(n, 0):.3f}", f"{1 / len(names):.3f}", f"{best.get(WEIGHT + n, 0):.3f}"]
                for n in names]
    table = _table(["source", "proposed", "uniform", "best seen"], mix_rows)
    stats = [[e(k), len(rs), f"{np.mean([r['metric'] for r in rs]):.4f}",
              f"{np.ptp([r['metric'] for r in rs]):.4f}"] for k, rs in groups.items() if rs]
    return ("<h2 id='compare'>Proposed mixture against uniform weights and the best run seen</h2>"
            + plots.embed(fig, "compare", "proposed vs uniform vs best seen", "bars: the spread of the seeds")
            + table + _table(["mixture", "seeds", "mean metric", "seed band (max-min)"], stats))


def runs_section(rows: list[dict], names: list[str]) -> str:
    head = ["run", "kind", "seed"] + names + ["metric", "wall s"]
    body = [[e(str(r["run"])), e(str(r.get("kind", ""))), r.get("seed", "")]
            + [f"{r.get(WEIGHT + n, 0):.3f}" for n in names]
            + [f"{r['metric']:.4f}" if isinstance(r.get("metric"), float) else "", r.get("wall_s", "")] for r in rows]
    return f"<h2 id='runs'>Runs ({len(rows)})</h2>" + _table(head, body)


def _table(head: list[str], rows: list[list]) -> str:
    th = "".join(f"<th>{e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def write_report(runs_dir: str, path: str | None = None) -> str:
    rows, proposal, names = _load(runs_dir)
    rows = [r for r in rows if isinstance(r.get("metric"), (int, float))]
    body = (scatter_section(rows, proposal) + weights_section(rows, names)
            + comparison_section(rows, proposal, names) + runs_section(rows, names))
    title = e(os.path.abspath(runs_dir))
    path = path or os.path.join(runs_dir, "report.html")
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>mixture search: {title}</title>"
                f"<style>{STYLE} .plots{{display:flex;flex-wrap:wrap;gap:8px}}</style></head><body>"
                f"<h1>Mixture search <small>{title}</small></h1>{body}</body></html>")
    return path
