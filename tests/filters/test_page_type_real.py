"""page_type on the shared real pages: list/index pages out, article pages kept (counts)."""

import gzip
import hashlib

import pytest

from corpus.core import vocab
from corpus.core.charset import decode
from corpus.config import load_config
from filters.page_type import STAGES, page_shape
from corpus.core.steps import rules_for

pytestmark = pytest.mark.realdata

ZH_MORE = "html/zh-more"
# set -> (glob under the shared data, language the page is judged in, most pages the rules may drop)
SETS = {
    "list": (("gne_news_pages/test_list_page/*/*.html.gz", "gerapy_samples/list/*.html.gz"), "zh", None),
    "gerapy-detail": (("gerapy_samples/detail/*.html.gz",), "zh", 0),
    "gne-articles": (("gne_news_pages/tests/*/*.html.gz",), "zh", 3),  # 5% of 62: the 90% floor with room
}


def _unique_pages(paths) -> list[bytes]:
    seen, out = set(), []
    for p in sorted(paths):
        body = gzip.open(p).read()
        if (h := hashlib.sha256(body).digest()) not in seen:  # Gerapy's sample.html repeats a page
            seen.add(h)
            out.append(body)
    return out


def _dropped(bodies: list[bytes], lang: str) -> int:
    rules = rules_for(STAGES[0].rules_of(load_config(None)), lang)
    n = 0
    for body in bodies:
        shape = page_shape(decode(body)[0])
        signals = shape.signals() if shape else {}
        n += any(r.fires(signals.get(r.key)) for r in rules)
    return n


def test_list_pages_dropped_and_article_pages_kept(shared_data):
    for name, (globs, lang, most) in SETS.items():
        bodies = _unique_pages([p for g in globs for p in (shared_data / ZH_MORE).glob(g)])
        dropped = _dropped(bodies, lang)
        if name == "list":
            assert len(bodies) == 13 and dropped >= 11, f"{dropped} of 13 list pages dropped"
        else:
            assert dropped <= most, f"{name}: {dropped} of {len(bodies)} article pages dropped"


@pytest.mark.parametrize("folder,lang,most", [("en-articles", "en", 2), ("zh-news", "zh", 2)])
def test_gold_article_pages_kept(shared_data, folder, lang, most):
    bodies = _unique_pages((shared_data / "html" / folder / "pages").glob("*.html.gz"))
    assert len(bodies) >= 69
    dropped = _dropped(bodies, lang)
    assert dropped <= most, f"{folder}: {dropped} of {len(bodies)} gold article pages dropped"


def test_real_build_drops_list_pages_at_page_type(tmp_path, shared_data):
    """Through `corpus build` (reader, charset detection, the scorer before extraction, lid.176)."""
    from evalsets.retention_inputs import html_pages, write_warc
    from corpus.build import build
    from corpus.core.sql import connect

    sets = html_pages(shared_data)
    pages = sets["list-pages"] + sets["gerapy-detail"]
    write_warc(tmp_path / "pages.warc.gz", pages)
    cfg = load_config(
        None,
        inputs=(str(tmp_path / "pages.warc.gz"),),
        output=str(tmp_path / "out"),
        stages=("url_filter", "lang_id", "page_type"),
    )
    assert build(cfg).exit_code == 0
    rows = connect(str(tmp_path / "out")).execute("select url, fate, stage, reason from docs").fetchall()
    lists = [r for r in rows if "/list" in r[0]]
    details = [r for r in rows if "/detail/" in r[0]]
    assert len(lists) == 13 and len(details) == 4
    assert sum(r[2:] == (vocab.PAGE_TYPE, vocab.R_LIST_PAGE) for r in lists) >= 11
    assert all(r[1] == "kept" for r in details)
