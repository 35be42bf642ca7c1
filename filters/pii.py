"""PII anonymisation (a formatter: it rewrites text). Emails, IPv4/IPv6 addresses, phone
numbers (international, North American, Chinese mobile) and Chinese resident ID numbers (18
digits whose ISO 7064 MOD 11-2 check digit is right) become placeholders that are stable within
a document: the same value always gets the same placeholder (<EMAIL_1>, <PHONE_2>, ...), so
text that refers to one address twice still does after anonymisation.
"""

from __future__ import annotations

import ipaddress
import re

from datatrove.data import Document

from corpus.core import vocab
from corpus.core.steps import Formatter, Stage, StageContext

EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}(?![\w-])")
CN_ID = re.compile(
    r"(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])"
)
CN_MOBILE = re.compile(r"(?<![\d+])(?:(?:\+|00)86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}(?!\d)")
INTL_PHONE = re.compile(
    r"(?<![\w+])(?:\+|00)[1-9]\d{0,2}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{2,4}){1,4}(?!\d)"
)
NA_PHONE = re.compile(r"(?<![\w-])\(?[2-9]\d{2}\)?[ .-]\d{3}[ .-]\d{4}(?![\w-])")
IPV4 = re.compile(r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\d.])")
IPV6_CANDIDATE = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def cn_id_valid(number: str) -> bool:
    if len(number) != 18 or not number[:17].isdigit():
        return False
    return _CHECK[sum(int(d) * w for d, w in zip(number[:17], _WEIGHTS)) % 11] == number[17].upper()


def _ipv6_valid(s: str) -> bool:
    try:
        return isinstance(ipaddress.ip_address(s), ipaddress.IPv6Address)
    except ValueError:
        return False


# (placeholder kind, pattern, validator); order matters: IDs before phones (an ID contains digit
# runs a phone pattern could take), emails before everything (they contain digits and dots)
DETECTORS = (
    ("EMAIL", EMAIL, None),
    ("ID_NUMBER", CN_ID, cn_id_valid),
    ("IP", IPV4, None),
    ("IP", IPV6_CANDIDATE, _ipv6_valid),
    ("PHONE", CN_MOBILE, None),
    ("PHONE", INTL_PHONE, None),
    ("PHONE", NA_PHONE, None),
)
SIGNALS = {"EMAIL": vocab.PII_EMAILS, "ID_NUMBER": vocab.PII_CN_IDS, "IP": vocab.PII_IPS, "PHONE": vocab.PII_PHONES}


def anonymise(text: str) -> tuple[str, dict[str, int]]:
    """(text with placeholders, replacements per signal key)."""
    counts = dict.fromkeys(SIGNALS.values(), 0)
    names: dict[tuple[str, str], str] = {}
    numbered: dict[str, int] = {}

    def placeholder(kind: str, value: str) -> str:
        if (kind, value) not in names:
            numbered[kind] = numbered.get(kind, 0) + 1
            names[(kind, value)] = f"<{kind}_{numbered[kind]}>"
        return names[(kind, value)]

    for kind, pattern, valid in DETECTORS:

        def sub(m, kind=kind, valid=valid):
            value = m.group(0)
            if valid is not None and not valid(value):
                return value
            counts[SIGNALS[kind]] += 1
            return placeholder(kind, value)

        text = pattern.sub(sub, text)
    return text, counts


class PiiFormatter(Formatter):
    """Rewrites text: PII replaced by placeholders; counts per kind as signals."""

    name = "PII anonymisation (rewrites text)"

    def rewrite(self, doc: Document) -> None:
        doc.text, counts = anonymise(doc.text)
        doc.metadata.update(counts)


def pii_steps(cfg, ctx: StageContext) -> list:
    return [PiiFormatter()]


STAGES = (Stage(vocab.PII, pii_steps),)
