"""Extraction of pages trafilatura alone returns nothing for."""

import pytest
import trafilatura

from corpus.core.extract import Extractor
from corpus.core.layout import Layout

BODY = "<p>" + "The survey covered eleven sites along the river this year, two more than last year. " * 20 + "</p>"
ZH_BODY = "<p>" + "今年的调查覆盖了十一个采样点，比去年多了两个，结果喜忧参半。" * 20 + "</p>"
# Old portal pages open with a script before <html> ("html" is not in the first 50 characters)
# and leave a CMS tag open in <head>, so lxml finds a single top-level element.
SCRIPT_FIRST = "<script>\nfunction checkName() {\n  if (document.f.a.value == '') { return false; }\n}\n</script>\n"
CMS_HEAD = "<cms:include>"


def page(body: str, prefix: str = "") -> str:
    return f"{prefix}<html>\n<head><title>Report</title>{CMS_HEAD}</head>\n<body><div>{body}</div></body></html>"


@pytest.fixture
def extractor(tmp_path):
    return Extractor(Layout(str(tmp_path)))


@pytest.mark.parametrize("body, needle", [(BODY, "eleven sites"), (ZH_BODY, "采样点")])
def test_script_before_html_is_extracted(extractor, body, needle):
    html = page(body, SCRIPT_FIRST)
    assert not trafilatura.extract(html)  # what the retry is for
    text = extractor.extract(html, "https://a.example/x")
    assert needle in text and "checkName" not in text


@pytest.mark.parametrize("html", [page(BODY), page(BODY, SCRIPT_FIRST)])
def test_same_text_with_or_without_leading_script(extractor, html):
    assert extractor.extract(html, None) == extractor.extract(page(BODY), None)


def test_page_without_main_text_stays_empty(extractor):
    assert extractor.extract(page("<img src='/a.png'>", SCRIPT_FIRST), None) == ""


def _scored(html: str, kind: str = "html"):
    from datatrove.data import Document

    from corpus.core import vocab
    from filters.page_type import PageTypeScorer

    doc = Document(text=html, id="d", metadata={vocab.PAYLOAD_KIND: kind})
    return next(PageTypeScorer().run([doc]))


def test_page_trafilatura_rejects_keeps_its_signals_and_retry(extractor):
    """The scorer's parse is trafilatura's: a page it rejects leaves None for the Extractor (no tree to
    extract from), its signals come from lxml's own parser, and the retry with <html> still runs."""
    from corpus.core import vocab
    from corpus.core.extract import HTML_TREE, parse_page

    html = page(BODY, SCRIPT_FIRST)
    assert parse_page(html) is None
    doc = _scored(html)
    assert doc.metadata[HTML_TREE] is None and doc.metadata[vocab.PAGE_TYPE_PROSE_RUN] > 1000
    (out,) = extractor.run([doc])
    assert HTML_TREE not in out.metadata
    assert out.text == extractor.extract(html, None) and "eleven sites" in out.text


def test_tree_leaves_the_document_whatever_extracts_it(tmp_path):
    from corpus.core import vocab
    from corpus.core.extract import HTML_TREE
    from corpus.core.fast_extract import FAST

    fast = Extractor(Layout(str(tmp_path)), mode="fast")
    (out,) = fast.run([_scored(page(BODY))])  # resiliparse's text, trafilatura never called
    assert out.metadata[vocab.EXTRACTOR] == FAST
    assert HTML_TREE not in out.metadata and "eleven sites" in out.text
    doc = _scored(page(BODY), kind="text")  # no HTML: no tree
    assert HTML_TREE not in doc.metadata
