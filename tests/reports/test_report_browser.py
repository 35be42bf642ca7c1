"""The report as a browser shows it: headless Chromium renders the page (plotly.js from the file beside it),
then the test checks the console, that plotly drew every chart (its svg.main-svg) with ink inside its axes,
where the legends are, and the funnel numbers in the page's text."""

import json
import re
import shutil
import subprocess

import numpy as np
import pytest
from lxml import html as lhtml
from PIL import Image

from corpus.build import build
from corpus.config import load_config
from corpus.demo import write_demo_warc
from reports import plots
from reports.page import SCRIPT, STYLE
from reports.report import languages, write_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
WIDTH = 1400
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not installed (Debian: apt-get install "
    "chromium; `make test` installs it where apt is available)",
)


def _chromium(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=10000",  # the page's scripts (plotly drawing every chart) run to the end
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


def render(page, tmp_path) -> dict:
    """DOM after the page's scripts ran, console messages, and the fraction of ink inside each plot's axes (its
    bars and lines, not its labels; every folded section opened first: `#unfold`)."""
    url = page.resolve().as_uri() + "#unfold"
    dumped = _chromium(f"--window-size={WIDTH},1000", "--dump-dom", url)
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    dom = lhtml.fromstring(dumped.stdout)
    body = dom.find("body")
    height = int(body.get("data-height", "1000"))
    shot = tmp_path / "shot.png"
    r = _chromium(f"--window-size={WIDTH},{height}", f"--screenshot={shot}", url)
    assert r.returncode == 0 and shot.exists(), r.stderr[-2000:]
    image = Image.open(shot).convert("L")
    ink = {}
    for fig in dom.xpath("//figure[contains(@class, 'plot')]"):
        x, y, w, h = (int(v) for v in (fig.get("data-area") or fig.get("data-box") or "0,0,0,0").split(","))
        crop = image.crop((x, y, x + w, y + h)) if w and h else None
        dark = sum(crop.point(lambda p: 255 if p < 200 else 0).histogram()[255:]) if crop else 0
        ink[fig.get("data-plot")] = dark / max(1, w * h)
    console = [line for line in dumped.stderr.splitlines() + r.stderr.splitlines() if ":CONSOLE" in line]
    return {"dom": dom, "body": body, "console": console, "ink": ink}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("report")
    warc = write_demo_warc(str(tmp / "demo.warc.gz"))
    # a missing input path is a failed record: the report must list it
    cfg = load_config(
        None,
        inputs=(warc, str(tmp / "missing.warc.gz")),
        output=str(tmp / "out"),
        stages=["url_filter", "lang_id", "gopher_quality", "dedup_exact"],
    )
    result = build(cfg)
    assert result.funnel["totals"]["failed"] == 1
    return tmp / "out", result.funnel


def _cell_text(td) -> str:
    return " ".join(td.text_content().split())


@needs_chromium
def test_report_renders_every_plot_without_console_errors(built, tmp_path):
    out, funnel = built
    page = tmp_path / "report.html"
    write_report(str(out), str(page))
    source = page.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", source)  # nothing fetched from a network

    seen = render(page, tmp_path)
    assert seen["console"] == []
    assert '<script src="plotly.min.js"' in source and (tmp_path / "plotly.min.js").exists()
    figures = source.count('<figure class="plot"')
    assert figures > 3 and int(seen["body"].get("data-plots")) == int(seen["body"].get("data-drawn")) == figures
    # plotly drew each chart: its SVG inside the chart's div, the bars inside the axes
    for fig in seen["dom"].xpath("//figure[contains(@class, 'plot')]"):
        assert fig.xpath(".//div[contains(@class, 'chart')]//svg[contains(@class, 'main-svg')]"), fig.get("data-plot")
        assert fig.get("data-area"), fig.get("data-plot")
    blank = {name: share for name, share in seen["ink"].items() if share < 0.01}
    assert len(seen["ink"]) == figures and not blank, blank
    # the funnel chart's bars are the pivot's numbers, one legend entry per language
    funnel_chart = seen["dom"].xpath("//figure[@data-plot='funnel']")[0]
    assert [_cell_text(t) for t in funnel_chart.xpath(".//*[contains(@class, 'legendtext')]")] == languages(funnel)

    # the funnel pivot holds the build's numbers: documents left per stage and language
    table = seen["dom"].xpath("//table[contains(@class, 'pivot')]")[0]
    langs = [_cell_text(th) for th in table.xpath(".//thead//th")][1:-1]
    cells = {}
    for tr in table.xpath(".//tbody/tr"):
        tds = [_cell_text(td) for td in tr.xpath("./td")]
        for lang, text in zip(langs, tds[1:]):
            cells[(tds[0], lang)] = text
    for r in funnel["stages"]:
        gone = r["docs_in"] - r["docs_out"]
        assert cells[(r["stage"], r["lang"])] == f"{r['docs_out']}" + (f" −{gone}" if gone else "")
    text = " ".join(seen["dom"].text_content().split())
    t = funnel["totals"]
    for fate in ("kept", "dropped", "failed"):
        assert f"{t[fate]} {fate}" in text
    assert "input path not found" in text  # the failed record is listed
    assert "gopher_quality" in text and "lang_not_kept" in text


@needs_chromium
def test_render_notices_console_errors_and_blank_plots(tmp_path):
    page = tmp_path / "broken.html"
    page.write_text(
        "<!doctype html><html><body><figure class='plot' data-plot='empty' data-box='0,0,300,200'>"
        "<div style='width:300px;height:200px'></div></figure>"
        "<script>document.body.dataset.height = 400; console.error('boom');</script></body></html>"
    )
    seen = render(page, tmp_path)
    assert any("boom" in line for line in seen["console"])
    assert seen["ink"] == {"empty": 0.0}
    # a chart plotly drew with its axes, ticks and legend but no bar is blank too; one with its bars is not
    data, layout = plots.histogram_figure("signal", "en", np.arange(100.0), [("max 50 → x", 50, 0.5)], ["en"])
    data[0]["y"] = [0] * len(data[0]["y"])
    plots.write_script(str(tmp_path))
    page.write_text(
        f"<!doctype html><html><head><meta charset='utf-8'>{plots.SCRIPT_TAG}</head><body>"
        + plots.embed(data[:1], layout, "no bars", "alt")
        + plots.histogram("signal", "en", np.arange(100.0), [], ["en"])
        + f"<script>{plots.DRAW_SCRIPT}{SCRIPT}</script></body></html>",
        encoding="utf-8",
    )
    seen = render(page, tmp_path)
    assert seen["console"] == [] and seen["ink"]["no bars"] < 0.01 < seen["ink"]["signal:en"], seen["ink"]


@needs_chromium
def test_legends_cover_no_bar_no_count_and_no_label(tmp_path):
    """plotly lays the charts out in the browser: measure there that no legend overlaps a bar, a count, a tick
    label or the title, with many languages (one with a Chinese name) and four thresholds."""
    stages = [f"stage_{i}" for i in range(14)]
    langs = ["en", "zh", "de", "fr", "es", "ja", "中文样本", "unknown"]
    surviving = {(s, lang): 5000 - 300 * i for i, s in enumerate(stages) for lang in langs}
    rng = np.random.default_rng(0)
    lines = [(f"{b} {v} → reason_{i}_{'x' * 12}", v, 0.1 * i) for i, (b, v) in enumerate([("min", -1), ("max", 2)] * 2)]
    figures = plots.funnel_bars(stages, langs, surviving) + "".join(
        plots.histogram(f"signal_{i}", lang, rng.normal(size=500), lines[: i + 1], langs, "caption")
        for i, lang in enumerate(["en", "中文样本", "de", "zh"])
    )
    plots.write_script(str(tmp_path))
    measure = """
    function boxes(chart, selector) {
      return Array.prototype.map.call(chart.querySelectorAll(selector), function (el) {
        var r = el.getBoundingClientRect();
        return {text: el.textContent, box: [r.left, r.top, r.right, r.bottom]};
      }).filter(function (b) { return b.box[2] > b.box[0] && b.box[3] > b.box[1]; });
    }
    window.addEventListener('load', function () {
      drawPlots(document).then(function () {
        var out = {};
        document.querySelectorAll('figure.plot').forEach(function (f) {
          var chart = f.querySelector('.chart');
          out[f.dataset.plot] = {
            legend: boxes(chart, '.legend .bg'), entries: boxes(chart, '.legend .legendtext'),
            bars: boxes(chart, '.bars .point path'), counts: boxes(chart, '.textpoint text'),
            ticks: boxes(chart, '.xtick text, .ytick text'), titles: boxes(chart, '.gtitle, .g-xtitle, .g-ytitle'),
            buttons: boxes(chart, '.modebar'),
          };
        });
        document.body.dataset.measured = JSON.stringify(out);
      });
    });
    """
    page = tmp_path / "legends.html"
    page.write_text(
        f"<!doctype html><html><head><meta charset='utf-8'><style>{STYLE}</style>{plots.SCRIPT_TAG}</head><body>"
        f"<div class='grid'>{figures}</div><script>{plots.DRAW_SCRIPT}{measure}</script></body></html>",
        encoding="utf-8",
    )
    dumped = _chromium(f"--window-size={WIDTH},3000", "--dump-dom", page.as_uri())
    assert dumped.returncode == 0 and not [line for line in dumped.stderr.splitlines() if ":CONSOLE" in line]
    measured = json.loads(lhtml.fromstring(dumped.stdout).find("body").get("data-measured"))
    assert set(measured) == {"funnel"} | {f"signal_{i}:{lang}" for i, lang in enumerate(["en", "中文样本", "de", "zh"])}

    def overlap(a, b):
        return a[0] < b[2] - 0.5 and b[0] < a[2] - 0.5 and a[1] < b[3] - 0.5 and b[1] < a[3] - 0.5

    for name, m in measured.items():
        (legend,) = m["legend"]
        assert m["bars"], name
        for kind in ("bars", "counts", "ticks", "titles"):
            hit = [b["text"] or kind for b in m[kind] if overlap(legend["box"], b["box"])]
            assert not hit, (name, kind, hit)
        # the chart's buttons (on hover) cover nothing either
        for kind in ("legend", "bars", "counts", "ticks", "titles"):
            hit = [b["text"] or kind for b in m[kind] for bar in m["buttons"] if overlap(bar["box"], b["box"])]
            assert not hit, (name, "buttons", kind, hit)
    assert [e["text"] for e in measured["funnel"]["entries"]] == langs
    assert len(measured["funnel"]["counts"]) == len(stages)
    entries = [e["text"] for e in measured["signal_3:zh"]["entries"]]
    assert entries == [f"{label}: {share:.1%} fail" for label, _, share in lines]


def test_report_without_browser_has_every_section(built, tmp_path):
    out, funnel = built
    page = open(write_report(str(out), str(tmp_path / "r.html")), encoding="utf-8").read()
    for anchor in ("summary", "funnel", "reasons", "signals", "failed", "config"):
        assert f"id='{anchor}'" in page
    assert "<details>" in page and "gopher_short_doc" in page
    assert "stages:" in page and "dedup_exact" in page  # the config, as YAML
