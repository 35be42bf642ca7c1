"""The report's figures: interactive plotly charts (hover for the values, drag to zoom, double-click to reset),
each a few kilobytes of JSON in the page that the browser draws. plotly.js itself is one file beside the page
(SCRIPT_TAG, written by `write_script`), loaded from there: nothing is fetched from a network, and the page
stays small.

A figure is a `<figure class="plot">`: its chart, its spec (`<script type="application/json" class="plot-data">`),
its description (`aria-label`) and caption (`<figcaption>`). DRAW_SCRIPT draws the figures a reader can see and
each one inside a folded section when the section is unfolded (a chart drawn hidden would have no size)."""

from __future__ import annotations

import html
import json
import os

import numpy as np

from corpus.core.layout import REPORT_SCRIPT
from reports.page import SANS

COLORS = {"en": "#4c72b0", "zh": "#dd8452", "unknown": "#8c8c8c"}
OTHER_COLORS = ("#55a868", "#8172b3", "#937860", "#da8bc3", "#ccb974", "#64b5cd")
THRESHOLD_COLOR = "#c44e52"
THRESHOLD_DASHES = ("dash", "dot", "dashdot", "longdash")
FONT = 12
HISTOGRAM_BINS = 40
HISTOGRAM_HEIGHT = 330


def color(lang: str, langs: list[str]) -> str:
    if lang in COLORS:
        return COLORS[lang]
    others = [x for x in langs if x not in COLORS]
    return OTHER_COLORS[others.index(lang) % len(OTHER_COLORS)] if lang in others else "#999999"


def base_layout(height: int, **more) -> dict:
    """What every chart shares: the page's font stack (CJK faces before the generic family, so Chinese labels
    render), a white background, a light grid, the buttons in the right margin, and no template (plotly's default
    one is kilobytes a chart)."""
    axis = {"gridcolor": "#e5e5e5", "linecolor": "#444", "zeroline": False, "automargin": True, "showline": True}
    layout = {
        "height": height,
        "font": {"family": SANS, "size": FONT, "color": "#222"},
        "paper_bgcolor": "#fff",
        "plot_bgcolor": "#fff",
        # the chart's buttons (shown on hover) stand upright in the right margin: over no title, legend or bar
        "modebar": {"orientation": "v"},
        "margin": {"l": 10, "r": 40, "t": 30, "b": 10},
        "hoverlabel": {"font": {"family": SANS}},
        "xaxis": dict(axis),
        "yaxis": dict(axis),
        "showlegend": False,
    }
    for key, value in more.items():
        layout[key] = {**layout[key], **value} if isinstance(value, dict) and key in layout else value
    return layout


def _number(v: float) -> float | int:
    """Six significant digits: the charts show four, the JSON stays short."""
    v = float(v)
    return int(v) if v.is_integer() else float(f"{v:.6g}")


