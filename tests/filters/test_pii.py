"""PII anonymisation on real-format samples: what is replaced and what is left alone."""

import pytest
from datatrove.data import Document

from corpus.core import vocab as v
from filters.pii import PiiFormatter, anonymise, cn_id_valid

# 11010519491231002X is the check-digit example of GB 11643-1999; the others are built with it
VALID_IDS = ["11010519491231002X", "440308199901011234", "310104200012310015"]
INVALID_IDS = ["110105194912310021", "440308199901011233", "31010420001231001X"]


@pytest.mark.parametrize("number", VALID_IDS)
def test_valid_id_checksum(number):
    assert cn_id_valid(number)


@pytest.mark.parametrize("number", INVALID_IDS)
def test_invalid_id_checksum(number):
    assert not cn_id_valid(number)


@pytest.mark.parametrize(
    "text,placeholder,key",
    [
        ("联系邮箱：zhang.san@mail.example.cn，欢迎来信。", "<EMAIL_1>", v.PII_EMAILS),
        ("Write to jane_doe+news@example.co.uk today.", "<EMAIL_1>", v.PII_EMAILS),
        ("手机 13812345678 或 +86 139-1234-5678", "<PHONE_1>", v.PII_PHONES),
        ("Call +44 20 7946 0958 or (212) 555-0199.", "<PHONE_1>", v.PII_PHONES),
        ("身份证号 11010519491231002X 已登记", "<ID_NUMBER_1>", v.PII_CN_IDS),
        ("server at 203.0.113.42 answered", "<IP_1>", v.PII_IPS),
        ("IPv6 2001:db8:85a3::8a2e:370:7334 is up", "<IP_1>", v.PII_IPS),
    ],
)
def test_replaced(text, placeholder, key):
    out, counts = anonymise(text)
    assert placeholder in out
    assert counts[key] >= 1


@pytest.mark.parametrize(
    "text",
    [
        "身份证号 110105194912310021 校验位错误",  # bad checksum: not an ID, and 18 digits are no phone
        "Version 1.2.3 released in 2024, build 12:30:45.",
        "Invalid address 999.1.1.1 and price 1,234,567.",
        "订单号 2023123112345678901 已发货",  # 19 digits
        "电话区号 010，邮编 100871。",
        "ratio 12:34 at time 10:20",
    ],
)
def test_left_alone(text):
    out, counts = anonymise(text)
    assert out == text and sum(counts.values()) == 0


def test_placeholders_are_stable_within_a_document():
    text = "a@example.com wrote to b@example.com; reply to a@example.com. 13812345678, 13812345678"
    out, counts = anonymise(text)
    assert out == "<EMAIL_1> wrote to <EMAIL_2>; reply to <EMAIL_1>. <PHONE_1>, <PHONE_1>"
    assert counts[v.PII_EMAILS] == 3 and counts[v.PII_PHONES] == 2


def test_formatter_counts_as_signals():
    doc = Document(text="邮箱 li@example.com，IP 10.0.0.1，身份证 440308199901011234。", id="x", metadata={})
    (out,) = list(PiiFormatter().run(iter([doc])))
    assert "example.com" not in out.text and "。" in out.text and "，" in out.text
    assert (out.metadata[v.PII_EMAILS], out.metadata[v.PII_IPS], out.metadata[v.PII_CN_IDS]) == (1, 1, 1)
