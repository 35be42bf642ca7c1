"""Decode HTTP bodies: the HTTP header's charset, then the page's meta charset, then detection. And the two
character-level guards for strings from the crawl: `storable` (valid Unicode) and `printable` (terminal-safe)."""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes
from charset_normalizer.md import mess_ratio

_META = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_\-:.]+)""", re.I)
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_HEADER = re.compile(r"charset\s*=\s*[\"']?([a-zA-Z0-9_\-:.]+)", re.I)
_SURROGATE = re.compile("[\ud800-\udfff]")
# what must not reach a terminal raw: C0/C1 controls (BEL, ESC sequences that retitle windows or move the
# cursor), line and paragraph separators, bidi controls that reorder what is shown, lone surrogates
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")

# Pages labelled with a legacy Chinese codec routinely contain characters only its superset
# has; decoding with the superset is what browsers do (WHATWG encoding standard).
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "gb_2312-80": "gb18030",
    "x-gbk": "gb18030",
    "ascii": "utf-8",
    "us-ascii": "utf-8",
    "iso-8859-1": "cp1252",
    "latin-1": "cp1252",
    "big5": "big5hkscs",
}


# Share of undecodable characters under which a labelled codec is still believed (decoded with
# U+FFFD replacements) before falling back to detection: one stray byte in a gb2312 page is not
# evidence against the label, and detection then tends to pick a single-byte codec (mojibake).
MAX_BAD_FRACTION = 0.01

# Unlabelled pages: the codecs of the languages we keep are tried before all others. General
# detection over every codec rejects a codec on one undecodable byte (a title cut mid-character)
# and then picks a single-byte codec that decodes anything: a GB page read as ISO-8859-5, then
# dropped as Russian. Japanese and Korean codecs are candidates too: their bytes also decode as
# GB18030, into Chinese-looking nonsense. Order breaks ties.
CANDIDATES = ("utf-8", "gb18030", "big5hkscs", "cp1252", "shift_jis", "euc_jp", "euc_kr")
DETECT_BYTES = 200_000
# A candidate decoded around bad bytes must read about this clean (charset_normalizer's default).
MAX_MESS = 0.2
MESS_SAMPLE = 20_000  # characters scored, from the first non-ASCII one: enough, and mess_ratio is slow


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().lower()
    label = _SUPERSETS.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def header_charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    m = _HEADER.search(content_type)
    return m.group(1) if m else None


def meta_charset(body: bytes) -> str | None:
    m = _META.search(body[:8192])
    return m.group(1).decode("ascii", "ignore") if m else None


def decode(body: bytes, content_type: str | None = None) -> tuple[str, str, str]:
    """Returns (text, codec, source) where source is http_header, meta, bom, detected or fallback."""
    text, codec, source = _decode(body, content_type)
    # UTF-7 (any page may be labelled so) decodes "+2AA-" to a lone surrogate, which no UTF-8 file can hold
    return (text if _valid(text) else _SURROGATE.sub("\ufffd", text)), codec, source


def _decode(body: bytes, content_type: str | None) -> tuple[str, str, str]:
    if body.startswith(codecs.BOM_UTF8):
        return body[3:].decode("utf-8", "replace"), "utf-8", "bom"
    labelled = []
    for source, label in (("http_header", header_charset(content_type)), ("meta", meta_charset(body))):
        codec = _codec(label)
        if codec is None:
            continue
        labelled.append((source, codec))
        try:
            return body.decode(codec), codec, source
        except (UnicodeDecodeError, LookupError):
            continue  # a wrong label: try the next source
    try:
        return body.decode("utf-8"), "utf-8", "detected"
    except UnicodeDecodeError:
        pass
    for source, codec in labelled:  # a right label on a page with a few bad bytes: what browsers do
        text = body.decode(codec, "replace")
        if len(text) - len(body.decode(codec, "ignore")) <= MAX_BAD_FRACTION * len(text):
            return text, codec, source
    detected = _detect(body)
    if detected is not None:
        return *detected, "detected"
    return body.decode("utf-8", "replace"), "utf-8", "fallback"


def _detect(body: bytes) -> tuple[str, str] | None:
    """(text, codec): charset_normalizer's choice among the candidates, else the candidate that
    decodes to the least messy text around a few bad bytes, else its choice among all codecs."""
    sample = body[:DETECT_BYTES]
    codec = _normalizer(sample, CANDIDATES) or _least_messy(body) or _normalizer(sample, None)
    return (body.decode(codec, "replace"), codec) if codec else None


def _normalizer(sample: bytes, candidates: tuple[str, ...] | None) -> str | None:
    best = from_bytes(sample, cp_isolation=list(candidates) if candidates else None).best()
    if best is None or not best.encoding:
        return None
    codec = _codec(best.encoding) or best.encoding
    try:
        codecs.lookup(codec)
    except LookupError:
        return None
    return codec


def _least_messy(body: bytes) -> str | None:
    # charset_normalizer rejects a codec on one undecodable byte; browsers decode around it
    scored = []
    for rank, codec in enumerate(CANDIDATES):
        text = body.decode(codec, "replace")
        non_ascii = len(text) - len(text.encode("ascii", "ignore"))
        if text.count("\ufffd") <= MAX_BAD_FRACTION * non_ascii:
            scored.append((_mess(text), rank, codec))
    mess, _, codec = min(scored, default=(None, None, None))
    return codec if mess is not None and mess <= MAX_MESS else None


def _mess(text: str) -> float:
    """charset_normalizer's mess ratio (odd script mixes, rare CJK, accents in runs) where the text
    is not ASCII: the head of an HTML page is markup the ratio cannot tell anything from."""
    first = _NON_ASCII.search(text)
    start = first.start() if first else 0
    return mess_ratio(text[start : start + MESS_SAMPLE], maximum_threshold=1.0)


def storable(s: str) -> str:
    """`s` as valid Unicode. A file name from a non-UTF-8 file system arrives with each undecodable byte
    as a lone surrogate (os.fsdecode), which Parquet and UTF-8 files cannot hold: those bytes are
    written \\xNN, any other lone surrogate \\uNNNN."""
    return s if _valid(s) else _SURROGATE.sub(_escape, s)


def _valid(s: str) -> bool:
    """No lone surrogates (encoding finds them about four times faster than a regex scan)."""
    if s.isascii():
        return True
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def printable(s: str, limit: int | None = None) -> str:
    """`s` safe to print on one terminal line (crawl data may hold BEL, escape sequences, newlines), with
    such characters written \\xNN or \\uNNNN; longer than `limit` characters, cut with an ellipsis."""
    if limit is not None and len(s) > limit:
        s = s[:limit] + "…"
    return _UNPRINTABLE.sub(_escape, s)


def _escape(m: re.Match) -> str:
    code = ord(m.group())
    if 0xDC80 <= code <= 0xDCFF:  # os.fsdecode's stand-in for the byte code - 0xDC00
        code -= 0xDC00
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