def embed(data: list[dict], layout: dict, name: str, alt: str, caption: str = "") -> str:
    """A <figure class="plot"> holding one chart's spec; DRAW_SCRIPT draws it, the browser test checks it is."""
    from plotly.graph_objects import Figure

    # validated by plotly's own schema (a misspelt property raises here, not silently in the browser)
    spec = Figure(data=data, layout=layout).to_plotly_json()
    spec["layout"].pop("template", None)
    # "<" only ever inside JSON strings: escaped, no label can close the <script>
    text = json.dumps(spec, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    caption = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return (
        f'<figure class="plot" data-plot="{html.escape(name)}" aria-label="{html.escape(alt)}">'
        f'<div class="chart" style="height:{int(layout["height"])}px"></div>'
        f'<script type="application/json" class="plot-data">{text}</script>{caption}</figure>'
    )


def funnel_figure(stages: list[str], langs: list[str], surviving: dict[tuple[str, str], int]) -> tuple[list, dict]:
    """Documents surviving each stage, stacked by language, the total at each bar's end; stage names on the
    y axis, one per row. The legend sits above the axes, one entry per language, so it covers no bar and no
    count. Returns (traces, layout)."""
    totals = [sum(surviving.get((s, lang), 0) for lang in langs) for s in stages]
    data = [
        {
            "type": "bar",
            "orientation": "h",
            "name": lang,
            "y": stages,
            "x": [surviving.get((s, lang), 0) for s in stages],
            "marker": {"color": color(lang, langs)},
            "hovertemplate": "%{y}<br>%{fullData.name}: %{x:,} documents<extra></extra>",
        }
        for lang in langs
    ]
    data.append(
        {
            "type": "scatter",
            "mode": "text",
            "name": "all",
            "y": stages,
            "x": totals,
            "text": [f" {t:,}" for t in totals],
            "textposition": "middle right",
            "textfont": {"size": FONT - 1},
            "cliponaxis": False,
            "showlegend": False,
            "hovertemplate": "%{y}<br>all languages: %{x:,} documents<extra></extra>",
        }
    )
    layout = base_layout(
        26 * len(stages) + 120,
        barmode="stack",
        bargap=0.3,
        showlegend=True,
        legend={
            "orientation": "h",
            "x": 0,
            "xanchor": "left",
            "y": 1,
            "yanchor": "bottom",
            "traceorder": "normal",
        },
        margin={"t": 10},
        xaxis={
            "title": {"text": "documents surviving the stage"},
            "range": [0, max(max(totals, default=0), 1) * 1.15],
            "tickformat": ",d",
        },
        yaxis={
            "type": "category",
            "autorange": "reversed",
            "tickmode": "array",
            "tickvals": stages,
            "showgrid": False,
        },
    )
    layout["xaxis"]["rangemode"] = "tozero"
    return data, layout


def funnel_bars(stages: list[str], langs: list[str], surviving: dict[tuple[str, str], int]) -> str:
    data, layout = funnel_figure(stages, langs, surviving)
    return embed(data, layout, "funnel", "documents surviving each stage, by language")


def histogram_figure(
    name: str, lang: str, values: np.ndarray, lines: list[tuple[str, float, float]], langs: list[str]
) -> tuple[list, dict]:
    """`lines`: (label naming the threshold and its value, threshold, share of `values` outside it). The x
    range follows the data and the thresholds near it; values and thresholds beyond are noted in the title,
    not drawn. Bars: 40 bins (hover: the bin's range and its count); a dashed red line and a legend entry
    (below the axis: inside it, the legend would hide bars) per threshold drawn. Returns (traces, layout)."""
    values = np.asarray(values, dtype=float)
    # a few extreme values would squash the rest into one bin; with few values, show them all
    lo, hi = (float(v) for v in np.percentile(values, [0.5, 99.5] if len(values) >= 200 else [0, 100]))
    span = (hi - lo) or max(abs(hi), 1.0)
    shown = [t for t in lines if lo - span <= t[1] <= hi + span]
    off = [t for t in lines if t not in shown]
    lo, hi = min([lo] + [t[1] for t in shown]), max([hi] + [t[1] for t in shown])
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    outside = int(((values < lo) | (values > hi)).sum())
    counts, edges = np.histogram(np.clip(values, lo, hi), bins=HISTOGRAM_BINS, range=(lo, hi))
    top = max(int(counts.max()), 1) * 1.08
    data = [
        {
            "type": "bar",
            "name": lang,
            "x": [_number((a + b) / 2) for a, b in zip(edges[:-1], edges[1:])],
            "y": [int(c) for c in counts],
            "width": _number(edges[1] - edges[0]),
            "customdata": [[_number(a), _number(b)] for a, b in zip(edges[:-1], edges[1:])],
            "marker": {"color": color(lang, langs), "opacity": 0.85},
            "showlegend": False,
            "hovertemplate": "%{customdata[0]:.4g} to %{customdata[1]:.4g}<br>%{y:,} documents<extra></extra>",
        }
    ]
    for (label, value, share), dash in zip(shown, THRESHOLD_DASHES * len(shown)):
        # points all along the line: hovering anywhere on it names the threshold
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": f"{label}: {share:.1%} fail",
                "x": [_number(value)] * 11,
                "y": [_number(top * i / 10) for i in range(11)],
                "line": {"color": THRESHOLD_COLOR, "dash": dash, "width": 2},
                "hovertemplate": "%{fullData.name}<br>threshold %{x:.4g}<extra></extra>",
            }
        )
    notes = [f"{label} (off-scale): {share:.1%} fail" for label, value, share in off]
    notes += [f"{outside} values beyond the axis, counted in the edge bins"] if outside else []
    title = "<br>".join([f"{name}  [{lang}]  n={len(values)}"] + notes)
    layout = base_layout(
        HISTOGRAM_HEIGHT + 16 * len(notes) + 20 * len(shown),
        title={
            "text": title,
            "x": 0,
            "xref": "paper",
            "xanchor": "left",
            "y": 1,
            "yref": "paper",
            "yanchor": "bottom",
            "pad": {"b": 12},
            "font": {"size": FONT + 1},
        },
        showlegend=bool(shown),
        # below the x axis's labels, in the margin it makes for itself: never over a bar
        legend={"orientation": "h", "x": 0.5, "xanchor": "center", "y": 0, "yref": "container", "yanchor": "bottom"},
        margin={"t": 36 + 17 * len(notes), "b": 10},
        bargap=0,
        xaxis={"range": [_number(lo), _number(hi)]},
        # whole documents: a tick at every one while they are few, else plotly's (whole) steps
        yaxis={"title": {"text": "documents"}, "range": [0, top], "tickformat": ",d", "dtick": 1 if top < 8 else None},
    )
    return data, layout


