"""The report page's parts: HTML helpers, the style (fonts with CJK fallbacks) and the page's script."""

from __future__ import annotations

import html

e = html.escape

# Latin faces first, then CJK faces by platform (Noto/Source Han on Linux: Debian's fonts-noto-cjk, PingFang and
# Hiragino on macOS, YaHei on Windows, WenQuanYi on older Linux), then the generic family: Chinese never
# falls through to a face without Han glyphs while one of these is installed
CJK_FONTS = (
    '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", "Hiragino Sans GB", '
    '"Microsoft YaHei", "WenQuanYi Micro Hei", "Droid Sans Fallback"'
)
SANS = f'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "DejaVu Sans", {CJK_FONTS}, sans-serif'
MONO = (
    f'ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", "Noto Sans Mono CJK SC", {CJK_FONTS}, '
    "monospace"
)


def table(head: list[str], rows: list[list], numeric: set[int] = frozenset(), cls: str = "") -> str:
    th = "".join(f"<th>{e(h)}</th>" for h in head)
    body = "".join(
        "<tr>"
        + "".join(f"<td class='num'>{c}</td>" if i in numeric else f"<td>{c}</td>" for i, c in enumerate(r))
        + "</tr>"
        for r in rows
    )
    return f"<table class='{cls}'><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "–"


def plural(n: int, word: str, words: str | None = None) -> str:
    """'1 document', '2 documents'."""
    return f"{n:,} {word if n == 1 else (words or word + 's')}"


def section(anchor: str, title: str, body: str, opened: bool = True) -> str:
    """A section a reader can fold: its heading is the <summary> of a <details>."""
    return (
        f"<section id='{anchor}'><details class='section'{' open' if opened else ''}><summary><h2>{title}</h2>"
        f"</summary>{body}</details></section>"
    )


STYLE = f"""
body{{font:15px/1.45 {SANS};margin:0 auto;padding:1em 2em;max-width:1500px;color:#222}}
code,pre,kbd{{font-family:{MONO}}}
nav{{position:sticky;top:0;background:#fff;padding:.4em 0;border-bottom:1px solid #ddd;z-index:1}}
nav a{{margin-right:1.2em}}
nav button{{font:inherit;font-size:85%;margin-left:.4em}}
h2{{margin-top:1.6em;border-bottom:2px solid #eee}}
details.section>summary{{list-style:none}}
details.section>summary::-webkit-details-marker{{display:none}}
details.section>summary h2::before{{content:"▾ ";color:#999}}
details.section:not([open])>summary h2::before{{content:"▸ "}}
small,.doc,.meta{{color:#666;font-weight:normal}}
.meta .rule{{color:#c44e52;margin-left:.8em}}
table{{border-collapse:collapse;margin:.5em 0}}
td,th{{border:1px solid #ddd;padding:3px 8px;vertical-align:top}}
th{{background:#f4f4f4}}
tbody tr:nth-child(even){{background:#fafafa}}
td.num{{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}}
.gone{{color:#c44e52;font-size:90%}}
.row{{display:flex;gap:2em;flex-wrap:wrap;align-items:flex-start}}
.row figure{{flex:1 1 500px}}
figure{{margin:0;min-width:0}}
figure .chart{{width:100%}}
figcaption{{color:#666;font-size:90%;text-align:center}}
.grid{{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:1em}}
.cards{{display:flex;gap:1em}}
.card{{border:1px solid #ddd;border-radius:6px;padding:.5em 1.2em;min-width:8em}}
.card .n{{font-size:200%;font-weight:bold}}
.card.kept .n{{color:#2e7d32}}.card.dropped .n{{color:#c44e52}}.card.failed .n{{color:#b26a00}}
.banner{{border:2px solid #b26a00;background:#fff4e0;border-radius:6px;padding:.6em 1em;margin:1em 0}}
.banner b{{color:#8a4b00}}
.demo{{color:#8a4b00;font-weight:bold}}
details{{margin:.3em 0}}
summary{{cursor:pointer}}
pre{{white-space:pre-wrap;background:#f6f6f6;padding:.5em;margin:.2em 0 .8em;max-height:16em;overflow:auto}}
table.failed td:nth-child(4){{max-width:40em}}
table.thresholds{{width:100%}}
table.thresholds td:last-child{{min-width:14em;color:#555;font-size:90%}}
pre.config{{max-height:none}}
"""

# Unfold all / fold all; `#unfold` in the address opens every section before the figures are drawn (a headless
# browser checks them). Once drawPlots (reports.plots.DRAW_SCRIPT) has drawn the figures, each is marked with
# where its chart and its axes are, and the page with how many figures it has, how many were drawn, its height.
SCRIPT = """
function setFolds(open) { document.querySelectorAll('details').forEach(function (d) { d.open = open; }); }
window.addEventListener('load', function () {
  if (location.hash === '#unfold') setFolds(true);
  drawPlots(document).then(function () {
    var figures = document.querySelectorAll('figure.plot');
    var drawn = 0;
    figures.forEach(function (f) {
      var at = function (el) {
        var r = el.getBoundingClientRect();
        return [r.left + window.scrollX, r.top + window.scrollY, r.width, r.height].map(Math.round).join(',');
      };
      var chart = f.querySelector('.chart'), area = f.querySelector('.chart rect.nsewdrag');
      var r = chart.getBoundingClientRect();
      f.dataset.box = at(chart);
      if (area) f.dataset.area = at(area);  // the axes' inside: the bars and lines, without the labels
      if (f.dataset.drawn && chart.querySelector('svg.main-svg') && r.width > 0 && r.height > 0) drawn++;
    });
    document.body.dataset.plots = figures.length;
    document.body.dataset.drawn = drawn;
    document.body.dataset.height = document.documentElement.scrollHeight;
  });
});
"""

FOLD_BUTTONS = (
    "<button type='button' onclick='setFolds(true)'>unfold all</button>"
    "<button type='button' onclick='setFolds(false)'>fold all</button>"
)
