"""What the report says, read from its HTML without a browser: the demo-model banner and the models'
manifest, bytes against text at the front of the funnel, thresholds named by their signal and reason with
the defaults file's reason for a per-language value, numbers with their nouns, sections a reader can fold,
a CJK font stack; the charts' data (plotly specs in the page, plotly.js beside it); and `corpus report`'s progress
and its one-line refusal of a directory that is no build."""

import json
import os
import re

import numpy as np
import pytest
from lxml import html as lhtml

from corpus.build import build
from corpus.core.funnel import format_funnel
from corpus.core.layout import Layout
from corpus.core.sql import connect, format_table
from reports import plots
from reports.page import SANS, STYLE
from reports.report import write_report
from tests.clirun import corpus
from tests.corpus.helpers import make_config

STAGES = ["url_filter", "lang_id", "gopher_quality", "c4", "fineweb"]


@pytest.fixture(scope="module")
def built(tmp_path_factory, demo_warc):
    out = tmp_path_factory.mktemp("content") / "out"
    result = build(make_config([demo_warc], out, stages=STAGES, annotate_all=True))
    assert result.exit_code == 0
    return out, result.funnel


@pytest.fixture(scope="module")
def page(built, tmp_path_factory):
    out, _ = built
    path = write_report(str(out), str(tmp_path_factory.mktemp("page") / "r.html"))
    return open(path, encoding="utf-8").read()


def _charts(source: str) -> dict[str, dict]:
    """Every figure's plotly spec ({"data": traces, "layout": ...}) by its name, with its description and caption."""
    charts = {}
    for fig in lhtml.fromstring(source).xpath("//figure[contains(@class, 'plot')]"):
        spec = json.loads(fig.xpath(".//script[@class='plot-data']")[0].text)
        caption = fig.xpath("./figcaption")
        spec["alt"], spec["caption"] = fig.get("aria-label"), caption[0].text_content() if caption else ""
        charts[fig.get("data-plot")] = spec
    return charts


def _text(source: str) -> str:
    return " ".join(lhtml.fromstring(source).text_content().split())


def test_funnel_has_bytes_in_and_text_out_for_the_html_to_text_step(built, page):
    out, funnel = built
    rows = {(r["stage"], r["lang"]): r for r in funnel["stages"]}
    payload = connect(str(out)).execute("select sum(payload_bytes) from docs").fetchone()[0]
    read = [r for r in funnel["stages"] if r["stage"] == "read"]
    assert sum(r["bytes_in"] for r in read) == payload > 0
    extract = [r for r in funnel["stages"] if r["stage"] == "extract"]
    bytes_in, text_out = sum(r["bytes_in"] for r in extract), sum(r["chars_out"] for r in extract)
    assert 0 < text_out < bytes_in  # HTML in, (much less) text out
    for r in rows.values():
        assert r["bytes_out"] == r["bytes_in"] - sum(v["bytes"] for v in r["removed"].values())
    # the funnel.json the build wrote holds them too
    on_disk = json.loads((out / "funnel.json").read_text())
    assert all("bytes_in" in r and "bytes_out" in r for r in on_disk["stages"])
    terminal = format_funnel(funnel)
    header, _, *lines = terminal.splitlines()
    assert "bytes_in" in header and "chars_out" in header
    extract_line = next(line for line in lines if line.startswith("extract "))
    assert f"{bytes_in}" in extract_line and f"{text_out}" in extract_line
    text = _text(page)
    assert "From payload bytes to text" in text and f"{bytes_in:,}" in text and f"{text_out:,}" in text


def test_terminal_funnel_lists_every_reason_whole():
    reasons = {
        f"gopher_too_many_{w}_lines_in_the_document": {"docs": i + 1, "chars": 10, "bytes": 20}
        for i, w in enumerate(("bullet", "ellipsis", "hash", "short", "duplicate"))
    }
    funnel = {
        "totals": {"kept": 1, "dropped": 15, "failed": 0},
        "stages": [
            {
                "stage": "gopher_quality",
                "lang": "en",
                "docs_in": 16,
                "docs_out": 1,
                "chars_in": 100,
                "chars_out": 10,
                "bytes_in": 200,
                "bytes_out": 20,
                "removed": reasons,
            }
        ],
    }
    text = format_funnel(funnel)
    assert "…" not in text
    for reason, v in reasons.items():
        assert f"{reason}={v['docs']}" in text
    assert max(len(line) for line in text.splitlines()) < 140


