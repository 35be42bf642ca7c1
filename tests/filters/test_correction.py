"""Correction formatter: boilerplate lines out, whitespace normalised, full-width punctuation kept."""

import pytest
from datatrove.data import Document

from corpus.core import vocab as v
from filters.correction import CorrectionFormatter, normalise_whitespace, remove_boilerplate


@pytest.mark.parametrize(
    "line",
    [
        "This website uses cookies to improve your experience.",
        "Accept all cookies",
        "Share this article",
        "Home > News > World",
        "Please enable JavaScript to view the comments.",
        "分享到：微信 微博",
        "当前位置：首页 > 新闻中心",
        "首页 > 新闻 > 国内",
        "返回顶部",
    ],
)
def test_boilerplate_removed(line):
    text, removed = remove_boilerplate(f"正文第一段。\n{line}\nThe real paragraph stays here.")
    assert removed == 1 and line not in text


@pytest.mark.parametrize(
    "line",
    [
        "The study of cookies in medieval Europe shows that bakers shared recipes widely, " * 3,
        "首页设计是本文讨论的重点之一。",
        "Share prices rose sharply on Monday.",
    ],
)
def test_content_kept(line):
    assert remove_boilerplate(line) == (line, 0)


def test_whitespace_normalised_fullwidth_kept():
    text = "  第一段，  有多余　空格。  \n\n\n\n第二段：“引号”（括号）！\t\tEnd  of   line  "
    out = normalise_whitespace(text)
    assert out == "第一段， 有多余　空格。\n\n第二段：“引号”（括号）！ End of line"


def test_formatter_records_counts():
    doc_text = "Share this\nA real sentence  here.\nWe use cookies on this site."
    doc = Document(text=doc_text, id="x", metadata={})
    (out,) = list(CorrectionFormatter().run(iter([doc])))
    assert out.text == "A real sentence here."
    assert out.metadata[v.CORRECTION_LINES_REMOVED] == 2
    assert out.metadata[v.CORRECTION_CHARS_REMOVED] == len(doc_text) - len(out.text)
