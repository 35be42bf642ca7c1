import gzip
import io
import json
import os

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from corpus.core import vocab
from corpus.build import build
from corpus.core.charset import decode
from corpus.demo import write_demo_warc
from corpus.core.readers import detect_format, resolve_inputs
from tests.corpus.helpers import make_config


def write_warc(path, pages):
    with open(path, "wb") as fh:
        w = WARCWriter(fh, gzip=True)
        for url, ctype, body in pages:
            http = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.1")
            w.write_record(w.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http))
    return path


ARTICLE = "<p>" + "The survey covered eleven sites along the river this year, two more than last year. " * 20 + "</p>"
ZH_ARTICLE = "<p>" + "今年的调查覆盖了十一个采样点，比去年多了两个，结果喜忧参半。" * 20 + "</p>"


@pytest.mark.parametrize(
    "body, ctype, expected, source",
    [
        (ZH_ARTICLE.encode("gbk"), "text/html; charset=gbk", "gb18030", "http_header"),
        (('<meta charset="gb2312">' + ZH_ARTICLE).encode("gbk"), "text/html", "gb18030", "meta"),
        # header lies (says utf-8, bytes are GBK): the meta tag is honoured next
        (
            ('<meta http-equiv="Content-Type" content="text/html; charset=gbk">' + ZH_ARTICLE).encode("gbk"),
            "text/html; charset=utf-8",
            "gb18030",
            "meta",
        ),
        (ZH_ARTICLE.encode("utf-8"), "text/html", "utf-8", "detected"),
    ],
)
def test_charset_order(body, ctype, expected, source):
    text, codec, how = decode(body, ctype)
    assert (codec, how) == (expected, source)
    assert "采样点" in text


def test_charset_missing_label_on_gbk_is_detected():
    text, codec, how = decode(("<html><body>" + ZH_ARTICLE * 3 + "</body></html>").encode("gbk"), "text/html")
    assert how == "detected" and "采样点" in text


@pytest.mark.parametrize(
    "name, fmt",
    [
        ("a.warc.gz", "warc"),
        ("a.warc.wet.gz", "wet"),
        ("x.jsonl.zst", "jsonl"),
        ("x.parquet", "parquet"),
        ("x.jsonl", "jsonl"),
    ],
)
def test_detect_format(name, fmt):
    assert detect_format(name) == fmt


def test_resolve_inputs_dirs_globs_missing(tmp_path):
    (tmp_path / "d").mkdir()
    for n in ("a.warc.gz", "b.jsonl"):
        (tmp_path / "d" / n).write_bytes(b"")
    files, missing = resolve_inputs((str(tmp_path / "d"), str(tmp_path / "d" / "*.jsonl"), str(tmp_path / "nope")))
    assert [os.path.basename(f) for f in files] == ["a.warc.gz", "b.jsonl"]
    assert missing == [str(tmp_path / "nope")]


@pytest.fixture(scope="module")
def broken_build(tmp_path_factory):
    """One build over every kind of broken input at once: nothing may stop the run."""
    d = tmp_path_factory.mktemp("broken")
    demo = write_demo_warc(str(d / "demo.warc.gz"))
    data = open(demo, "rb").read()
    (d / "truncated.warc.gz").write_bytes(data[: len(data) // 2])
    (d / "random.warc.gz").write_bytes(os.urandom(5000))
    (d / "empty.warc.gz").write_bytes(b"")
    big = "<html><body>" + "<p>" + "word " * 200 + "</p>" * 1 + "x" * 20_000_000 + "</body></html>"
    write_warc(
        str(d / "odd.warc.gz"),
        [
            (
                "https://a.example/gbk-no-label",
                "text/html",
                ("<html><body>" + ZH_ARTICLE + "</body></html>").encode("gbk"),
            ),
            (
                "https://a.example/lying-header",
                "text/html; charset=utf-8",
                ("<html><body>" + ZH_ARTICLE + "</body></html>").encode("gbk"),
            ),
            ("https://a.example/huge", "text/html", big.encode()),
            (
                "https://a.example/ok",
                "text/html; charset=utf-8",
                ("<html><body>" + ARTICLE + "</body></html>").encode(),
            ),
        ],
    )
    rows = [{"text": "A plain text record. " * 30, "url": "https://b.example/1"}, "not json", {"no_text": 1}]
    with gzip.open(d / "docs.jsonl.gz", "wt") as f:
        for r in rows:
            f.write((json.dumps(r) if isinstance(r, dict) else r) + "\n")
    out = d / "out"
    result = build(make_config([d / "*.gz", d / "missing.warc.gz"], out, stages=["url_filter", "lang_id"]))
    return result, out


def test_broken_inputs_accounted_per_shard(broken_build):
    result, out = broken_build
    assert result.exit_code == 1  # unreadable shards and a missing path: reported, non-zero, after the rest
    for src, s in result.shards.items():
        assert s["records"] == s["kept"] + s["dropped"] + s["failed"], src
    by_name = {os.path.basename(k): v for k, v in result.shards.items()}
    assert by_name["demo.warc.gz"]["failed"] == 0 and by_name["demo.warc.gz"]["records"] == 19
    assert by_name["empty.warc.gz"]["records"] == 0 and by_name["empty.warc.gz"]["shard_errors"] == 0
    assert by_name["random.warc.gz"]["failed"] == 1 and by_name["random.warc.gz"]["shard_errors"] == 1
    assert by_name["truncated.warc.gz"]["shard_errors"] == 1
    assert by_name["truncated.warc.gz"]["kept"] + by_name["truncated.warc.gz"]["dropped"] > 0  # records before the cut
    assert by_name["missing.warc.gz"]["failed"] == 1
    assert by_name["docs.jsonl.gz"]["records"] == 3 and by_name["docs.jsonl.gz"]["failed"] == 2
    t = result.funnel["totals"]
    assert sum(t.values()) == sum(s["records"] for s in result.shards.values())


def test_broken_inputs_reasons(broken_build):
    from corpus.core.sql import connect

    _, out = broken_build
    con = connect(str(out))
    fate = dict(
        con.execute("select url, fate || ':' || coalesce(reason, '') from docs where url like '%a.example%'").fetchall()
    )
    assert fate["https://a.example/huge"] == "dropped:" + vocab.R_OVERSIZED
    assert fate["https://a.example/ok"] == "kept:"
    assert fate["https://a.example/gbk-no-label"] == "kept:"
    assert fate["https://a.example/lying-header"] == "kept:"
    lang = dict(con.execute("select url, lang from kept").fetchall())
    assert lang["https://a.example/lying-header"] == "zh"
    errors = {r[0] for r in con.execute("select error_class from failed").fetchall()}
    assert {"InputError", "JSONDecodeError"} <= errors