def test_funnel_plot_legend_above_the_bars_names_every_language():
    stages = [f"stage_{i}" for i in range(12)]
    langs = ["en", "zh", "de", "fr", "unknown"]
    surviving = {(s, lang): 1000 - 50 * i for i, s in enumerate(stages) for lang in langs}
    data, layout = plots.funnel_figure(stages, langs, surviving)
    bars = [t for t in data if t["type"] == "bar"]
    assert [t["name"] for t in bars] == langs and all(t["y"] == stages for t in bars)
    assert len({t["marker"]["color"] for t in bars}) == len(langs)
    # the legend sits above the axes (paper y >= 1, anchored at its bottom): it covers no bar and no count;
    # the x range leaves room for the count at the end of the longest bar (the browser test measures both)
    legend = layout["legend"]
    assert layout["showlegend"] and legend["orientation"] == "h" and legend["y"] >= 1 and legend["yanchor"] == "bottom"
    (totals,) = [t for t in data if t["type"] == "scatter"]
    assert totals["x"] == [5000 - 250 * i for i in range(12)] and totals["text"][0] == " 5,000"
    assert layout["xaxis"]["range"][1] >= 1.1 * 5000 and layout["yaxis"]["autorange"] == "reversed"
    assert layout["xaxis"]["title"]["text"] == "documents surviving the stage"


def test_charts_hold_the_builds_numbers(built, page):
    out, funnel = built
    charts = _charts(page)
    # the funnel chart: per language, the documents left after each stage, as funnel.json counts them
    spec = charts["funnel"]
    assert spec["alt"] == "documents surviving each stage, by language"
    bars = {t["name"]: dict(zip(t["y"], t["x"])) for t in spec["data"] if t["type"] == "bar"}
    for r in funnel["stages"]:
        assert bars[r["lang"]][r["stage"]] == r["docs_out"], r
    assert all("%{x:,}" in t["hovertemplate"] for t in spec["data"])  # hover: the values
    # a histogram: its bars count every document, its threshold line stands at the threshold's value
    con = connect(str(out))
    spec = charts["fineweb_newline_ratio:en"]
    n = con.execute(
        "select count(fineweb_newline_ratio) from docs where lang = 'en' and fineweb_newline_ratio is not null"
    ).fetchone()[0]
    (bars,) = [t for t in spec["data"] if t["type"] == "bar"]
    assert (
        sum(bars["y"]) == n and len(bars["y"]) == plots.HISTOGRAM_BINS and f"n={n}" in spec["layout"]["title"]["text"]
    )
    (line,) = [t for t in spec["data"] if t["type"] == "scatter"]
    assert line["name"].startswith("max 0.3 → fineweb_list_ratio: ") and line["name"].endswith("% fail")
    assert set(line["x"]) == {0.3} and line["line"]["color"] == plots.THRESHOLD_COLOR
    assert spec["alt"] == "histogram of fineweb_newline_ratio for en" and "(stage fineweb)" in spec["caption"]
    assert spec["layout"]["yaxis"]["title"]["text"] == "documents"
    # its legend: below the axis, in the margin it makes, never over a bar
    assert spec["layout"]["legend"]["yref"] == "container" and spec["layout"]["legend"]["y"] == 0


def test_histogram_notes_what_it_does_not_draw():
    values = np.concatenate([np.linspace(0, 1, 400), [50.0, 60.0, 70.0]])
    data, layout = plots.histogram_figure(
        "sig", "zh", values, [("max 0.5 → a", 0.5, 0.5), ("max 900 → b", 900.0, 0.0)], ["en", "zh"]
    )
    assert [t["name"] for t in data if t["type"] == "scatter"] == ["max 0.5 → a: 50.0% fail"]
    title = layout["title"]["text"]
    assert "max 900 → b (off-scale): 0.0% fail" in title and "values beyond the axis, counted in the edge bins" in title
    (bars,) = [t for t in data if t["type"] == "bar"]
    assert sum(bars["y"]) == len(values) and bars["marker"]["color"] == plots.COLORS["zh"]
    assert layout["xaxis"]["range"][1] < 50  # the three far values are clipped into the last bin, not drawn


def test_report_writes_plotly_beside_the_page_and_overwrite_knows_it(built, tmp_path, copy_build):
    out = copy_build(built[0])
    page = write_report(str(out))
    layout = Layout(str(out))
    assert page == layout.report_file() and os.path.getsize(layout.report_script()) > 1_000_000
    assert layout.report_script() in layout.entries()  # --overwrite deletes it with the rest of the build
    source = open(page, encoding="utf-8").read()
    assert '<script src="plotly.min.js"' in source and len(source) < 1_000_000  # the library is not in the page
    (tmp_path / "elsewhere").mkdir()  # a page written with -o somewhere else: the library beside it there too
    write_report(str(out), str(tmp_path / "elsewhere" / "r.html"))
    assert (tmp_path / "elsewhere" / "plotly.min.js").stat().st_size == os.path.getsize(layout.report_script())


