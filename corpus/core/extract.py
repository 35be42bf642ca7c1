"""Main-text extraction: a content filter before it, trafilatura as a formatter, a filter after."""

from __future__ import annotations

import re
import signal
import threading

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from corpus.core import vocab
from corpus.core.fast_extract import FAST, FULL, NATIVE, clean_lines, fast_page, reliable
from corpus.core.layout import Layout
from corpus.core.link_lists import anchor_texts, strip_link_lists
from corpus.core.steps import CorpusFilter, StageContext
from corpus.core.tables import unwrap_layout_tables
from corpus.core.writers import FateWriter, fail

EXTRACT_STATUS = "_extract_status"  # ok | empty | timeout; read by ExtractionFilter
_TABLE = re.compile(r"<table", re.I)  # pages without one go to trafilatura as they come (text, or the shared tree)
DUBIOUS_PREFIX = 50  # characters trafilatura.utils.load_html searches for "html" (is_dubious_html)
# The page parsed once, by the page_type scorer (filters.page_type), for its signals and for extraction:
# parse_page's tree, or None where trafilatura rejects the page. A private key (writers skip "_" keys); the
# Extractor takes it off every document it sees, so it never outlives extraction.
HTML_TREE = "_html_tree"
_NOT_PARSED = object()


class ContentFilter(CorpusFilter):
    name = "ContentFilter"
    stage = vocab.CONTENT

    def __init__(self, ctx: StageContext | None = None, max_bytes: int = 5_000_000, keep_text_plain: bool = True):
        super().__init__(ctx)
        self.max_bytes, self.keep_text_plain = max_bytes, keep_text_plain

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        md = doc.metadata
        kind = md.get(vocab.PAYLOAD_KIND)
        if not md.get(vocab.PAYLOAD_BYTES):
            return False, vocab.R_EMPTY_PAYLOAD
        if kind == "other" or (kind == "text" and not self.keep_text_plain):
            return False, vocab.R_NOT_HTML
        if md[vocab.PAYLOAD_BYTES] > self.max_bytes:
            return False, vocab.R_OVERSIZED
        return True


class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout()


# A page that closes </body> or </html> before its content: browsers go on rendering what
# follows inside the body, but lxml starts a second tree that trafilatura never sees (a gov.cn
# article came out as its navigation bar only). Without these end tags lxml closes both at the end.
_EARLY_END = re.compile(r"</(?:body|html)\s*>", re.I)


def without_early_end(html: str) -> str:
    return _EARLY_END.sub("", html)


def parse_page(html: str):
    """The tree Extractor.extract gives trafilatura for `html` (its own parser, encoding handling and
    is_dubious_html check: trafilatura.utils.load_html), or None where trafilatura rejects the page."""
    from trafilatura.utils import load_html

    return load_html(without_early_end(html))


def native_text(tree) -> str:
    """The native core's main text of a page parse_page parsed, cleaned like trafilatura's output; "" where
    the core finds no single main content (trafilatura extracts those)."""
    from corpus.core._blocks import main_text

    text, _how = main_text(tree)
    return clean_lines(text) if text else ""


