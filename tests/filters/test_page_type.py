"""The page_type stage: signals from the HTML before extraction, list pages out, text inputs untouched."""

import gzip
import io
import json

import pytest
from datatrove.data import Document

from corpus.core import vocab
from corpus.config import load_config
from corpus.core.configlib import ConfigError
from corpus.core.steps import ThresholdFilter
from filters.page_type import STAGES, PageTypeScorer, page_shape

page_type_rules = STAGES[0].rules_of

NAV = "".join(f'<li><a href="/s/{i}">Section {i}</a></li>' for i in range(8))
PARAS = [
    "The council voted on Tuesday to keep the riverside library open on Sundays through the winter.",
    "Opening hours had been cut last spring after the heating bill doubled, and reading groups had "
    "moved to the community hall across the bridge.",
    "A local charity offered to cover half of the extra cost, and volunteers agreed to staff the "
    "front desk on alternate weekends.",
    "Councillors said the arrangement would be reviewed in March, when the new boiler is due to be installed.",
]


def article_html(paras=PARAS, inline_link: bool = False) -> str:
    body = "".join(f"<p>{p}</p>" for p in paras)
    if inline_link:  # prose with a link inside: still prose
        body = body.replace("community hall", '<a href="/hall">community hall</a>')
    return (
        f'<html><head><title>Library</title><script>var x = "{"a" * 500}";</script></head><body>'
        f'<nav><ul class="menu">{NAV}</ul></nav><article><h1>Library stays open</h1>{body}</article>'
        f'<footer><ul class="menu">{NAV}</ul></footer></body></html>'
    )


def index_html(n: int = 30) -> str:
    rows = "".join(
        f'<li class="item"><a href="/story/{i}">Headline number {i} about the town council</a>'
        f'<span class="date">2024-05-{i % 28 + 1:02d}</span></li>'
        for i in range(n)
    )
    return f'<html><body><nav><ul class="menu">{NAV}</ul></nav><ul class="list">{rows}</ul></body></html>'


def results_html(n: int = 10) -> str:
    """Search results: every card a title link and a snippet of real prose."""
    cards = "".join(
        f'<div class="card"><h2><a href="/q/{i}">Riverside library hours, result {i} of the search</a>'
        f"</h2><p>{PARAS[i % 4]}</p></div>"
        for i in range(n)
    )
    return f'<html><body><div class="results">{cards}</div></body></html>'


def signals(html: str) -> dict:
    shape = page_shape(html)
    assert shape is not None
    return shape.signals()


def test_index_of_thirty_links_against_an_article_with_a_nav_bar():
    index, article = signals(index_html()), signals(article_html())
    assert index[vocab.PAGE_TYPE_LINKS] == 38 and article[vocab.PAGE_TYPE_LINKS] == 16
    assert index[vocab.PAGE_TYPE_LINK_DENSITY] > 0.6 > article[vocab.PAGE_TYPE_LINK_DENSITY]
    assert index[vocab.PAGE_TYPE_PROSE_RUN] <= 10  # one date between two headline links at most
    prose = sum(len("".join(p.split())) for p in PARAS)
    assert article[vocab.PAGE_TYPE_PROSE_RUN] >= prose  # the paragraphs (and heading) in one stretch
    assert index[vocab.PAGE_TYPE_LIST_SHARE] == 1.0 and article[vocab.PAGE_TYPE_LIST_SHARE] == 0.0


def test_hidden_text_is_not_counted():
    s = signals(article_html())
    visible = sum(len("".join(p.split())) for p in PARAS + ["Library stays open"]) + 2 * sum(
        len(f"Section{i}") for i in range(8)
    )
    assert s[vocab.PAGE_TYPE_TEXT_CHARS] == visible  # no <title>, no <script>


def test_inline_links_do_not_break_prose_but_list_entries_do():
    plain, linked = signals(article_html()), signals(article_html(inline_link=True))
    assert linked[vocab.PAGE_TYPE_PROSE_RUN] == plain[vocab.PAGE_TYPE_PROSE_RUN] - len("communityhall")
    # each card's snippet is prose, but the cards are entries of a list of links: no stretch counts
    results = signals(results_html())
    assert results[vocab.PAGE_TYPE_PROSE_RUN] == 0 and results[vocab.PAGE_TYPE_LIST_SHARE] == 1.0


def test_no_visible_text_is_no_evidence():
    assert page_shape("<html><head><script>x()</script></head><body> </body></html>") is None
    assert page_shape("") is None


def test_xml_declaration_and_legacy_markup_parse():
    html = '<?xml version="1.0" encoding="gb2312"?>' + article_html()
    assert signals(html)[vocab.PAGE_TYPE_PROSE_RUN] > 300
    script_first = "<script>var a = 1;</script>" + article_html()  # old pages open with a script
    assert signals(script_first)[vocab.PAGE_TYPE_PROSE_RUN] > 300


