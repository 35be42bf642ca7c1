"""The `teasers` negatives: home pages composed from (headline, blurb) rows and interface words."""

import csv
import gzip

import pytest

from filters.models.sources import read_source
from filters.models.synthetic import first_sentence, interface_words, teaser_pages

ITEMS = [
    (f"Headline number {i} (AP)", f"AP - The first sentence of item {i} says what happened today. A second one.")
    for i in range(20)
]


def test_teaser_pages_are_headlines_blurbs_and_interface_lines_and_repeat_with_the_seed():
    pages = teaser_pages(ITEMS, 50, "en", seed=3)
    assert len(pages) == 50 and pages == teaser_pages(ITEMS, 50, "en", seed=3)
    assert pages != teaser_pages(ITEMS, 50, "en", seed=4)
    words = interface_words("en")
    interface = {*words["navigation"], *words["actions"]}
    for page in pages:
        lines = page.split("\n")
        headlines = [x for x in lines if x.startswith("Headline number ")]
        assert 4 <= len(headlines) <= 10 and not any("(AP)" in x for x in headlines)
        assert all(
            x in interface or x.startswith(("Headline", "AP - The first", "©")) or x[:3] in words["months"]
            for x in lines
        ), page
        assert "A second one." not in page  # a blurb is its first sentence
    assert sum(any(x in words["actions"] for x in p.split("\n")) for p in pages) > 25


@pytest.mark.parametrize(
    "text, first",
    [
        ("Short. " + "x" * 300, "Short. " + "x" * 213),  # no sentence end within 30-220 characters: the start
        ("A sentence that is long enough to count. Then more.", "A sentence that is long enough to count."),
        ("Line one\\nstill one sentence here, and it ends! Next", "Line one nstill one sentence here, and it ends!"),
    ],
)
def test_a_blurb_is_the_first_sentence(text, first):
    assert first_sentence(text) == first


def test_a_teasers_source_reads_title_and_blurb_columns(tmp_path):
    path = tmp_path / "news.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([["3", t, b] for t, b in ITEMS])
    spec = {"path": "news.csv.gz", "format": "csv", "header": False, "field": "1", "blurb": "2", "teasers": 7}
    pages = read_source(tmp_path, spec, "en")
    assert len(pages) == 7 and all("Headline number" in p for p in pages)
    with pytest.raises(ValueError, match="no interface words for 'xx'"):
        read_source(tmp_path, spec, "xx")
