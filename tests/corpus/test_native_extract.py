"""The native extraction core (corpus/core/_blocks.pyx): the main content it takes, the pages it leaves to
trafilatura, and the signal it leaves."""

import pytest

from corpus.core import vocab
from corpus.build import build
from corpus.core._blocks import main_text
from corpus.core.extract import Extractor, parse_page
from corpus.core.fast_extract import FULL, NATIVE
from corpus.core.layout import Layout
from corpus.core.sql import connect
from corpus.demo import write_demo_warc
from tests.corpus.helpers import make_config
from tests.corpus.test_fast_extract import PARAS, ZH_PARAS

NAV = "<nav><ul>" + "".join(f"<li><a href='/s/{i}'>Section {i}</a></li>" for i in range(8)) + "</ul></nav>"
RELATED = "<div class='related-stories'>" + "".join(f"<p>{p}</p>" for p in PARAS[:3]) + "</div>"


def page(body: str) -> str:
    return f"<html><head><title>River report</title><style>p {{}}</style></head><body>{NAV}{body}</body></html>"


def paragraphs(paras: list[str]) -> str:
    return "".join(f"<p>{p}</p>" for p in paras)


@pytest.fixture
def native(tmp_path):
    return Extractor(Layout(str(tmp_path)), mode="native")


@pytest.mark.parametrize("paras", [PARAS, ZH_PARAS])
@pytest.mark.parametrize(
    "body, how",
    [
        ("<div class='article-body'>{}</div>" + RELATED + "<footer>Contact us</footer>", "hint"),
        ("<article><h2>River report</h2>{}</article><aside>Most read</aside>", "hint"),
        ("<div id='wrap'><div>{}</div></div><div class='share'>Share this on every network you use</div>", "density"),
    ],
)
def test_main_content_without_furniture(native, paras, body, how):
    html = page(body.format(paragraphs(paras)))
    text, found = main_text(parse_page(html))
    assert found == how
    lines = text.split("\n")
    assert [line for line in lines if line != "River report"] == paras  # no nav, related, footer, share
    assert native.choose(html, "https://a.example/r") == (text, NATIVE)


def test_wrapper_named_like_furniture_holds_the_article():
    # layout classes such as "l-sidebar-fixed" wrap the article on some sites: kept when they hold most prose
    html = page(f"<div class='l-sidebar-fixed'><div class='entry-content'>{paragraphs(PARAS)}</div></div>")
    assert main_text(parse_page(html))[0].split("\n") == PARAS


@pytest.mark.parametrize(
    "body, why",
    [
        ("<div class='post-content'>{0}</div><div class='post-content'>{0}</div>", "several"),  # an archive of posts
        ("<div><p>Short note.</p></div>", "short"),
        # no content name, and a third of the text around the prose is short lines (labels, dates, counts)
        ("<div>{0}" + "".join(f"<div>Label {i}</div>" for i in range(60)) + "</div>", "mixed"),
    ],
)
def test_pages_left_to_trafilatura(native, body, why):
    html = page(body.format(paragraphs(PARAS)))
    text, found = main_text(parse_page(html))
    assert (text, found) == (None, why)
    assert native.choose(html, None)[1] == FULL


def test_hidden_links_and_list_items():
    hidden = "<p style='display: none'>Hidden text that a reader never sees on this page.</p>"
    links = "<p>" + " ".join(f"<a href='/t/{i}'>topic {i}</a>" for i in range(12)) + "</p>"
    items = "<ul><li>first point of the list, long enough</li><li>second point of the list</li></ul>"
    html = page(f"<article>{paragraphs(PARAS)}{hidden}{links}{items}</article>")
    lines = main_text(parse_page(html))[0].split("\n")
    assert lines == [*PARAS, "- first point of the list, long enough", "- second point of the list"]


def test_no_tree():
    assert main_text(None) == (None, "no tree")


def test_root_of_any_tag():
    from lxml import html

    root = html.fragment_fromstring("<span>" + " ".join(PARAS) + "</span>")  # text owned by no block element
    assert main_text(root) == (" ".join(PARAS), "density")


