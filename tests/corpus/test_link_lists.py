"""Link lists ("hot news", "related" headlines) removed from the main text (extract.link_lists)."""

import pytest

from corpus.config import load_config
from corpus.core import vocab
from corpus.core.configlib import ConfigError
from corpus.core.extract import Extractor
from corpus.core.layout import Layout
from corpus.core.link_lists import anchor_texts, strip_link_lists

ARTICLE = "<h1>River survey finds two new sites</h1>" + "".join(
    f"<p>The survey covered eleven sites along the river in year {i}, two more than the year before, "
    f"and the team counted more nesting birds at site {i} than in any year before it.</p>"
    for i in range(6)
)
HEADLINES = [f"Council votes on the new harbour bridge plan number {i}" for i in range(5)]
HOT_LIST = (
    "<h3>Most read</h3><ul>"
    + "".join(
        f"<li><span>{i + 1}</span><a href='/n/{i}'>{h}</a><span>{1200 * (i + 1):,} views</span></li>"
        for i, h in enumerate(HEADLINES)
    )
    + "</ul>"
)
LINKED_PROSE = "".join(
    f"<p>The survey covered eleven sites along the river this year, as <a href='/r/{i}'>the report</a> "
    f"says, and the team counted more nesting birds at site {i} than in any year before it.</p>"
    for i in range(6)
)
LINKS_ONLY = "<ul>" + "".join(f"<li><a href='/n/{i}'>{h}</a></li>" for i, h in enumerate(HEADLINES)) + "</ul>"


def page(body: str) -> str:
    return f"<html><head><title>Report</title></head><body><article>{body}</article></body></html>"


def extractor(tmp_path, on: bool = True) -> Extractor:
    return Extractor(Layout(str(tmp_path)), link_lists=on)


def test_headline_list_goes_article_stays(tmp_path):
    html = page(ARTICLE + HOT_LIST)
    plain, _ = extractor(tmp_path, on=False).choose(html, None)
    assert sum(h in plain for h in HEADLINES) == 5  # what the rule is for: trafilatura keeps the list
    text, _, removed = extractor(tmp_path).main_text(html, None)
    assert sum(h in text for h in HEADLINES) == 0
    assert "views" not in text and "Most read" not in text  # the counts between the links and the heading
    assert text.count("eleven sites") == 6
    assert sum(h in removed for h in HEADLINES) == 5 and removed.startswith("Most read")
    assert sorted(plain.split("\n")) == sorted(text.split("\n") + removed.split("\n"))  # lines moved, none lost


@pytest.mark.parametrize("body", [ARTICLE + LINKED_PROSE, LINKED_PROSE])
def test_prose_with_links_is_kept(tmp_path, body):
    html = page(body)
    text, _, removed = extractor(tmp_path).main_text(html, None)
    assert removed == ""
    assert text == extractor(tmp_path, on=False).choose(html, None)[0]


def test_page_of_links_only_is_left_whole(tmp_path):
    html = page(LINKS_ONLY)
    text, _, removed = extractor(tmp_path).main_text(html, None)
    assert removed == "" and sum(h in text for h in HEADLINES) == 5


@pytest.mark.parametrize(
    "lines, anchors, removed_lines",
    [
        # three link lines with ranks, dates and counts between them, a heading before them
        (
            [
                "A long paragraph of prose. " * 4,
                "Related",
                "One headline here",
                "2019-09-06",
                "Two headline here",
                "12,345",
                "Three headline here",
            ],
            {"One headline here", "Two headline here", "Three headline here"},
            6,
        ),
        # two link lines are not a list
        (
            ["A long paragraph of prose. " * 4, "One headline here", "Two headline here"],
            {"One headline here", "Two headline here"},
            0,
        ),
        # a long non-link line ends the run: two and one are not three
        (
            [
                "A long paragraph of prose. " * 4,
                "One headline here",
                "Two headline here",
                "Prose again. " * 4,
                "Three headline here",
            ],
            {"One headline here", "Two headline here", "Three headline here"},
            0,
        ),
        # lists are most of the text: left whole
        (
            ["Short prose.", "One headline here", "Two headline here", "Three headline here"],
            {"One headline here", "Two headline here", "Three headline here"},
            0,
        ),
    ],
)
def test_runs(lines, anchors, removed_lines):
    text = "\n".join(lines)
    out, removed = strip_link_lists(text, anchors)
    assert len(text.split("\n")) - len(out.split("\n")) == removed_lines
    assert len(removed.split("\n")) == removed_lines if removed_lines else removed == ""


def test_anchor_texts_collapse_whitespace_and_skip_single_characters():
    from corpus.core.extract import parse_page

    tree = parse_page(page("<a href='/a'>Council \n  votes</a><a href='/b'>1</a><a href='/c'><b>新闻</b>推荐</a>"))
    assert anchor_texts(tree) == {"Council votes", "新闻推荐"}


def test_run_writes_the_signal_only_when_on(tmp_path):
    from datatrove.data import Document

    def run(on: bool):
        doc = Document(text=page(ARTICLE + HOT_LIST), id="d", metadata={vocab.PAYLOAD_KIND: "html"})
        return next(extractor(tmp_path, on).run([doc])).metadata

    on, off = run(True), run(False)
    assert on[vocab.LINK_LISTS].count("\n") >= 5 and on[vocab.EXTRACT_CHARS] < off[vocab.EXTRACT_CHARS]
    assert vocab.LINK_LISTS not in off


def test_config_switch():
    assert load_config(None).extract.link_lists is False
    assert load_config(None, extract={"link_lists": True}).extract.link_lists is True
    with pytest.raises(ConfigError, match="extract.link_lists"):
        load_config(None, extract={"link_lists": "yes"})


def test_a_build_with_the_switch_on_keeps_the_article_without_its_list(tmp_path):
    from corpus.build import build
    from corpus.core.sql import connect
    from tests.corpus.test_readers import write_warc

    body = page(ARTICLE + HOT_LIST).encode()
    write_warc(tmp_path / "in.warc.gz", [("https://news.example/river.html", "text/html; charset=utf-8", body)])
    got = {}
    for on in (True, False):
        out = tmp_path / f"out-{on}"
        cfg = load_config(
            None,
            inputs=(str(tmp_path / "in.warc.gz"),),
            output=str(out),
            stages=["url_filter", "lang_id"],
            # trafilatura's text keeps the list; the native core drops it already (its lines are link text)
            extract={"link_lists": on, "mode": "trafilatura"},
        )
        assert build(cfg).exit_code == 0
        got[on] = connect(str(out)).execute(f"select text, {vocab.LINK_LISTS} from docs").fetchall()
    [(text, removed)] = got[True]
    [(plain, none)] = got[False]
    assert text.count("eleven sites") == 6 and not any(h in text for h in HEADLINES)
    assert sum(h in plain for h in HEADLINES) == 5 and sum(h in removed for h in HEADLINES) == 5 and none is None