def _decide(html: str, kind: str = "html", lang: str = "en"):
    doc = Document(text=html, id="d", metadata={vocab.PAYLOAD_KIND: kind, vocab.LANG: lang})
    doc.metadata.update(PageTypeScorer().score(doc))
    return doc, ThresholdFilter(None, vocab.PAGE_TYPE, page_type_rules(load_config(None))).filter(doc)


def test_stage_drops_the_index_keeps_the_article_and_never_judges_text_inputs():
    assert _decide(index_html())[1] == (False, vocab.R_LIST_PAGE)
    assert _decide(article_html())[1] is True
    doc, verdict = _decide(index_html(), kind="text")  # JSONL / WET: no HTML, no signals
    assert verdict is True and not any(k in doc.metadata for k in vocab.signal_keys(vocab.PAGE_TYPE))


def test_thresholds_per_language_from_the_data_file_and_overrides():
    rules = page_type_rules(load_config(None))
    assert set(rules) >= {"en", "zh", "*"}
    assert all(r.reason == vocab.R_LIST_PAGE for rs in rules.values() for r in rs)
    en_min = rules["en"][0].min
    cfg = load_config(
        None, thresholds={"zh": {"page_type_prose_run": {"min": None}}, "*": {"page_type_link_density": {"max": 0.95}}}
    )
    rules = page_type_rules(cfg)
    assert [r.key for r in rules["zh"]] == [vocab.PAGE_TYPE_LINK_DENSITY]
    assert {(r.key, r.min, r.max) for r in rules["en"]} == {
        (vocab.PAGE_TYPE_PROSE_RUN, en_min, None),
        (vocab.PAGE_TYPE_LINK_DENSITY, None, 0.95),
    }


@pytest.mark.parametrize(
    "overrides,key",
    [
        ({"en": {"page_type_prose_run": {"low": 3}}}, "thresholds.en.page_type_prose_run.low"),
        ({"en": {"page_type_text_chars": {"min": 3}}}, "thresholds.en.page_type_text_chars"),
    ],
)
def test_bad_threshold_names_its_key(overrides, key):
    with pytest.raises(ConfigError) as e:
        load_config(None, thresholds=overrides)  # at load, before any output is written
    assert e.value.key == key


def test_refilter_set_routes_page_type_signals():
    from corpus.refilter import parse_set

    assert parse_set("zh.page_type_prose_run.min=50") == {"thresholds": {"zh": {"page_type_prose_run": {"min": 50}}}}
    assert parse_set("page_type_link_density.max=0.9") == {
        "thresholds": {"*": {"page_type_link_density": {"max": 0.9}}}
    }


def _warc(path, pages):
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with open(path, "wb") as fh:
        w = WARCWriter(fh, gzip=True)
        for url, html in pages:
            body = html.encode("utf-8")
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            w.write_record(w.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http))
    return path


def test_build_drops_the_index_and_refilter_replays_it(tmp_path):
    from corpus.build import build
    from corpus.refilter import effective_config, refilter
    from corpus.core.sql import connect

    warc = _warc(
        tmp_path / "in.warc.gz", [("https://a.example/story", article_html()), ("https://a.example/", index_html())]
    )
    jsonl = tmp_path / "in.jsonl.gz"
    with gzip.open(jsonl, "wt", encoding="utf-8") as f:  # a short text: no HTML, so never a list page
        f.write(json.dumps({"text": PARAS[0], "url": "https://b.example/x"}) + "\n")
    cfg = load_config(
        None,
        inputs=(str(warc), str(jsonl)),
        output=str(tmp_path / "out"),
        stages=("url_filter", "lang_id", "page_type"),
    )
    assert build(cfg).exit_code == 0
    q = "select url, fate, stage, reason, page_type_prose_run from docs order by url"
    rows = {r[0]: r[1:] for r in connect(str(tmp_path / "out")).execute(q).fetchall()}
    assert rows["https://a.example/"][:3] == ("dropped", vocab.PAGE_TYPE, vocab.R_LIST_PAGE)
    assert rows["https://a.example/story"][0] == "kept" and rows["https://a.example/story"][3] > 300
    assert rows["https://b.example/x"] == ("kept", None, None, None)
    # loosened after the fact: the index comes back without recomputing anything
    cfg2 = effective_config(str(tmp_path / "out"), sets=("en.page_type_prose_run.min=0",))
    refilter(str(tmp_path / "out"), str(tmp_path / "out2"), cfg2)
    kept = connect(str(tmp_path / "out2")).execute("select count(*) from kept").fetchone()[0]
    assert kept == 3


