"""The one closed vocabulary: stages, metadata keys (Parquet signal columns) and reason codes.

Every key a step writes to ``doc.metadata`` and every reason a filter returns is declared here
once; the Parquet writer refuses undeclared keys, so a typo fails a test instead of silently
creating a new column. Keys are snake_case and namespaced by stage. Reasons never embed
threshold values (the threshold lives in the config; the reason says which rule fired).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

DTYPES = {"string": pa.string(), "int64": pa.int64(), "float64": pa.float64(), "bool": pa.bool_()}


@dataclass(frozen=True)
class Key:
    name: str
    dtype: str  # one of DTYPES
    stage: str
    doc: str


@dataclass(frozen=True)
class Reason:
    code: str
    stage: str
    doc: str


KEYS: dict[str, Key] = {}
REASONS: dict[str, Reason] = {}
STAGES: list[str] = []


def stage(name: str) -> str:
    if name in STAGES:
        raise ValueError(f"stage {name!r} declared twice")
    STAGES.append(name)
    return name


def key(name: str, dtype: str, stage_name: str, doc: str) -> str:
    if name in KEYS:
        raise ValueError(f"metadata key {name!r} declared twice")
    if name in ("id", "text") or not name.replace("_", "").isalnum() or name != name.lower():
        raise ValueError(f"bad metadata key {name!r}: snake_case, never 'id' or 'text'")
    if dtype not in DTYPES:
        raise ValueError(f"bad dtype {dtype!r} for {name!r}")
    if stage_name not in STAGES:
        raise ValueError(f"key {name!r} names unknown stage {stage_name!r}")
    KEYS[name] = Key(name, dtype, stage_name, doc)
    return name


def reason(code: str, stage_name: str, doc: str) -> str:
    if code in REASONS:
        raise ValueError(f"reason {code!r} declared twice")
    if any(ch.isdigit() for ch in code):
        raise ValueError(f"reason {code!r} must not embed a threshold value")
    if stage_name not in STAGES:
        raise ValueError(f"reason {code!r} names unknown stage {stage_name!r}")
    REASONS[code] = Reason(code, stage_name, doc)
    return code


# ---------------------------------------------------------------- stages (default cascade order, Yi Fig. 1)
READ = stage("read")
CONTENT = stage("content")
EXTRACT = stage("extract")
URL_FILTER = stage("url_filter")
LANG_ID = stage("lang_id")
GOPHER_QUALITY = stage("gopher_quality")
GOPHER_REPETITION = stage("gopher_repetition")
C4 = stage("c4")
FINEWEB = stage("fineweb")
GARBLED = stage("garbled")
WORD_BLOCKLIST = stage("word_blocklist")
CORRECTION = stage("correction")
PII = stage("pii")
PERPLEXITY = stage("perplexity")
QUALITY = stage("quality")
COHERENCE = stage("coherence")
DEDUP_PARAGRAPH = stage("dedup_paragraph")
DEDUP_MINHASH = stage("dedup_minhash")
DEDUP_EXACT = stage("dedup_exact")
SAFETY = stage("safety")
TOPIC = stage("topic")
CLUSTER = stage("cluster")

# ---------------------------------------------------------------- columns every row has (not signals)
ID = "id"
TEXT = "text"
STAGE_COL = "stage"
REASON_COL = "reason"
ERROR_CLASS = "error_class"
ERROR_MESSAGE = "error_message"
FATE_KEPT, FATE_DROPPED, FATE_FAILED = "kept", "dropped", "failed"
FATES = (FATE_KEPT, FATE_DROPPED, FATE_FAILED)

# ---------------------------------------------------------------- read
SOURCE_FILE = key("source_file", "string", READ, "input file the record came from")
SOURCE_OFFSET = key("source_offset", "int64", READ, "byte offset of the WARC record, or line/row index")
RECORD_INDEX = key("record_index", "int64", READ, "0-based index of the record in its file")
SOURCE_FORMAT = key("source_format", "string", READ, "warc, wet, jsonl or parquet")
URL = key("url", "string", READ, "WARC-Target-URI or the url field")
WARC_RECORD_ID = key("warc_record_id", "string", READ, "WARC-Record-ID header")
WARC_DATE = key("warc_date", "string", READ, "WARC-Date header (ISO 8601)")
CONTENT_TYPE = key("content_type", "string", READ, "HTTP Content-Type media type, lower-case")
PAYLOAD_BYTES = key("payload_bytes", "int64", READ, "size of the HTTP body in bytes")
CHARSET = key("charset", "string", READ, "codec the body was decoded with")
CHARSET_SOURCE = key("charset_source", "string", READ, "http_header, meta, detected or fallback")
PAYLOAD_KIND = key("payload_kind", "string", READ, "html, text or other (from headers and sniffing)")

R_READ_ERROR = reason("read_error", READ, "the record or the rest of the shard could not be parsed")

# ---------------------------------------------------------------- content / extract
R_NOT_HTML = reason("not_html", CONTENT, "payload is neither HTML nor plain text")
R_OVERSIZED = reason("oversized", CONTENT, "payload larger than content.max_bytes")
R_EMPTY_PAYLOAD = reason("empty_payload", CONTENT, "no body bytes")
EXTRACT_CHARS = key("extract_chars", "int64", EXTRACT, "characters of main text after extraction")
R_EMPTY_EXTRACTION = reason("empty_extraction", EXTRACT, "trafilatura found no main text")
R_EXTRACT_TIMEOUT = reason("extract_timeout", EXTRACT, "extraction ran past extract.timeout_s")

# ---------------------------------------------------------------- url filter
R_BLOCKED_DOMAIN = reason("blocked_domain", URL_FILTER, "host or a parent domain is on the domain blocklist")
R_BLOCKED_URL = reason("blocked_url", URL_FILTER, "URL is on the URL blocklist")
R_BAD_URL = reason("bad_url", URL_FILTER, "URL has no parseable host")

# ---------------------------------------------------------------- language id
LANG = key("lang", "string", LANG_ID, "fastText lid.176 top language (ISO 639-1)")
LANG_SCORE = key("lang_score", "float64", LANG_ID, "probability of the top language")
R_LANG_NOT_KEPT = reason("lang_not_kept", LANG_ID, "top language is not in lang.keep")
R_LANG_LOW_SCORE = reason("lang_low_score", LANG_ID, "top language score below lang.min_score for it")

# ---------------------------------------------------------------- heuristics (issue: heuristic cascade)

# ---------------------------------------------------------------- correction and PII

# ---------------------------------------------------------------- learned scorers
QUALITY_SCORE = key("quality_score", "float64", QUALITY, "probability that the page is reference-like (higher is better)")
PPL_KENLM = key("ppl_kenlm", "float64", PERPLEXITY, "KenLM 5-gram perplexity over SentencePiece pieces (CCNet per-line formula)")
PPL_BUCKET = key("ppl_bucket", "string", PERPLEXITY, "head, middle or tail: perplexity against the reference percentiles")
R_PPL_TAIL = reason("ppl_tail", PERPLEXITY, "perplexity in a bucket listed in perplexity drop (reference percentiles)")
R_PPL_ABOVE_CAP = reason("ppl_above_cap", PERPLEXITY, "perplexity above the absolute cap for the language")
R_LOW_QUALITY = reason("low_quality", QUALITY, "quality classifier probability below quality.min_score")
COHERENCE_SCORE = key("coherence_score", "float64", COHERENCE, "probability that adjacent segments belong to one document")
COHERENCE_WEAKEST_BOUNDARY = key("coherence_weakest_boundary", "int64", COHERENCE,
                                 "character offset of the least similar boundary between segments (-1: one segment)")
COHERENCE_BOUNDARY_SIM = key("coherence_boundary_sim", "float64", COHERENCE, "similarity of the two sides of the weakest boundary")
COHERENCE_SEGMENTED = key("coherence_segmented", "bool", COHERENCE, "text was cut at the weakest boundary (coherence.action: segment)")
R_INCOHERENT = reason("incoherent", COHERENCE, "coherence score below coherence.min_score")
SAFETY_SCORE = key("safety_score", "float64", SAFETY, "classifier probability that the text is offensive or unsafe")
SAFETY_TERM_HITS = key("safety_term_hits", "int64", SAFETY, "distinct gambling / pornography / violence list terms found")
SAFETY_URL_HIT = key("safety_url_hit", "int64", SAFETY, "1 when the URL matches an unsafe URL pattern, else 0")
R_UNSAFE_CLASSIFIER = reason("unsafe_classifier", SAFETY, "safety classifier probability above safety.max_score")
R_UNSAFE_TERMS = reason("unsafe_terms", SAFETY, "more distinct unsafe list terms than safety.max_term_hits")
R_UNSAFE_URL = reason("unsafe_url", SAFETY, "URL matches an unsafe URL pattern")

# ---------------------------------------------------------------- dedup

# ---------------------------------------------------------------- topics and clusters


def arrow_schema() -> pa.Schema:
    """The explicit schema every kept/dropped/failed Parquet file is written with."""
    fields = [pa.field(ID, pa.string(), nullable=False), pa.field(TEXT, pa.string())]
    fields += [pa.field(c, pa.string()) for c in (STAGE_COL, REASON_COL, ERROR_CLASS, ERROR_MESSAGE)]
    fields += [pa.field(k.name, DTYPES[k.dtype]) for k in KEYS.values()]
    return pa.schema(fields)


def signal_keys(stage_name: str | None = None) -> list[str]:
    return [k.name for k in KEYS.values() if stage_name is None or k.stage == stage_name]
