"""The report's figures: matplotlib, embedded as SVG images (sharp at any zoom, no network)."""

from __future__ import annotations

import base64
import html
import io

import numpy as np

COLORS = {"en": "#4c72b0", "zh": "#dd8452", "unknown": "#8c8c8c"}
OTHER_COLORS = ("#55a868", "#8172b3", "#937860", "#da8bc3", "#ccb974", "#64b5cd")
FONT = 11
SANS_FONTS = [
    "DejaVu Sans",
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "PingFang SC",
    "Hiragino Sans GB",
    "Microsoft YaHei",
    "WenQuanYi Micro Hei",
    "Arial",
]


def color(lang: str, langs: list[str]) -> str:
    if lang in COLORS:
        return COLORS[lang]
    others = [x for x in langs if x not in COLORS]
    return OTHER_COLORS[others.index(lang) % len(OTHER_COLORS)] if lang in others else "#999999"


def _figure(width: float, height: float):
    # svg.fonttype none: text stays text (half the bytes of glyph outlines), drawn by the browser with the
    # font stack below (CJK faces before the generic family, as the page's own style)
    import warnings

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {
            "font.size": FONT,
            "svg.fonttype": "none",
            "axes.spines.top": False,
            "axes.spines.right": False,
            "font.family": "sans-serif",
            "font.sans-serif": SANS_FONTS,
        }
    )
    # the faces matplotlib itself has (for measuring text) may lack Han glyphs; the browser draws the text
    warnings.filterwarnings("ignore", message="Glyph .* missing from font", category=UserWarning)
    return plt.figure(figsize=(width, height))


def embed(fig, name: str, alt: str, caption: str = "") -> str:
    """A <figure class="plot"> the page's script and the browser test check for being drawn."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode()
    caption = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return (
        f'<figure class="plot" data-plot="{html.escape(name)}"><img alt="{html.escape(alt)}" '
        f'src="data:image/svg+xml;base64,{data}">{caption}</figure>'
    )


def funnel_figure(stages: list[str], langs: list[str], surviving: dict[tuple[str, str], int]):
    """Documents surviving each stage, stacked by language; stage names on the y axis never overlap. The
    legend sits above the axes, one entry per language, so it covers no bar and no count."""
    fig = _figure(10, 0.34 * len(stages) + 1.5)
    ax = fig.add_subplot()
    y = np.arange(len(stages))
    left = np.zeros(len(stages))
    for lang in langs:
        widths = np.array([surviving.get((s, lang), 0) for s in stages], dtype=float)
        ax.barh(y, widths, left=left, color=color(lang, langs), label=lang, height=0.7)
        left += widths
    for yi, total in zip(y, left):
        ax.text(total, yi, f" {int(total):,}", va="center", fontsize=FONT - 1)
    ax.set_yticks(y, stages)
    ax.invert_yaxis()
    ax.set_xlabel("documents surviving the stage")
    ax.set_xlim(0, max(left.max(), 1) * 1.15)
    ax.legend(
        loc="lower left",
        bbox_to_anchor=(0, 1.01),
        frameon=False,
        ncols=min(len(langs), 8),
        borderaxespad=0,
        handlelength=1.2,
        columnspacing=1.2,
    )
    ax.grid(axis="x", alpha=0.3)
    return fig


def funnel_bars(stages: list[str], langs: list[str], surviving: dict[tuple[str, str], int]) -> str:
    return embed(funnel_figure(stages, langs, surviving), "funnel", "documents surviving each stage, by language")


def histogram(
    name: str, lang: str, values: np.ndarray, lines: list[tuple[str, float, float]], langs: list[str], caption: str = ""
) -> str:
    """`lines`: (label naming the threshold and its value, threshold, share of `values` outside it). The x
    range follows the data and the thresholds near it; values and thresholds beyond are noted, not drawn."""
    # a few extreme values would squash the rest into one bin; with few values, show them all
    lo, hi = (float(v) for v in np.percentile(values, [0.5, 99.5] if len(values) >= 200 else [0, 100]))
    span = (hi - lo) or max(abs(hi), 1.0)
    shown = [t for t in lines if lo - span <= t[1] <= hi + span]
    off = [t for t in lines if t not in shown]
    lo, hi = min([lo] + [t[1] for t in shown]), max([hi] + [t[1] for t in shown])
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    outside = int(((values < lo) | (values > hi)).sum())
    fig = _figure(5.6, 2.9)
    ax = fig.add_subplot()
    ax.hist(np.clip(values, lo, hi), bins=40, range=(lo, hi), color=color(lang, langs), alpha=0.85)
    for (label, value, share), style in zip(shown, ("--", ":", "-.", "--")):
        ax.axvline(value, color="#c44e52", linestyle=style, linewidth=1.6, label=f"{label}: {share:.1%} fail")
    title = f"{name}  [{lang}]  n={len(values)}"
    notes = [f"{label} (off-scale): {share:.1%} fail" for label, value, share in off]
    notes += [f"{outside} values beyond the axis, counted in the edge bins"] if outside else []
    ax.set_title(title + "".join(f"\n{n}" for n in notes), fontsize=FONT)
    ax.set_ylabel("documents")
    ax.yaxis.get_major_locator().set_params(integer=True)
    if shown:
        # below the axis: inside it, the legend would hide bars
        ax.legend(fontsize=FONT - 1, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.14))
    return embed(fig, f"{name}:{lang}", f"histogram of {name} for {lang}", caption)