def test_demo_models_banner_and_the_models_manifest(built, tmp_path, copy_build):
    out = copy_build(built[0])
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["scorer_models"] = {
        "demo": True,
        "models_dir": None,
        "stages": ["quality"],
        "train_command": "corpus models train --data DATA -o models",
    }
    manifest["models"]["quality"] = {
        "en": {"path": "/cache/demo/quality/en", "sha256": "ab" * 32, "cutoffs": {"quality_score": {"min": 0.5}}}
    }
    (out / "manifest.json").write_text(json.dumps(manifest))
    source = open(write_report(str(out), str(tmp_path / "r.html")), encoding="utf-8").read()
    text = _text(source)
    assert "class='banner'" in source and "Demo models scored these documents" in text
    assert source.index("Demo models scored") < source.index("<section id='summary'>")  # before anything else
    assert "/cache/demo/quality/en" in text and "abababababab" in text and "quality_score min 0.5" in text
    # a build with real models has no banner
    assert "Demo models scored" not in _text(
        open(write_report(str(built[0]), str(tmp_path / "p.html")), encoding="utf-8").read()
    )


def test_thresholds_name_signal_and_reason_and_say_why_a_value_differs(page):
    dom = lhtml.fromstring(page)
    table = dom.xpath("//table[contains(@class, 'thresholds')]")[0]
    rows = {}
    for tr in table.xpath(".//tbody/tr"):
        cells = [" ".join(td.text_content().split()) for td in tr.xpath("./td")]
        rows[(cells[0], cells[1])] = cells
    # the signal and the reason it drops as, side by side: the two names differ
    assert rows[("fineweb_newline_ratio", "max")][2] == "fineweb_list_ratio"
    curly = rows[("c4_curly_bracket", "max")]
    head = [" ".join(th.text_content().split()) for th in table.xpath(".//thead//th")]
    assert curly[head.index("en")].startswith("0 ") and curly[head.index("zh")].startswith("1 ")
    assert "zh:" in curly[-1] and "Wikipedia" in curly[-1]  # the comment beside zh's value in heuristics.yaml
    # histogram legends carry the reason too
    assert any(
        t["name"].startswith("max 0.3 → fineweb_list_ratio") for c in _charts(page).values() for t in c["data"][1:]
    )


def test_no_naming_leaks_and_numbers_agree_with_their_nouns(page, built):
    text = _text(page)
    assert "params." not in text
    assert "non-empty lines at most 30 chars" in text and "non-empty lines at most 15 chars" in text
    assert not re.search(r"\b1 (documents|rows|inputs|reasons)\b", text)
    assert "(1 row)" in format_table(["a"], [(1,)]) and "(2 rows)" in format_table(["a"], [(1,), (2,)])
    assert "1 document" in text  # the German page: its language has one document


def test_page_folds_declares_cjk_fonts_and_fetches_nothing(page):
    for anchor in ("summary", "funnel", "reasons", "signals", "failed", "models", "config"):
        assert re.search(rf"<section id='{anchor}'><details class='section' open><summary><h2>", page), anchor
    assert "<details class='stage'" in page and "setFolds(" in page
    body_font = re.search(r"body\{font:[^;]*?([^;}]*)[;}]", STYLE).group(0)
    assert (
        "Noto Sans CJK SC" in body_font
        and "Microsoft YaHei" in body_font
        and body_font.rstrip(";}").endswith("sans-serif")
    )
    charts = _charts(page)  # the charts' text: the same fallbacks
    assert charts and all(c["layout"]["font"]["family"] == SANS for c in charts.values())
    assert "Noto Sans CJK SC" in SANS
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)


def test_report_command_says_what_it_does_and_refuses_a_non_build(built, tmp_path):
    out, _ = built
    r = corpus("report", out, "-o", tmp_path / "r.html")
    assert r.returncode == 0, r.stderr
    lines = r.stderr.splitlines()
    assert any("drop reasons" in line for line in lines) and any("histograms:" in line for line in lines)
    assert lines[-1].startswith("report: written in")
    for not_build in (tmp_path, tmp_path / "absent"):
        r = corpus("report", not_build)
        assert r.returncode == 2 and r.stderr.strip().count("\n") == 0
        assert "is not a build output directory" in r.stderr