def histogram(
    name: str, lang: str, values: np.ndarray, lines: list[tuple[str, float, float]], langs: list[str], caption: str = ""
) -> str:
    data, layout = histogram_figure(name, lang, values, lines, langs)
    return embed(data, layout, f"{name}:{lang}", f"histogram of {name} for {lang}", caption)


# the page loads plotly.js from its own folder, where write_script puts it
SCRIPT_TAG = f'<script src="{REPORT_SCRIPT}" charset="utf-8"></script>'


def write_script(folder: str) -> str:
    """plotly.js into `folder` (unless the same file is there already), for the pages there to load."""
    from plotly.offline import get_plotlyjs

    path = os.path.join(folder, REPORT_SCRIPT)
    code = get_plotlyjs().encode("utf-8")
    if os.path.isfile(path) and os.path.getsize(path) == len(code):
        with open(path, "rb") as f:
            if f.read() == code:
                return path
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "wb") as f:
        f.write(code)
    os.replace(tmp, path)  # a page open meanwhile never loads half a library
    return path


# drawPlots(root): draws every figure under `root` that no folded section hides, one at a time (the page stays
# responsive), and resolves once every figure queued so far, by this call or an earlier one, is drawn;
# unfolding a section draws its figures (or fits those drawn before to their width). Without plotly.js beside
# the page, each figure says so.
DRAW_SCRIPT = """
var PLOT_CONFIG = {
  responsive: true, displaylogo: false, modeBarButtonsToRemove: ['select2d', 'lasso2d', 'zoomIn2d', 'zoomOut2d']
};
var plotsDrawn = Promise.resolve();
function drawPlots(root) {
  root.querySelectorAll('figure.plot').forEach(function (f) {
    if (f.closest('details:not([open])') || f.dataset.drawing) return;
    var chart = f.querySelector('.chart');
    if (f.dataset.drawn) { Plotly.Plots.resize(chart); return; }
    if (typeof Plotly === 'undefined') {
      chart.textContent = 'This chart needs """
DRAW_SCRIPT += REPORT_SCRIPT
DRAW_SCRIPT += """ in the folder of this page.';
      return;
    }
    f.dataset.drawing = '1';
    plotsDrawn = plotsDrawn.then(function () {
      return new Promise(function (next) { setTimeout(next, 0); });
    }).then(function () {
      var spec = JSON.parse(f.querySelector('script.plot-data').textContent);
      return Plotly.newPlot(chart, spec.data, spec.layout, PLOT_CONFIG);
    }).then(function () { f.dataset.drawn = '1'; delete f.dataset.drawing; }, function (err) {
      console.error('chart ' + f.dataset.plot + ': ' + err);  // the next charts are still drawn
    });
  });
  return plotsDrawn;
}
// a section unfolded (also each one the page opens as it loads)
document.addEventListener('toggle', function (ev) {
  if (ev.target.open && window.Plotly) drawPlots(ev.target);
}, true);
"""