class Extractor(PipelineStep):
    """Replaces HTML by its main text. Text documents pass unchanged. `mode` "trafilatura": trafilatura
    on every page; "fast": resiliparse where the page looks reliable for it (corpus.core.fast_extract),
    trafilatura elsewhere. Which one extracted a page is its `extractor` signal. `link_lists`: lines of
    the main text that are runs of the page's anchor texts ("hot news", "related" headline lists) are
    removed after extraction (corpus.core.link_lists); the lines removed are its `link_lists` signal.

    The per-document timeout uses SIGALRM where the step runs on a process's main thread (local
    and Slurm executors); elsewhere (some Ray setups) extraction runs without a timeout.
    """

    name = "trafilatura"
    type = "✂️ - EXTRACTOR"

    def __init__(
        self,
        layout: Layout,
        timeout_s: float = 10.0,
        include_tables: bool = True,
        include_comments: bool = False,
        favor: str = "balanced",
        segment: int = 0,
        mode: str = "trafilatura",
        fast_max_links: float = 10.0,
        link_lists: bool = False,
    ):
        super().__init__()
        self.timeout_s, self.include_tables, self.include_comments, self.favor = (
            timeout_s,
            include_tables,
            include_comments,
            favor,
        )
        self.mode, self.fast_max_links, self.link_lists = mode, fast_max_links, link_lists
        self.failed = FateWriter(layout, vocab.FATE_FAILED, stage=vocab.EXTRACT, segment=segment)

    def extract(self, html: str, url: str | None, fallbacks: bool = True, tree=_NOT_PARSED) -> str:
        """trafilatura's main text; `fallbacks` False skips its fallback extractors (fast=True). `tree`:
        parse_page(html) where the caller has it (one parse per page); it is changed in place."""
        import trafilatura
        from trafilatura.utils import load_html

        def run(page: str, parsed=_NOT_PARSED) -> str:
            source = without_early_end(page)
            table = _TABLE.search(source)
            if parsed is not _NOT_PARSED:  # parse_page(page): what trafilatura would make of `source`
                if parsed is None:  # it rejects the page
                    return ""
                source = parsed  # trafilatura copies a tree it is given and works on the copy
            if table:
                source = load_html(source)  # trafilatura's own parser and checks (a tree comes back as is)
                if source is None:
                    return ""
                unwrap_layout_tables(source)  # layout tables are not tables, whatever include_tables says
            text = (
                trafilatura.extract(
                    source,
                    url=url,
                    include_comments=self.include_comments,
                    include_tables=self.include_tables,
                    favor_precision=self.favor == "precision",
                    favor_recall=self.favor == "recall",
                    deduplicate=False,
                    with_metadata=False,
                    fast=not fallbacks,
                )
                or ""
            )
            # trafilatura drops empty paragraphs but keeps spacers (<div>&nbsp;</div>) as lines
            # with nothing visible, and spaces after a line's last character (before a <br>)
            return clean_lines(text)

        text = run(html, tree)
        if not text and "html" not in html[:DUBIOUS_PREFIX].lower():
            # trafilatura discards a page whose first characters never say "html" when lxml finds
            # a single top-level element (old pages opening with a <script> before <html>); the
            # content stage already sniffed HTML here, so give the element lxml would imply.
            text = run("<html>" + html)
        return text

    def choose(self, html: str, url: str | None, tree=_NOT_PARSED) -> tuple[str, str]:
        """(main text, the extractor that gave it); `tree` as in `extract`."""
        if self.mode == "native":
            if tree is _NOT_PARSED:
                tree = parse_page(html)
            text = native_text(tree)
            if text:
                return text, NATIVE
        elif self.mode == "fast":
            page = fast_page(html)
            if reliable(page, self.fast_max_links):
                return page.text, FAST
        return self.extract(html, url, tree=tree), FULL

    def main_text(self, html: str, url: str | None, tree=_NOT_PARSED) -> tuple[str, str, str]:
        """(main text, the extractor that gave it, the link-list lines removed from it); `tree` as in
        `extract`. The anchors are read from the tree before trafilatura (or layout-table unwrapping) sees it."""
        if not self.link_lists:
            return *self.choose(html, url, tree), ""
        if tree is _NOT_PARSED:
            tree = parse_page(html)
        anchors = anchor_texts(tree if tree is not None else parse_page("<html>" + html))
        text, used = self.choose(html, url, tree)
        text, removed = strip_link_lists(text, anchors)
        return text, used, removed

    def _extract_with_timeout(self, html: str, url: str | None, tree=_NOT_PARSED) -> tuple[str, str, str]:
        if threading.current_thread() is not threading.main_thread():
            return self.main_text(html, url, tree)
        old = signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, self.timeout_s)
        try:
            return self.main_text(html, url, tree)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        with self.failed as failed:
            for doc in data:
                md = doc.metadata
                tree = md.pop(HTML_TREE, _NOT_PARSED)  # off the document whatever happens to it below
                if md.get(vocab.PAYLOAD_KIND) != "html":
                    md[EXTRACT_STATUS] = "ok" if doc.text.strip() else "empty"
                    yield doc
                    continue
                try:
                    with self.track_time():
                        doc.text, md[vocab.EXTRACTOR], removed = self._extract_with_timeout(
                            doc.text, md.get(vocab.URL), tree
                        )
                    if self.link_lists:
                        md[vocab.LINK_LISTS] = removed
                    md[EXTRACT_STATUS] = "ok" if doc.text.strip() else "empty"
                except _Timeout:
                    md[EXTRACT_STATUS] = "timeout"
                except Exception as e:  # trafilatura/lxml crash on this page only
                    self.stat_update("failed")
                    failed.write(fail(doc, e), rank)
                    continue
                md[vocab.EXTRACT_CHARS] = len(doc.text)
                yield doc


class ExtractionFilter(CorpusFilter):
    name = "ExtractionFilter"
    stage = vocab.EXTRACT

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        status = doc.metadata.pop(EXTRACT_STATUS, "ok")
        if status == "timeout":
            return False, vocab.R_EXTRACT_TIMEOUT
        if status == "empty":
            return False, vocab.R_EMPTY_EXTRACTION
        return True
