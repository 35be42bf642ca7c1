"""Pages with no charset label anywhere: detection prefers codecs that decode to plausible text."""

import gzip
import json
import re

import pytest

from corpus.core.charset import decode

ZH = "今年的调查覆盖了十一个采样点，比去年多了两个，结果喜忧参半。河流上游的水质有所改善，下游仍令人担忧。"
HANT = "今年的調查覆蓋了十一個採樣點，比去年多了兩個，結果喜憂參半。河流上游的水質有所改善，下游仍令人擔憂。"
EN = "The café’s “crème brûlée” costs €5 — naïve reviewers call it the best in town. "
JA = "東京都は日本の首都であり、世界でも有数の大都市です。今日はとても良い天気ですね。"
KO = "서울은 대한민국의 수도이며 세계적인 대도시입니다. 오늘은 날씨가 아주 좋네요."


def _han_found(gold: str, text: str) -> bool:
    """Nearly every Han character of the gold text occurs in the decoded page (mojibake: few do)."""
    chars = set(re.findall(r"[\u4e00-\u9fff]", gold))
    return len(chars & set(text)) >= 0.95 * len(chars)


def page(text: str, repeat: int = 20) -> str:
    # no <meta charset>, and the reader gives no Content-Type charset: detection alone decides
    return f"<html><head><title>t</title></head><body><p>{text * repeat}</p></body></html>"


@pytest.mark.parametrize(
    "text, codec",
    [
        (ZH, "gb18030"),
        (ZH, "utf-8"),
        (HANT, "big5hkscs"),
        (HANT, "gb18030"),
        (EN, "cp1252"),
        (EN, "utf-8"),
        (JA, "shift_jis"),
        (JA, "euc_jp"),
        (KO, "euc_kr"),
    ],
)
def test_unlabelled_page_decodes_to_its_text(text, codec):
    body = page(text).encode(codec)
    decoded, found, source = decode(body, "text/html")
    assert decoded == page(text)
    assert source == "detected"


@pytest.mark.parametrize("tail", ["It’s done. © 2019 River Trust", "© 2019 River Trust"])
def test_english_page_with_a_few_cp1252_bytes(tail):
    # too few non-ASCII bytes for a mess score: half-width katakana (Shift-JIS) or a rare Han
    # character (GB18030) would read as cleanly as the right accents
    text = page("The river survey covered eleven sites this year. ", 30).replace("</p>", tail + "</p>")
    decoded, codec, _ = decode(text.encode("cp1252"))
    assert decoded == text and codec == "cp1252"


def test_gb_page_with_a_character_cut_in_half():
    # a title truncated mid-character ("...") leaves a lone GB lead byte: general detection then
    # rejected GB18030 and read the page as ISO-8859-5 (Cyrillic)
    head, tail = page(ZH, 10).encode("gb18030"), page(ZH, 10).encode("gb18030")
    body = head + "标题".encode("gb18030")[:1] + b"..." + tail
    with pytest.raises(UnicodeDecodeError):
        body.decode("gb18030")
    text, codec, source = decode(body)
    assert (codec, source) == ("gb18030", "detected")
    assert text.count(ZH) == 20 and text.count("\ufffd") == 1


def test_utf8_page_with_a_stray_byte_stays_utf8():
    body = page(ZH, 10).encode("utf-8") + "标".encode("utf-8")[:2] + page(ZH, 10).encode("utf-8")
    text, codec, _ = decode(body)
    assert codec == "utf-8" and text.count(ZH) == 20


def test_other_script_falls_back_to_general_detection():
    ru = "Москва — столица России, крупнейший по численности населения город страны. "
    text, codec, source = decode(page(ru).encode("cp1251"))
    assert source == "detected" and ru in text


@pytest.mark.realdata
def test_zh_news_pages_decode_with_their_gold_encoding(shared_data):
    """Every page of the labelled zh-news set: the encoding its annotators recorded (GB2312 and GBK
    decode as their superset GB18030), and Han text from the pages with no label at all."""
    folder = shared_data / "html" / "zh-news"
    with gzip.open(folder / "ground-truth.json.gz", "rt", encoding="utf-8") as f:
        truth = json.load(f)
    family = {"gb2312": "gb18030", "gbk": "gb18030", "utf8": "utf-8"}
    wrong = []
    for pid, gold in truth.items():
        with gzip.open(folder / "pages" / f"{pid}.html.gz", "rb") as f:
            text, codec, _ = decode(f.read())
        expected = family.get(gold.get("encoding"), codec)  # "unset" or none recorded: either family
        if codec != expected or codec not in ("gb18030", "utf-8") or not _han_found(gold["content"], text):
            wrong.append((pid, gold.get("encoding"), codec))
    assert not wrong
