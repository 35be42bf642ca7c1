"""Page type from the HTML, before extraction replaces it by text: list/index pages vs articles.

A list page (a news index, search results, a forum's thread list, an announcement list) is links
with short labels between them; an article has a stretch of prose that links do not interrupt.
The text rules see only what trafilatura extracted, and a list page extracts to a column of short
lines that can pass for a short article. So this scorer reads the page's blocks the way boilerplate
detectors do (Kohlschütter et al., "Boilerplate Detection using Shallow Text Features", WSDM
2010: text quantity and link density per block) and stores page-level signals; the `page_type`
stage after language ID decides from them with per-language thresholds
(filters/data/page_type.yaml). Text inputs (JSONL, WET) have no HTML and get no signals, so the
stage never drops them.

One parse per page: the scorer parses the page the way extraction does (corpus.core.extract.parse_page,
trafilatura's own parser), reads its signals from that tree without changing it (hidden elements and
comments are skipped, not removed) and leaves the tree on the document for the Extractor, which drops
it. Only a page trafilatura rejects is parsed here on its own (`parse`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from datatrove.data import Document

from corpus.core import vocab
from corpus.core.extract import HTML_TREE, parse_page, without_early_end
from corpus.core.steps import Scorer, Stage, StageConfig, StageContext, thresholds_file
from filters.config import PageTypeConfig

DEFAULTS = Path(__file__).resolve().parent / "data" / "page_type.yaml"

# never rendered as text: skipped (with what they hold, not their tails) when anything is counted
HIDDEN_TAGS = (
    "script",
    "style",
    "noscript",
    "template",
    "title",
    "iframe",
    "svg",
    "math",
    "select",
    "option",
    "button",
    "textarea",
    "object",
    "embed",
    "canvas",
)
HIDDEN_SET = frozenset(HIDDEN_TAGS)
# elements that start a new block of text (HTML's flow containers); inline ones (a, span, b, ...) do not
BLOCK_TAGS = frozenset(
    {
        "html",
        "body",
        "p",
        "div",
        "section",
        "article",
        "main",
        "header",
        "footer",
        "nav",
        "aside",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "ul",
        "ol",
        "li",
        "dl",
        "dt",
        "dd",
        "table",
        "tbody",
        "thead",
        "tfoot",
        "tr",
        "td",
        "th",
        "caption",
        "blockquote",
        "pre",
        "form",
        "fieldset",
        "figure",
        "figcaption",
        "address",
        "center",
    }
)
# a block is a link block when more than this share of its text is link text (boilerpipe's
# content blocks stay under 1/3; a block of mostly links is navigation, not prose)
LINK_BLOCK_DENSITY = 0.5
# A list entry: one of at least LIST_MIN_ITEMS siblings of one tag and class, LIST_LINKED_SHARE of
# them holding a link, none holding more than LIST_MAX_ITEM_SHARE of the group's text (an article
# body beside its header and footer is not an entry), the group's links at least
# LIST_MIN_LINK_SHARE of its text (links head the entries; the inline links of prose are fewer).
# Paragraphs (<p>) are never entries.
LIST_MIN_ITEMS = 4
LIST_LINKED_SHARE = 0.8
LIST_MAX_ITEM_SHARE = 0.5
LIST_MIN_LINK_SHARE = 0.1

# signal -> reason when below min, reason when above max
REASONS: dict[str, tuple[str | None, str | None]] = {
    vocab.PAGE_TYPE_PROSE_RUN: (vocab.R_LIST_PAGE, None),
    vocab.PAGE_TYPE_LINK_DENSITY: (None, vocab.R_LIST_PAGE),
    vocab.PAGE_TYPE_LIST_SHARE: (None, vocab.R_LIST_PAGE),
}


@dataclass(frozen=True)
class PageShape:
    text_chars: int  # visible non-space characters
    link_chars: int  # of them, inside <a href>
    links: int  # <a href> elements
    prose_run: int  # longest stretch of non-link characters that no link block or list entry interrupts
    list_chars: int  # non-link characters inside list entries

    def signals(self) -> dict:
        other = self.text_chars - self.link_chars
        return {
            vocab.PAGE_TYPE_TEXT_CHARS: self.text_chars,
            vocab.PAGE_TYPE_LINKS: self.links,
            vocab.PAGE_TYPE_LINK_DENSITY: round(self.link_chars / self.text_chars, 6),
            vocab.PAGE_TYPE_PROSE_RUN: self.prose_run,
            vocab.PAGE_TYPE_LIST_SHARE: round(self.list_chars / other, 6) if other else 0.0,
        }


def _chars(s: str | None) -> int:
    return len("".join(s.split())) if s else 0


def _walk(root) -> tuple[dict, list, int]:
    """One pass over the visible text; the tree is only read. Returns element -> [characters in its
    subtree, of them link characters, holds an <a href>] for every visible element, the text in
    document order as (element it sits in, block, inside a link, characters), and the number of
    <a href>. Hidden elements (HIDDEN_TAGS), comments and processing instructions are skipped with
    everything inside them; their tails are text of the enclosing element, as if they were removed."""
    from lxml import etree

    sizes, segments, stack, links = {}, [], [], 0  # stack: (element, block, inside a link, its sizes)
    walker = etree.iterwalk(root, events=("start", "end", "comment", "pi"))
    for event, el in walker:
        if event == "start":
            if el.tag in HIDDEN_SET and stack:  # (the root is never skipped)
                walker.skip_subtree()
                continue
            outer_block, outer_link = (stack[-1][1], stack[-1][2]) if stack else (root, False)
            is_link = el.tag == "a" and el.get("href") is not None
            links += is_link
            block = el if el.tag in BLOCK_TAGS else outer_block
            in_link = outer_link or is_link
            size = [0, 0, is_link]
            stack.append((el, block, in_link, size))
            if el.text and (n := _chars(el.text)):
                segments.append((el, block, in_link, n))
                size[0] += n
                size[1] += n if in_link else 0
            continue
        if event == "end" and stack[-1][0] is el:
            _, _, _, size = stack.pop()
            sizes[el] = size
            if not stack:
                continue
            psize = stack[-1][3]
            psize[0] += size[0]
            psize[1] += size[1]
            psize[2] = psize[2] or size[2]
        elif not stack:  # a comment beside the root
            continue
        # a tail belongs to the enclosing element (that of a skipped element or comment too)
        if el.tail and (n := _chars(el.tail)):
            parent, block, in_link, psize = stack[-1]
            segments.append((parent, block, in_link, n))
            psize[0] += n
            psize[1] += n if in_link else 0
    return sizes, segments, links


def _is_list(members: list, sizes: dict) -> bool:
    if len(members) < LIST_MIN_ITEMS or sum(sizes[m][2] for m in members) < LIST_LINKED_SHARE * len(members):
        return False
    total = sum(sizes[m][0] for m in members)
    return (
        total > 0
        and max(sizes[m][0] for m in members) <= LIST_MAX_ITEM_SHARE * total
        and sum(sizes[m][1] for m in members) >= LIST_MIN_LINK_SHARE * total
    )


def _list_entries(sizes: dict) -> set:
    """Menu entries, headline lists, result cards, thread rows (see LIST_* above), among the visible
    elements (`sizes`, from _walk)."""
    entries = set()
    for parent in sizes:
        if len(parent) < LIST_MIN_ITEMS:  # (counts hidden children too: a cheap bound, groups are counted below)
            continue
        groups: dict[tuple, list] = {}
        for child in parent:
            if child.tag != "p" and child in sizes:  # visible elements only
                groups.setdefault((child.tag, child.get("class", "")), []).append(child)
        for members in groups.values():
            if _is_list(members, sizes):
                entries.update(members)
    return entries


def _pieces(segments: list, entries: set) -> tuple[list, int]:
    """Consecutive text of one block as [block, in a list entry, link chars, other chars], and the
    non-link characters inside list entries."""
    inside = set()
    for e in entries:
        inside.update(e.iter())
    pieces, listed = [], 0
    for el, block, in_link, n in segments:
        in_entry = el in inside
        listed += n if in_entry and not in_link else 0
        if not pieces or pieces[-1][0] is not block:
            pieces.append([block, in_entry, 0, 0])
        pieces[-1][2 if in_link else 3] += n
    return pieces, listed


def _longest_prose_run(pieces: list) -> int:
    best = run = 0
    for _, in_entry, link, other in pieces:
        if in_entry or link > LINK_BLOCK_DENSITY * (link + other):
            run = 0
        else:
            run += other
            best = max(best, run)
    return best


def parse(html: str):
    """The page as lxml's own HTML parser sees it, comments removed; None when unparseable. Only for a
    page trafilatura's parser rejects (parse_page gives None): the signals of every other page are
    read from the tree extraction uses."""
    from lxml import etree

    try:
        # bytes: lxml refuses str input that carries an XML encoding declaration; plain etree
        # elements (not lxml.html's) spare a Python class lookup per element
        parser = etree.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
        root = etree.fromstring(without_early_end(html).encode("utf-8", "replace"), parser)
    except (etree.LxmlError, ValueError):
        return None
    return root


def shape_of(root) -> PageShape | None:
    """The signals of a parsed page, read without changing the tree; None when there is no visible
    text (no evidence either way)."""
    if root is None:
        return None
    sizes, segments, links = _walk(root)
    text, link = sizes[root][0], sizes[root][1]
    if not text:
        return None
    pieces, listed = _pieces(segments, _list_entries(sizes))
    return PageShape(text, link, links, _longest_prose_run(pieces), listed)


def page_shape(html: str) -> PageShape | None:
    """The signals of a page as the scorer reads them; None when there is no visible text."""
    tree = parse_page(html)
    return shape_of(tree if tree is not None else parse(html))


class PageTypeScorer(Scorer):
    """Runs before extraction, on HTML payloads only; other documents get no signals.

    Parses the page once for both: the tree stays on the document (HTML_TREE, a private key that no
    writer stores) for the Extractor, which takes it off; None there says trafilatura rejects the page."""

    name = "page type"

    def score(self, doc: Document) -> dict:
        if doc.metadata.get(vocab.PAYLOAD_KIND) != "html":
            return {}
        try:
            tree = parse_page(doc.text)
            doc.metadata[HTML_TREE] = tree
            shape = shape_of(tree if tree is not None else parse(doc.text))
        except Exception:  # lxml on one odd page: no signals (so no decision), never a failed task
            self.stat_update("page_type_error")
            return {}
        return shape.signals() if shape else {}


# ---------------------------------------------------------------- thresholds and the stage


def _defaults(cfg: StageConfig[PageTypeConfig]) -> dict:
    return thresholds_file(cfg.section.defaults_file or str(DEFAULTS), REASONS)


def page_type(cfg: StageConfig[PageTypeConfig], ctx: StageContext) -> list:
    """The decision only: the signals were written before extraction (corpus.build.front_steps)."""
    return [STAGES[0].threshold_filter(cfg, ctx)]


STAGES = (
    Stage(vocab.PAGE_TYPE, page_type, signals=REASONS, defaults=_defaults, section=("page_type", PageTypeConfig)),
)