# ---------------------------------------------------------------- one parse per page (page_type and extraction)

NAV6 = "".join(f'<li><a href="/s/{i}">Section {i}</a></li>' for i in range(6))
FOOT6 = "".join(f'<li><a href="/f/{i}">Footer link {i}</a></li>' for i in range(6))


def harbour_html(hidden: bool = True) -> str:
    """An article with a nav bar, a footer, a data table, and (`hidden`) a <title>, a <style>, comments,
    a <noscript> paragraph and a <button> inside a paragraph."""
    h = (lambda s: s) if hidden else (lambda s: "")
    return (
        f"<!DOCTYPE html><html><head>{h('<title>Harbour</title><style>p{color:red}</style>')}</head><body>"
        f'{h("<!-- masthead -->")}<nav><ul class="menu">{NAV6}</ul></nav>'
        "<article><h1>The harbour wall is repaired</h1>"
        f"<p>Work on the old harbour wall finished on Friday, {h('<!-- ed. note -->')}three weeks ahead of the "
        "schedule the port authority set in spring.</p>"
        + h(
            "<noscript><p>Enable scripts to see the map of the harbour and every mooring along the wall.</p></noscript>"
        )
        + f"<p>The contractor replaced four hundred metres of stone{h('<button>Share this</button>')} and raised the "
        "parapet by half a metre to keep winter waves off the road.</p>"
        "<p>Fishing boats that had moored in the next bay since March can return to their berths from Monday, "
        "the authority said.</p>"
        "<table><tr><td>Cost</td><td>2.1 million</td></tr><tr><td>Length</td><td>400 m</td></tr></table>"
        f'</article><footer><ul class="menu">{FOOT6}</ul></footer></body></html>'
    )


# what the two-parse code (lxml's own parser for the signals, trafilatura's for the text) gave for harbour_html()
HARBOUR_SIGNALS = {
    vocab.PAGE_TYPE_TEXT_CHARS: 459,
    vocab.PAGE_TYPE_LINKS: 12,
    vocab.PAGE_TYPE_LINK_DENSITY: 0.248366,
    vocab.PAGE_TYPE_PROSE_RUN: 345,
    vocab.PAGE_TYPE_LIST_SHARE: 0.0,
}
HARBOUR_TEXT = (
    "The harbour wall is repaired\n"
    "Work on the old harbour wall finished on Friday, three weeks ahead of the schedule the port authority set in "
    "spring.\n"
    "The contractor replaced four hundred metres of stone and raised the parapet by half a metre to keep winter waves "
    "off the road.\n"
    "Fishing boats that had moored in the next bay since March can return to their berths from Monday, the authority "
    "said.\n"
    "| Cost | 2.1 million |\n"
    "| Length | 400 m |"
)


def test_hidden_elements_and_comments_are_skipped_on_the_shared_tree_not_removed():
    from lxml import etree

    from corpus.core.extract import parse_page
    from filters.page_type import shape_of

    tree = parse_page(harbour_html())
    before = etree.tostring(tree)
    shape = shape_of(tree)
    assert etree.tostring(tree) == before  # read only: extraction gets the page as trafilatura parsed it
    assert tree.find(".//noscript") is not None and tree.find(".//button") is not None
    assert shape == shape_of(parse_page(harbour_html(hidden=False)))  # as if they were not there
    assert shape.signals() == HARBOUR_SIGNALS
    # a tree that keeps its comments (lxml's own parser keeps them): skipped, their tails counted
    kept = etree.fromstring(harbour_html().encode(), etree.HTMLParser())
    assert any(isinstance(e, etree._Comment) for e in kept.iter())
    assert shape_of(kept) == shape


def test_one_parse_gives_the_two_parse_signals_and_text_and_the_tree_goes_with_extraction(tmp_path):
    from corpus.core.extract import HTML_TREE, Extractor
    from corpus.core.layout import Layout

    doc = Document(text=harbour_html(), id="h", metadata={vocab.PAYLOAD_KIND: "html", vocab.URL: "https://h.example/a"})
    (doc,) = PageTypeScorer().run([doc])
    assert {k: doc.metadata[k] for k in HARBOUR_SIGNALS} == HARBOUR_SIGNALS
    assert doc.metadata[HTML_TREE] is not None  # parsed once, for extraction too
    (out,) = Extractor(Layout(str(tmp_path)), timeout_s=60).run([doc])
    assert out.text == HARBOUR_TEXT
    assert HTML_TREE not in out.metadata
    # without the scorer (page_type not among the stages) the Extractor parses the page itself: same text
    alone = Document(text=harbour_html(), id="a", metadata={vocab.PAYLOAD_KIND: "html"})
    assert next(Extractor(Layout(str(tmp_path))).run([alone])).text == HARBOUR_TEXT
