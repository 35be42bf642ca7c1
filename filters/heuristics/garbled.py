"""Garbled-text signals: replacement characters, mojibake, letters outside the expected scripts,
control characters, punctuation. All are ratios so one threshold works for short and long
documents."""

from __future__ import annotations

import regex

from datatrove.utils.text import PUNCTUATION_SET

from corpus.core import vocab as v
from filters.units import Units

# UTF-8 bytes decoded as cp1252/Latin-1 (Ã© â€™ Â ...), and as GBK: the rare characters that
# the commonest UTF-8 Chinese characters turn into (的 -> 鐨, 是 -> 鏄, 。 -> 銆, ， -> 锛, ...)
MOJIBAKE = regex.compile(
    r"[ÃÂ][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u2013-\u203a\u20ac\u2122]"
    r"|â€[\u0080-\u00bf\u0153\u2122\u02dc\u201c\u201d\u00a6\u00a2\u0161]?"
    r"|锟斤拷|[鈥銆锛鐨鏄鍦鍙缁璇鎴鏈瀹]|ï¿½"
)
CONTROL = regex.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ue000-\uf8ff]")
SCRIPTS = {  # letters a language's text may use; the rest count as unexpected
    "latin": r"\p{Latin}",
    "han": r"\p{Han}\p{Latin}\p{Bopomofo}\p{Hiragana}\p{Katakana}",
}
# matches only the (rare) unexpected letters, so findall builds short lists
_UNEXPECTED = {name: regex.compile(rf"[\p{{L}}--[{cls}]]", regex.V1) for name, cls in SCRIPTS.items()}


def garbled(u: Units, params: dict) -> dict:
    text = u.text
    size = len(text)
    if not size:
        return {}
    letters = sum(map(str.isalpha, text))
    unexpected = len(_UNEXPECTED[params["scripts"]].findall(text))
    mojibake_chars = sum(len(m) for m in MOJIBAKE.findall(text))
    nonspace = size - sum(map(str.isspace, text))
    # prose is a tenth punctuation or less; spam that wraps every character in brackets
    # (【随】【着】, to defeat keyword lists) is mostly punctuation
    punct = sum(c in PUNCTUATION_SET for c in text)
    return {
        v.GARBLED_REPLACEMENT_RATIO: text.count("\ufffd") / size,
        v.GARBLED_MOJIBAKE_RATIO: mojibake_chars / size,
        v.GARBLED_UNEXPECTED_SCRIPT_RATIO: unexpected / letters if letters else 0.0,
        v.GARBLED_CONTROL_RATIO: len(CONTROL.findall(text)) / size,
        v.GARBLED_PUNCT_RATIO: punct / nonspace if nonspace else 0.0,
    }
