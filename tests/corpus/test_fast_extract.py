"""The fast extraction path: which pages the chooser trusts resiliparse with, and the signal it leaves."""

import pytest

from corpus.core import vocab
from corpus.build import build
from corpus.demo import write_demo_warc
from corpus.core.extract import Extractor
from corpus.core.fast_extract import FAST, FULL, fast_page, reliable
from corpus.core.layout import Layout
from corpus.core.sql import connect
from tests.corpus.helpers import make_config

PARAS = [
    f"Paragraph {i} of the report: the survey covered eleven sites along the river this year, two more "
    "than the year before, and the water was clearer at most of them."
    for i in range(6)
]
ZH_PARAS = [f"第{i}段：今年的调查覆盖了十一个采样点，比去年多了两个，多数采样点的河水比去年更清澈。" for i in range(20)]


def article(paras: list[str], nav_links: int = 3) -> str:
    nav = "".join(f"<li><a href='/s/{i}'>Section {i}</a></li>" for i in range(nav_links))
    body = "".join(f"<p>{p}</p>" for p in paras)
    return (
        f"<html><head><title>River report</title></head><body><nav><ul>{nav}</ul></nav>"
        f"<article><h1>River report</h1>{body}</article><footer>Contact</footer></body></html>"
    )


def portal(paras: list[str]) -> str:
    """An article framed by link blocks: channel bar, 'top stories', an archive list."""

    def links(n, label):
        return "".join(f"<li><a href='/{label}/{i}'>{label} story number {i}</a></li>" for i in range(n))

    body = "".join(f"<p>{p}</p>" for p in paras)
    return (
        f"<html><body><ul>{links(30, 'channel')}</ul><div>{body}</div><ul>{links(40, 'top')}</ul>"
        f"<ul>{links(40, 'archive')}</ul></body></html>"
    )


@pytest.fixture
def fast(tmp_path):
    return Extractor(Layout(str(tmp_path)), mode="fast")


@pytest.mark.parametrize("paras", [PARAS, ZH_PARAS])
def test_clean_article_takes_the_fast_path(fast, paras):
    html = article(paras)
    text, used = fast.choose(html, "https://a.example/r")
    assert used == FAST
    assert text.split("\n") == ["River report", *paras] == fast.extract(html, None).split("\n")  # as trafilatura


@pytest.mark.parametrize("paras", [PARAS, ZH_PARAS])
def test_link_heavy_page_falls_back_to_trafilatura(fast, paras):
    html = portal(paras)
    assert not reliable(fast_page(html), fast.fast_max_links)
    text, used = fast.choose(html, "https://a.example/r")
    assert used == FULL and paras[0] in text


def test_short_fast_text_falls_back(fast):
    _, used = fast.choose(article(["A short note on the river."]), None)
    assert used == FULL


def test_trafilatura_mode_never_uses_the_fast_path(tmp_path):
    _, used = Extractor(Layout(str(tmp_path))).choose(article(PARAS), None)
    assert used == FULL


def test_extractor_signal_reaches_the_parquet_rows(tmp_path):
    warc = write_demo_warc(str(tmp_path / "demo.warc.gz"))
    build(make_config([warc], tmp_path / "out", stages=["lang_id"], extract={"mode": "fast"}))
    rows = (
        connect(str(tmp_path / "out"))
        .execute(
            f"select {vocab.EXTRACTOR}, count(*) from docs where {vocab.PAYLOAD_KIND} = 'html' "
            f"and stage is distinct from '{vocab.CONTENT}' group by all"
        )
        .fetchall()
    )
    assert dict(rows).keys() <= {FAST, FULL} and sum(n for _, n in rows) > 0
    assert FAST in dict(rows)  # the demo articles are clean pages


def test_unknown_mode_is_a_config_error_naming_it():
    from corpus.config import load_config
    from corpus.core.configlib import ConfigError

    with pytest.raises(ConfigError) as e:
        load_config(None, extract={"mode": "quick"})
    assert e.value.key == "extract.mode" and "'quick'" in str(e.value) and "fast" in str(e.value)
