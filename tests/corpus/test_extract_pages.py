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
