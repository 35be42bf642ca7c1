"""The one closed vocabulary: stages, metadata keys (Parquet signal columns) and reason codes.

Every key a step writes to ``doc.metadata`` and every reason a filter returns is declared here
once; the Parquet writer refuses undeclared keys, so a typo fails a test instead of silently
creating a new column. Keys are snake_case and namespaced by stage. Reasons never embed
threshold values (the threshold lives in the config; the reason says which rule fired).

A signal that thresholds may bound is declared with its reasons in the same call
(``key(..., below=(code, doc), above=(code, doc))``); a stage's rules, the config's check of
`thresholds` and refilter read them through ``Bounds(stage)``, so they learn a new signal from its
declaration alone (docs/heuristics.md, "Adding a signal").
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import pyarrow as pa

DTYPES = {"string": pa.string(), "int64": pa.int64(), "float64": pa.float64(), "bool": pa.bool_()}


@dataclass(frozen=True)
class Key:
    name: str
    dtype: str  # one of DTYPES
    stage: str
    doc: str
    below: str | None = None  # reason a threshold's min drops with; None: the key takes no min
    above: str | None = None  # reason a threshold's max drops with; None: the key takes no max


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


def key(
    name: str,
    dtype: str,
    stage_name: str,
    doc: str,
    below: tuple[str, str] | None = None,
    above: tuple[str, str] | None = None,
) -> str:
    """Declares a metadata key; `below` / `above` (reason code, its doc) declare the reason a threshold's
    min / max on it drops with, which is what lets `thresholds` bound it (Bounds)."""
    if name in KEYS:
        raise ValueError(f"metadata key {name!r} declared twice")
    if name in (ID, TEXT) or not name.replace("_", "").isalnum() or name != name.lower():
        raise ValueError(f"bad metadata key {name!r}: snake_case, never 'id' or 'text'")
    if name in (c for c, _, _ in ROW_COLUMNS):
        raise ValueError(f"bad metadata key {name!r}: a column every row has (vocab.ROW_COLUMNS)")
    if dtype not in DTYPES:
        raise ValueError(f"bad dtype {dtype!r} for {name!r}")
    if stage_name not in STAGES:
        raise ValueError(f"key {name!r} names unknown stage {stage_name!r}")
    codes = [reason(r[0], stage_name, r[1]) if r else None for r in (below, above)]
    KEYS[name] = Key(name, dtype, stage_name, doc, *codes)
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


class Bounds(Mapping):
    """signal -> (reason below min, reason above max) of the keys of `stages` declared with a reason: what a
    threshold may bound (corpus.core.steps.Stage.signals). Read from KEYS on each use rather than copied, so a
    key declared after the stage (a plugin, a test adding a signal to a family) is bounded like the others."""

    def __init__(self, *stages: str):
        self.stages = stages

    def _bounds(self) -> dict[str, tuple[str | None, str | None]]:
        return {k.name: (k.below, k.above) for k in KEYS.values() if k.stage in self.stages and (k.below or k.above)}

    def __getitem__(self, name: str) -> tuple[str | None, str | None]:
        return self._bounds()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._bounds())

    def __len__(self) -> int:
        return len(self._bounds())

    def __repr__(self) -> str:
        return f"Bounds{self.stages}"


# ---------------------------------------------------------------- stages (default cascade order, Yi Fig. 1)
READ = stage("read")
CONTENT = stage("content")
EXTRACT = stage("extract")
URL_FILTER = stage("url_filter")
LANG_ID = stage("lang_id")
PAGE_TYPE = stage("page_type")
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
# a dropped row's threshold rule: the signal it read, the document's value and the bound crossed (null where
# no threshold decided: a blocklist, dedup, a language not kept has no number to show)
RULE_COL = "rule"
VALUE_COL = "value"
THRESHOLD_COL = "threshold"
# the columns every row has besides id and text, in schema order: (name, dtype, doc)
ROW_COLUMNS = (
    (STAGE_COL, "string", "the stage that dropped the document, or where it failed"),
    (REASON_COL, "string", "the reason code a dropped document was dropped with"),
    (RULE_COL, "string", "the signal of the threshold rule that dropped it"),
    (VALUE_COL, "float64", "the document's value of that signal"),
    (THRESHOLD_COL, "float64", "the bound the value crossed (a min it is below, a max it is above)"),
    (ERROR_CLASS, "string", "a failed record's error class"),
    (ERROR_MESSAGE, "string", "a failed record's error message (one line, at most 300 characters)"),
)
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
EXTRACTOR = key(
    "extractor",
    "string",
    EXTRACT,
    "what extracted the main text: trafilatura, native (extract.mode native, where the native core "
    "finds one main content) or resiliparse (extract.mode fast, on a page the chooser trusts it with)",
)
LINK_LISTS = key(
    "link_lists",
    "string",
    EXTRACT,
    "the link-list lines (runs of the page's anchor texts) removed from the main text, one a line; the "
    "safety stage counts their terms as the page's (extract.link_lists; absent when off, empty when none)",
)
R_EMPTY_EXTRACTION = reason("empty_extraction", EXTRACT, "the extractor found no main text")
R_EXTRACT_TIMEOUT = reason("extract_timeout", EXTRACT, "extraction ran past extract.timeout_s")

# ---------------------------------------------------------------- url filter
R_BLOCKED_DOMAIN = reason("blocked_domain", URL_FILTER, "host or a parent domain is on the domain blocklist")
R_BLOCKED_URL = reason("blocked_url", URL_FILTER, "URL is on the URL blocklist")
R_BAD_URL = reason("bad_url", URL_FILTER, "URL has no parseable host")

# ---------------------------------------------------------------- language id
LANG = key("lang", "string", LANG_ID, "fastText lid.176 top language (ISO 639-1)")
LANG_SCORE = key("lang_score", "float64", LANG_ID, "probability of the top language")
R_LANG_NOT_KEPT = reason("lang_not_kept", LANG_ID, "top language is not in lang_id.keep")
R_LANG_LOW_SCORE = reason("lang_low_score", LANG_ID, "top language score below its thresholds.<lang>.lang_score.min")

# ---------------------------------------------------------------- page type (from the HTML, before extraction)
# Characters are non-space characters of the visible text; HTML inputs only (absent for text inputs).
PAGE_TYPE_TEXT_CHARS = key("page_type_text_chars", "int64", PAGE_TYPE, "visible characters of the page's HTML")
PAGE_TYPE_LINKS = key("page_type_links", "int64", PAGE_TYPE, "<a href> elements in the visible page")
PAGE_TYPE_LINK_DENSITY = key(
    "page_type_link_density", "float64", PAGE_TYPE, "characters inside <a href> / visible characters"
)
PAGE_TYPE_PROSE_RUN = key(
    "page_type_prose_run",
    "int64",
    PAGE_TYPE,
    "longest stretch of non-link characters over consecutive blocks that no link block or list entry interrupts",
)
PAGE_TYPE_LIST_SHARE = key(
    "page_type_list_share",
    "float64",
    PAGE_TYPE,
    "non-link characters inside list entries (repeated siblings headed by links) / non-link characters",
)
R_LIST_PAGE = reason("list_page", PAGE_TYPE, "a list or index page: links with no stretch of prose between them")

# ---------------------------------------------------------------- heuristics (docs/heuristics.md)
# One declaration per signal: its key, and the reason a threshold's min (below) or max (above) drops with.
# A signal without either is stored for study and takes no threshold. The computing code is the family's, in
# filters/heuristics/ (families.py maps each stage to it); the defaults are in filters/data/heuristics.yaml.
# Units: English words from the regex tokenizer, Chinese words from jieba (filters/units.py).
GOPHER_WORD_COUNT = key(
    "gopher_word_count",
    "int64",
    GOPHER_QUALITY,
    "words with at least one non-punctuation character",
    below=("gopher_short_doc", "too few words"),
    above=("gopher_long_doc", "too many words"),
)
GOPHER_MEAN_WORD_LENGTH = key(
    "gopher_mean_word_length",
    "float64",
    GOPHER_QUALITY,
    "mean characters per such word",
    below=("gopher_short_words", "mean word length too small"),
    above=("gopher_long_words", "mean word length too large"),
)
GOPHER_HASH_RATIO = key(
    "gopher_hash_ratio",
    "float64",
    GOPHER_QUALITY,
    "'#' count per word",
    above=("gopher_too_many_hashes", "too many '#' per word"),
)
GOPHER_ELLIPSIS_RATIO = key(
    "gopher_ellipsis_ratio",
    "float64",
    GOPHER_QUALITY,
    "'...' and '…' count per word",
    above=("gopher_too_many_ellipsis", "too many ellipses per word"),
)
GOPHER_BULLET_LINES_RATIO = key(
    "gopher_bullet_lines_ratio",
    "float64",
    GOPHER_QUALITY,
    "lines starting with a bullet",
    above=("gopher_too_many_bullets", "too many lines start with a bullet"),
)
GOPHER_ELLIPSIS_LINES_RATIO = key(
    "gopher_ellipsis_lines_ratio",
    "float64",
    GOPHER_QUALITY,
    "lines ending with an ellipsis",
    above=("gopher_too_many_end_ellipsis", "too many lines end with an ellipsis"),
)
GOPHER_ALPHA_WORDS_RATIO = key(
    "gopher_alpha_words_ratio",
    "float64",
    GOPHER_QUALITY,
    "words with an alphabetic character",
    below=("gopher_few_alpha_words", "too few words with a letter"),
)
GOPHER_STOP_WORDS = key(
    "gopher_stop_words",
    "int64",
    GOPHER_QUALITY,
    "distinct stop words of the language present",
    below=("gopher_few_stop_words", "too few stop words"),
)

GOPHER_DUP_PARA_FRAC = key(
    "gopher_dup_para_frac",
    "float64",
    GOPHER_REPETITION,
    "duplicate paragraphs / paragraphs",
    above=("gopher_dup_para_frac", "too many duplicate paragraphs"),
)
GOPHER_DUP_PARA_CHAR_FRAC = key(
    "gopher_dup_para_char_frac",
    "float64",
    GOPHER_REPETITION,
    "chars in duplicate paragraphs / chars",
    above=("gopher_dup_para_char_frac", "too many chars in duplicate paragraphs"),
)
GOPHER_DUP_LINE_FRAC = key(
    "gopher_dup_line_frac",
    "float64",
    GOPHER_REPETITION,
    "duplicate lines / lines",
    above=("gopher_dup_line_frac", "too many duplicate lines"),
)
GOPHER_DUP_LINE_CHAR_FRAC = key(
    "gopher_dup_line_char_frac",
    "float64",
    GOPHER_REPETITION,
    "chars in duplicate lines / chars",
    above=("gopher_dup_line_char_frac", "too many chars in duplicate lines"),
)
NGRAM_WORDS = {
    2: "bigram",
    3: "trigram",
    4: "fourgram",
    5: "fivegram",
    6: "sixgram",
    7: "sevengram",
    8: "eightgram",
    9: "ninegram",
    10: "tengram",
}  # reasons never embed numbers
TOP_NGRAM_KEYS = {
    n: key(
        f"gopher_top_{n}gram_char_frac",
        "float64",
        GOPHER_REPETITION,
        f"chars covered by the most frequent word {n}-gram / chars",
        above=(f"gopher_top_{NGRAM_WORDS[n]}", "most frequent n-gram covers too much"),
    )
    for n in (2, 3, 4)
}
DUP_NGRAM_KEYS = {
    n: key(
        f"gopher_dup_{n}gram_char_frac",
        "float64",
        GOPHER_REPETITION,
        f"chars in repeated word {n}-grams / chars",
        above=(f"gopher_dup_{NGRAM_WORDS[n]}s", "repeated n-grams cover too much"),
    )
    for n in range(5, 11)
}

C4_LOREM_IPSUM = key(
    "c4_lorem_ipsum", "int64", C4, "candidate lines containing 'lorem ipsum'", above=("lorem_ipsum", "placeholder text")
)
C4_CURLY_BRACKET = key(
    "c4_curly_bracket",
    "int64",
    C4,
    "candidate lines containing '{'",
    above=("curly_bracket", "a kept line has a curly bracket (code)"),
)
C4_SENTENCES = key(
    "c4_sentences",
    "int64",
    C4,
    "sentences in the lines C4 keeps",
    below=("too_few_sentences", "too few sentences in the lines C4 keeps"),
)
C4_KEPT_LINES_FRAC = key("c4_kept_lines_frac", "float64", C4, "lines C4 keeps / lines")
C4_JAVASCRIPT_LINES = key("c4_javascript_lines", "int64", C4, "lines dropped for mentioning javascript")
C4_POLICY_LINES = key("c4_policy_lines", "int64", C4, "lines dropped for cookie / terms / privacy phrases")

FINEWEB_LINE_PUNCT_RATIO = key(
    "fineweb_line_punct_ratio",
    "float64",
    FINEWEB,
    "non-empty lines ending in terminal punctuation",
    below=("fineweb_line_punct_ratio", "too few lines end in punctuation"),
)
FINEWEB_SHORT_LINE_RATIO = key(
    "fineweb_short_line_ratio",
    "float64",
    FINEWEB,
    "non-empty lines at most params.short_line_length chars",
    above=("fineweb_short_line_ratio", "too many short lines"),
)
FINEWEB_CHAR_DUP_RATIO = key(
    "fineweb_char_dup_ratio",
    "float64",
    FINEWEB,
    "chars in duplicate lines / non-newline chars",
    above=("fineweb_char_dup_ratio", "too many chars in duplicate lines"),
)
FINEWEB_NEWLINE_RATIO = key(
    "fineweb_newline_ratio",
    "float64",
    FINEWEB,
    "newlines per word",
    above=("fineweb_list_ratio", "too many newlines per word (a list)"),
)

GARBLED_REPLACEMENT_RATIO = key(
    "garbled_replacement_ratio",
    "float64",
    GARBLED,
    "U+FFFD replacement characters / chars",
    above=("garbled_replacement_chars", "too many replacement characters"),
)
GARBLED_MOJIBAKE_RATIO = key(
    "garbled_mojibake_ratio",
    "float64",
    GARBLED,
    "chars in mojibake patterns (UTF-8 read as Latin-1/GBK) / chars",
    above=("garbled_mojibake", "mojibake"),
)
GARBLED_UNEXPECTED_SCRIPT_RATIO = key(
    "garbled_unexpected_script_ratio",
    "float64",
    GARBLED,
    "letters outside the language's scripts / letters",
    above=("garbled_unexpected_script", "too many letters outside the expected scripts"),
)
GARBLED_CONTROL_RATIO = key(
    "garbled_control_ratio",
    "float64",
    GARBLED,
    "control and private-use characters / chars",
    above=("garbled_control_chars", "too many control characters"),
)
GARBLED_PUNCT_RATIO = key(
    "garbled_punct_ratio",
    "float64",
    GARBLED,
    "punctuation characters / non-space characters",
    above=("garbled_punctuation", "more punctuation than prose carries"),
)

BLOCKLIST_HITS = key("blocklist_hits", "int64", WORD_BLOCKLIST, "occurrences of blocklisted terms")
BLOCKLIST_DISTINCT = key(
    "blocklist_distinct",
    "int64",
    WORD_BLOCKLIST,
    "distinct blocklisted terms present",
    above=("blocklist_terms", "too many distinct blocklisted terms"),
)
BLOCKLIST_HITS_PER_KWORD = key(
    "blocklist_hits_per_kword",
    "float64",
    WORD_BLOCKLIST,
    "occurrences per 1000 words",
    above=("blocklist_density", "blocklisted terms too dense"),
)

# ---------------------------------------------------------------- correction and PII
CORRECTION_LINES_REMOVED = key(
    "correction_lines_removed", "int64", CORRECTION, "boilerplate lines removed (formatter rewrote text)"
)
CORRECTION_CHARS_REMOVED = key(
    "correction_chars_removed", "int64", CORRECTION, "characters removed by boilerplate and whitespace fixes"
)
PII_EMAILS = key("pii_emails", "int64", PII, "email addresses replaced")
PII_IPS = key("pii_ips", "int64", PII, "IPv4 / IPv6 addresses replaced")
PII_PHONES = key("pii_phones", "int64", PII, "phone numbers replaced (international and Chinese mobile)")
PII_CN_IDS = key("pii_cn_ids", "int64", PII, "Chinese resident ID numbers (valid checksum) replaced")

# ---------------------------------------------------------------- learned scorers
QUALITY_SCORE = key(
    "quality_score", "float64", QUALITY, "probability that the page is reference-like (higher is better)"
)
PPL_KENLM = key(
    "ppl_kenlm", "float64", PERPLEXITY, "KenLM 5-gram perplexity over SentencePiece pieces (CCNet per-line formula)"
)
PPL_BUCKET = key(
    "ppl_bucket", "string", PERPLEXITY, "head, middle or tail: perplexity against the reference percentiles"
)
R_PPL_TAIL = reason(
    "ppl_tail",
    PERPLEXITY,
    "perplexity above the KenLM manifest's tail cutoff (the point of its trade-off rule, docs/scorers.md)",
)
R_PPL_ABOVE_CAP = reason("ppl_above_cap", PERPLEXITY, "perplexity above the absolute cap for the language")
R_LOW_QUALITY = reason(
    "low_quality",
    QUALITY,
    "quality classifier probability below the quality_score min (a number, or the quality manifest's cutoff)",
)
COHERENCE_SCORE = key(
    "coherence_score", "float64", COHERENCE, "probability that adjacent segments belong to one document"
)
COHERENCE_WEAKEST_BOUNDARY = key(
    "coherence_weakest_boundary",
    "int64",
    COHERENCE,
    "character offset of the least similar boundary between segments (-1: one segment)",
)
COHERENCE_BOUNDARY_SIM = key(
    "coherence_boundary_sim", "float64", COHERENCE, "similarity of the two sides of the weakest boundary"
)
COHERENCE_SEGMENTED = key(
    "coherence_segmented", "bool", COHERENCE, "text was cut at the weakest boundary (coherence.action: segment)"
)
R_INCOHERENT = reason(
    "incoherent",
    COHERENCE,
    "coherence score below the coherence_score min (a number, or the coherence manifest's cutoff)",
)
SAFETY_SCORE = key("safety_score", "float64", SAFETY, "classifier probability that the text is offensive or unsafe")
SAFETY_TERM_HITS = key(
    "safety_term_hits", "int64", SAFETY, "distinct gambling / pornography / violence list terms found"
)
SAFETY_URL_HIT = key("safety_url_hit", "int64", SAFETY, "1 when the URL matches an unsafe URL pattern, else 0")
SAFETY_AGE_GATE = key("safety_age_gate", "int64", SAFETY, "1 when the text carries an adult site's age warning, else 0")
R_UNSAFE_CLASSIFIER = reason("unsafe_classifier", SAFETY, "safety classifier probability above the safety_score max")
R_UNSAFE_TERMS = reason("unsafe_terms", SAFETY, "more distinct unsafe list terms than the safety_term_hits max")
R_UNSAFE_URL = reason("unsafe_url", SAFETY, "URL matches an unsafe URL pattern")
R_AGE_GATE = reason("adult_age_gate", SAFETY, "text carries an adult site's age warning")

# ---------------------------------------------------------------- dedup
DEDUP_PARAGRAPHS_REMOVED = key(
    "dedup_paragraphs_removed",
    "int64",
    DEDUP_PARAGRAPH,
    "lines removed because an earlier document already had them often enough",
)
DEDUP_PARAGRAPH_CHARS_REMOVED = key(
    "dedup_paragraph_chars_removed", "int64", DEDUP_PARAGRAPH, "characters removed by paragraph dedup"
)
DEDUP_CLUSTER_ID = key(
    "dedup_cluster_id",
    "string",
    DEDUP_MINHASH,
    "id of the smallest document id in the near-duplicate cluster (own id when alone)",
)
DEDUP_CLUSTER_SIZE = key("dedup_cluster_size", "int64", DEDUP_MINHASH, "documents in the near-duplicate cluster")
DEDUP_EXACT_COPIES = key(
    "dedup_exact_copies", "int64", DEDUP_EXACT, "documents sharing this normalised text (1 when unique)"
)
R_EMPTIED_BY_PARAGRAPH_DEDUP = reason(
    "emptied_by_paragraph_dedup", DEDUP_PARAGRAPH, "nothing but already-seen paragraphs was left"
)
R_MOSTLY_DUPLICATE_PARAGRAPHS = reason(
    "mostly_duplicate_paragraphs",
    DEDUP_PARAGRAPH,
    "more than dedup.paragraph.max_removed_fraction of it was already-seen paragraphs",
)
R_DUPLICATE_FUZZY = reason(
    "duplicate_fuzzy", DEDUP_MINHASH, "near-duplicate (MinHash LSH) of the cluster's surviving document"
)
R_DUPLICATE_EXACT = reason("duplicate_exact", DEDUP_EXACT, "same normalised text as the surviving document")

# ---------------------------------------------------------------- topics and clusters
# the label space (docs/topics.md; labels/sources.py maps the labelled sets onto it): one reason
# code per label, so it is part of the closed vocabulary
TOPIC_LABELS = (
    "politics",
    "business",
    "sports",
    "science_tech",
    "entertainment",
    "education",
    "games",
    "real_estate",
    "automotive",
    "travel",
    "society",
    "culture",
    "agriculture",
)
FORMAT_LABELS = ("article", "product", "list", "chat", "ads", "spam")

TOPIC_LABEL = key("topic", "string", TOPIC, "most probable topic label of the topic model (docs/topics.md)")
TOPIC_SCORE = key("topic_score", "float64", TOPIC, "probability of that topic")
FORMAT = key("format", "string", TOPIC, "most probable format label: article, product, list, chat, ads or spam")
FORMAT_SCORE = key("format_score", "float64", TOPIC, "probability of that format")
TOPIC_DRAW = key(
    "topic_draw",
    "float64",
    TOPIC,
    "uniform draw from a hash of the id and seed; kept when <= the label's keep probability",
)
DOWNSAMPLED = {
    lab: reason(f"downsampled_{lab}", TOPIC, f"label {lab} down-sampled by topic.keep.{lab}")
    for lab in TOPIC_LABELS + FORMAT_LABELS
}
CLUSTER_ID = key("cluster_id", "int64", CLUSTER, "nearest k-means centroid of the document's embedding")
CLUSTER_DISTANCE = key("cluster_distance", "float64", CLUSTER, "cosine distance to that centroid")
CLUSTER_SIZE = key("cluster_size", "int64", CLUSTER, "documents assigned to the cluster in this build")
CLUSTER_WEIGHT = key(
    "cluster_weight", "float64", CLUSTER, "sampling weight of the cluster (1: as is; set by corpus clusters apply)"
)
R_CLUSTER_DROPPED = reason("cluster_dropped", CLUSTER, "the cluster is labelled drop (cluster.weights 0)")


def arrow_schema() -> pa.Schema:
    """The explicit schema every kept/dropped/failed Parquet file is written with."""
    fields = [pa.field(ID, pa.string(), nullable=False), pa.field(TEXT, pa.string())]
    fields += [pa.field(name, DTYPES[dtype]) for name, dtype, _ in ROW_COLUMNS]
    fields += [pa.field(k.name, DTYPES[k.dtype]) for k in KEYS.values()]
    return pa.schema(fields)


def signal_keys(stage_name: str | None = None) -> list[str]:
    return [k.name for k in KEYS.values() if stage_name is None or k.stage == stage_name]
