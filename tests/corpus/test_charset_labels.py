"""A right charset label on a page with a few undecodable bytes is still believed (as browsers do)."""

import pytest

from corpus.core.charset import decode

ZH = "<p>" + "今年的调查覆盖了十一个采样点，比去年多了两个，结果喜忧参半。" * 40 + "</p>"
STRAY = b"\xb0\x20"  # a GB lead byte followed by a space: no codec of the GB family decodes it


def with_stray(head: str) -> bytes:
    return (head + "<html><body>" + ZH).encode("gbk") + STRAY + (ZH + "</body></html>").encode("gbk")


@pytest.mark.parametrize(
    "body, ctype, source",
    [
        (with_stray(""), "text/html; charset=gb2312", "http_header"),
        (with_stray('<meta charset="gbk">'), "text/html", "meta"),
    ],
)
def test_label_kept_despite_stray_byte(body, ctype, source):
    with pytest.raises(UnicodeDecodeError):
        body.decode("gb18030")  # strict decoding fails: the page really has a bad byte
    text, codec, how = decode(body, ctype)
    assert (codec, how) == ("gb18030", source)
    assert text.count("\ufffd") == 1
    assert text.count("采样点") == 80


def test_wrong_label_with_many_errors_falls_back_to_detection():
    body = ("<html><body>" + ZH + "</body></html>").encode("gbk")
    text, codec, how = decode(body, "text/html; charset=utf-8")
    assert how == "detected" and codec != "utf-8"
    assert "采样点" in text