def test_build_records_the_native_extractor(tmp_path):
    warc = write_demo_warc(str(tmp_path / "demo.warc.gz"))
    res = build(make_config([warc], tmp_path / "out", stages=["lang_id"], extract={"mode": "native"}))
    assert res.exit_code == 0
    rows = dict(
        connect(str(tmp_path / "out"))
        .execute(f"select {vocab.EXTRACTOR}, count(*) from docs where {vocab.EXTRACTOR} is not null group by 1")
        .fetchall()
    )
    assert set(rows) <= {NATIVE, FULL} and rows.get(NATIVE, 0) > 0  # the demo articles are clean pages


@pytest.mark.realdata
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_labelled_pages_against_trafilatura_and_gold(tmp_path, shared_data, lang):
    """Every labelled page: where the core takes a page, its text agrees with trafilatura's (the reference)
    and is as close to the gold text; the pages it declines go to trafilatura, so native mode as a whole is
    no worse by F1. Figures of 2026-12-07: docs/extraction.md."""
    from evalsets.labelled import labelled_pages, prf, tokens

    full, native = Extractor(Layout(str(tmp_path))), Extractor(Layout(str(tmp_path)), mode="native")
    taken, agree, f1_full, f1_native = 0, [], [], []
    for page_lang, _, truth, html in labelled_pages(shared_data):
        if page_lang != lang:
            continue
        reference = full.extract(html, truth["url"], tree=parse_page(html))
        text, used = native.choose(html, truth["url"])
        gold = tokens(truth["text"])
        f1_full.append(prf(tokens(reference), gold)[2])
        f1_native.append(prf(tokens(text), gold)[2])
        if used == NATIVE:
            taken += 1
            agree.append(prf(tokens(text), tokens(reference))[2])
    pages = len(f1_full)
    assert taken >= 0.75 * pages  # 177 of 181 English pages, 55 of 69 Chinese ones
    assert sum(agree) / taken >= 0.93  # token F1 against trafilatura's text: 0.974 / 0.963
    assert sum(f1_native) / pages >= sum(f1_full) / pages - 0.002  # 0.965 vs 0.960 / 0.945 vs 0.933


@pytest.mark.parametrize(
    "extra, kept",
    [
        ("<div class='d-none'>Only in print: this page may be reproduced for private study.</div>", False),
        ("<div class='d-none d-md-block'>Shown on desktop screens: the survey's second season.</div>", True),
        ("<div class='f6 dn'>You have been successfully subscribed to the newsletter.</div>", False),
        ("<div class='GoogleDfpAd-adCaption'>Advertisement</div>", False),  # camelCase words are words
        ("<p>https://a.example/news/river-report-2019-11-20</p>", False),  # a share widget's address
    ],
)
def test_hidden_classes_furniture_names_and_bare_addresses(extra, kept):
    html = page(f"<article>{paragraphs(PARAS[:3])}{extra}{paragraphs(PARAS[3:])}</article>")
    text = main_text(parse_page(html))[0]
    line = parse_page(html).xpath("//article/*[4]")[0].text_content()
    assert (line in text.split("\n")) is kept
    assert [x for x in text.split("\n") if x != line] == PARAS


def test_furniture_inside_a_line_leaves_the_line_whole():
    note = "<span class='noprint'>(Korean: 주영훈)</span>"
    sentence = "The songwriter Joo Young-hoon {} noticed his voice and signed him for the band that autumn."
    html = page(f"<article>{paragraphs(PARAS)}<p>{sentence.format(note)}</p></article>")
    assert main_text(parse_page(html))[0].split("\n")[-1] == " ".join(sentence.format("").split())


def test_data_table_rows_are_lines_layout_table_cells_are_blocks():
    grid = "<table><tr><th>Site</th><th>Clarity</th></tr><tr><td>North <b>bank</b></td><td>4.5 m</td></tr></table>"
    layout = f"<table><tr><td>{paragraphs(PARAS[:2])}</td><td>{paragraphs(PARAS[2:])}</td></tr></table>"
    lines = main_text(parse_page(page(f"<article>{layout}{grid}</article>")))[0].split("\n")
    assert lines == [*PARAS, "| Site | Clarity |", "| North bank | 4.5 m |"]
