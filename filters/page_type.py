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


# what str.split() splits an ASCII string at (str.isspace() of the 128 ASCII code points)
_ASCII_SPACE = b"\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f "


def _chars(s: str | None) -> int:
    return len("".join(s.split())) if s else 0


def _count(s: str) -> int:
    """_chars of a string that is not empty and not all whitespace, without building its words: an ASCII
    string (most of a page, and what a check of one flag tells) loses its whitespace in one C call."""
    if s.isascii():
        return len(s.encode("ascii").translate(None, _ASCII_SPACE))
    return len("".join(s.split()))


def _shape(root) -> PageShape | None:
    """One pass over the visible text; the tree is only read. Hidden elements (HIDDEN_TAGS), comments and
    processing instructions are skipped with everything inside them; their tails are text of the
    enclosing element, as if they were removed. The root is never skipped, and its tail is not read.

    The nodes come in document order from lxml's iterator (one Python step per node, no end events):
    an element closes when its last child is done, which its number of children tells. Running totals
    (characters, link characters, <a href>) and the text as parallel lists of numbers (per segment its
    block, a number per block element, and its characters, negative inside a link) stand for the
    sizes of every element: its subtree is a stretch of document order, so its sizes are the totals at
    its end less those at its start and its text is a range of segments. Only the children of an
    element with at least LIST_MIN_ITEMS children are kept, as candidate list entries (_entry_groups
    when their parent closes)."""
    from lxml import etree

    skipped = HIDDEN_SET | {etree.Comment, etree.ProcessingInstruction}
    blocks, min_items = BLOCK_TAGS, LIST_MIN_ITEMS
    seg_block: list[int] = []  # per text segment, in document order: its block (0: the root's)
    seg_chars: list[int] = []  # its characters, negative inside a link
    add_block, add_chars = seg_block.append, seg_chars.append
    entries: list[tuple[int, int]] = []  # segment ranges of list entries
    chars = link_chars = links = blocks_seen = 0
    # the open element and its state: its block, whether it is inside a link, its children as candidate
    # entries (None when fewer than LIST_MIN_ITEMS) and how many of them are still to come; the stack
    # holds the enclosing elements' states with the open element's tag and totals at its start
    tag = root.tag
    in_link = tag == "a" and root.get("href") is not None
    links += in_link
    cur, block, remaining = root, 0, len(root)
    kids = [] if remaining >= min_items else None
    stack: list[tuple] = [(None, 0, False, None, 0, tag, 0, 0, 0, 0)]
    push, pop = stack.append, stack.pop
    text = root.text
    if text and not text.isspace():
        n = _count(text)
        add_block(block)
        add_chars(-n if in_link else n)
        chars, link_chars = n, n if in_link else 0
    nodes = root.iter()
    next(nodes)  # the root
    for el in nodes:
        tag = el.tag
        if tag in skipped:
            if len(el):
                _skip_subtree(nodes, el)
        else:
            c0, l0, k0, s0 = chars, link_chars, links, len(seg_chars)
            is_link = tag == "a" and el.get("href") is not None
            if is_link:
                links += 1
            if tag in blocks:
                blocks_seen += 1
                el_block = blocks_seen
            else:
                el_block = block
            el_link = in_link or is_link
            text = el.text
            if text and not text.isspace():
                n = _count(text)
                add_block(el_block)
                chars += n
                if el_link:
                    link_chars += n
                    add_chars(-n)
                else:
                    add_chars(n)
            n = len(el)
            if n:  # open until its last child is done
                push((cur, block, in_link, kids, remaining, tag, c0, l0, k0, s0))
                cur, block, in_link, kids, remaining = el, el_block, el_link, [] if n >= min_items else None, n
                continue
            if kids is not None and tag != "p":  # a leaf among candidate entries
                kids.append((chars - c0, link_chars - l0, links > k0, s0, len(seg_chars), (tag, el.get("class", ""))))
        while True:  # el is done: its tail is text of the open element, which may close in turn
            # (counted inline like el.text above, not through a helper: this runs once per node)
            tail = el.tail
            if tail and not tail.isspace():
                n = _count(tail)
                add_block(block)
                chars += n
                if in_link:
                    link_chars += n
                    add_chars(-n)
                else:
                    add_chars(n)
            remaining -= 1
            if remaining:
                break
            if kids is not None and len(kids) >= min_items:
                _entry_groups(kids, entries)
            el = cur
            cur, block, in_link, kids, remaining, tag, c0, l0, k0, s0 = pop()
            if cur is None:  # the root closed
                break
            if kids is not None and tag != "p":
                kids.append((chars - c0, link_chars - l0, links > k0, s0, len(seg_chars), (tag, el.get("class", ""))))
    if not chars:
        return None
    in_entry = bytearray(len(seg_chars))
    for s0, s1 in entries:
        in_entry[s0:s1] = b"\x01" * (s1 - s0)
    # consecutive text of one block as [block, in a list entry, link chars, other chars] (as _pieces)
    pieces, listed, last, piece = [], 0, -1, None
    for b, n, e in zip(seg_block, seg_chars, in_entry):
        if b != last:
            last, piece = b, [b, e, 0, 0]
            pieces.append(piece)
        if n < 0:
            piece[2] -= n
        else:
            piece[3] += n
            if e:
                listed += n
    return PageShape(chars, link_chars, links, _longest_prose_run(pieces), listed)


def _skip_subtree(nodes, el) -> None:
    """Advances `nodes` (an iter() of the tree, just past el) over el's descendants, in C."""
    from collections import deque
    from itertools import islice

    deque(islice(nodes, sum(1 for _ in el.iterdescendants())), maxlen=0)


def _is_entry_group(sizes: list) -> bool:
    """Whether siblings of one tag and class, as their [characters, link characters, holds an <a href>],
    are list entries (LIST_* above)."""
    n = len(sizes)
    if n < LIST_MIN_ITEMS or sum(s[2] for s in sizes) < LIST_LINKED_SHARE * n:
        return False
    total = sum(s[0] for s in sizes)
    return (
        total > 0
        and max(s[0] for s in sizes) <= LIST_MAX_ITEM_SHARE * total
        and sum(s[1] for s in sizes) >= LIST_MIN_LINK_SHARE * total
    )


def _entry_groups(kids: list, entries: list) -> None:
    """Menu entries, headline lists, result cards, thread rows among the visible children of one element
    (not <p>), each as (characters, link characters, holds an <a href>, first segment, end segment,
    (tag, class)): the segment ranges of those that are list entries go to `entries`."""
    groups: dict[tuple, list] = {}
    for k in kids:
        groups.setdefault(k[5], []).append(k)
    for members in groups.values():
        if _is_entry_group(members):
            entries.extend((m[3], m[4]) for m in members)


def _is_list(members: list, sizes: dict) -> bool:
    """_is_entry_group of elements, with their sizes as element -> [characters, link characters, holds an
    <a href>] (the reference in benchmarks/one_parse_check.py uses it)."""
    return _is_entry_group([sizes[m] for m in members])


def _pieces(segments: list, entries: set) -> tuple[list, int]:
    """Consecutive text of one block as [block, in a list entry, link chars, other chars], and the
    non-link characters inside list entries, from the text as (element it sits in, block, inside a
    link, characters) and the entry elements (the reference in benchmarks/one_parse_check.py; _shape
    does the same on segment numbers)."""
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
    return None if root is None else _shape(root)


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
