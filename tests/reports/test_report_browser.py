"""The report as a browser shows it: headless Chromium renders the page, then the test checks the
console, every plot's pixels, and the funnel numbers in the page's text."""

import re
import shutil
import subprocess

import pytest
from lxml import html as lhtml
from PIL import Image

from corpus.build import build
from corpus.config import load_config
from corpus.demo import write_demo_warc
from reports.report import write_report

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
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


def render(page, tmp_path) -> dict:
    """DOM after the page's scripts ran, console messages, and the fraction of ink inside each plot (every
    folded section opened first: `#unfold`)."""
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
        x, y, w, h = (int(v) for v in (fig.get("data-box") or "0,0,0,0").split(","))
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
    figures = source.count('<figure class="plot"')
    assert figures > 3 and int(seen["body"].get("data-plots")) == int(seen["body"].get("data-drawn")) == figures
    blank = {name: share for name, share in seen["ink"].items() if share < 0.01}
    assert len(seen["ink"]) == figures and not blank, blank

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


def test_report_without_browser_has_every_section(built, tmp_path):
    out, funnel = built
    page = open(write_report(str(out), str(tmp_path / "r.html")), encoding="utf-8").read()
    for anchor in ("summary", "funnel", "reasons", "signals", "failed", "config"):
        assert f"id='{anchor}'" in page
    assert "<details>" in page and "gopher_short_doc" in page
    assert "stages:" in page and "dedup_exact" in page  # the config, as YAML
