# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The native extraction core: one C walk over lxml's libxml2 tree of a page, then the main content
chosen from the walk's blocks (extract.mode native: corpus/core/extract.py). What it keeps, when it
declines and how it was measured: docs/extraction.md."""

from cpython.unicode cimport PyUnicode_DecodeUTF8
from libc.string cimport strcmp, strlen

from lxml.includes.tree cimport xmlNode, xmlAttr
from lxml.includes.etreepublic cimport _Document, _Element, elementFactory, import_lxml__etree

import re

from corpus.core.tables import is_layout

import_lxml__etree()

cdef enum:
    ELEMENT_NODE = 1
    TEXT_NODE = 3
    CDATA_NODE = 4

# what an element is to the walk
cdef enum Kind:
    INLINE = 0
    DROP = 1  # never main text, with all it holds (scripts, navigation, forms, media)
    BLOCK = 2  # starts and ends a line
    LINK = 3

_KINDS = {
    **dict.fromkeys(
        b"script style noscript template nav footer aside form iframe svg button select textarea head menu object "
        b"embed canvas video audio map dialog input math figure picture figcaption".split(),
        DROP,
    ),
    **dict.fromkeys(
        b"p div section article main h1 h2 h3 h4 h5 h6 li ul ol dl dd dt blockquote pre table tr td th tbody thead "
        b"caption header center body html hr br address details summary".split(),
        BLOCK,
    ),
    b"a": LINK,
}
_CELLS = frozenset((b"td", b"th"))
# blocks that hold a paragraph, not a page's parts: a content name on them styles text, it does not place it
_PARAGRAPHS = frozenset(b"p h1 h2 h3 h4 h5 h6 li dd dt blockquote pre br hr tr caption summary address".split())
# class/id words of page furniture; an element named so is dropped unless it holds most of the page's prose
# (layout wrappers such as "l-sidebar-fixed" around the article)
BOILER_WORDS = frozenset(
    "nav navbar navigation menu footer sidebar comment comments share sharing social related breadcrumb "
    "breadcrumbs crumbs advert advertisement ad ads banner cookie cookies newsletter subscribe promo widget tags "
    "pagination pager recommend recommended recommendations copyright login signup popup modal toolbar masthead "
    "byline caption credit hot rank ranking topbar trending outbrain taboola sponsored metadata noprint navbox "
    "ambox infobox".split()
)
# class/id values that name an article's body (hint 3); <article> is 2, <main> or role=main 1
CONTENT_NAMES = frozenset(
    "articlebody article-body article_body article__body entry-content entry_content entry-body post-content "
    "post_content post-body post-text story-body story-content article-content article_content articlecontent "
    "article__content article-text articletext content-body main-content text-content news-content "
    "content-article c-entry-content".split()
)
_CONTENT_PARTS = ("article-body", "articlebody", "entry-content", "post-content", "story-body", "article-content")
_WORD = re.compile(r"[^a-z0-9]+")
_URL_LINE = re.compile(r"https?://\S+$")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
# CSS frameworks' "display: none" classes (Bootstrap, Tachyons, screen-reader-only text), unless another class
# shows the element at some size or in print ("d-none d-md-block" is desktop content)
HIDING_CLASSES = frozenset("hidden d-none dn sr-only visually-hidden screen-reader-text".split())
_SHOWN_AT = re.compile(r"d-(?:sm|md|lg|xl|xxl|print)-|(?:db|dib|di|dt|flex)-(?:ns|m|l)$")
_HIDDEN_STYLE = ("display:none", "visibility:hidden")
_names_seen = {}  # (class, id) -> (boilerplate, hint, hidden): names repeat within and across pages
MAX_NAMES = 100_000

# a line is prose when at most this share of it is link text and it is long enough to be a sentence
cdef double PROSE_MAX_LINKS = 0.3
cdef Py_ssize_t PROSE_MIN_CHARS = 25
cdef Py_ssize_t PROSE_MIN_CHARS_HAN = 12
# a page with less prose than this (Han characters count 3) is left to trafilatura
cdef double MIN_PROSE = 300
# a boilerplate-named element holding at least this share of the page's prose is a layout wrapper
cdef double WRAPPER_SHARE = 0.5
# a content-named element is the main content when it holds this much of the page's prose (and MIN_PROSE)
cdef double HINT_SHARE = 0.2
# without one: the deepest element holding this share of the prose, if that much of its text is prose
cdef double DENSITY_SHARE = 0.8
cdef double DENSITY_PURITY = 0.75
# lines of the main content dropped as links; a main content with more link text is left to trafilatura
cdef double LINE_MAX_LINKS = 0.5
cdef double MAX_LINK_SHARE = 0.25


cdef object _attr(xmlNode* node, const char* name):
    """The attribute's value as bytes, b"" for one without a value, None when absent."""
    cdef xmlAttr* a = node.properties
    while a is not NULL:
        if strcmp(<const char*>a.name, name) == 0:
            if a.children is NULL or a.children.content is NULL:
                return b""
            return <bytes>(<const char*>a.children.content)
        a = a.next
    return None


def _names(cls: bytes | None, ident: bytes | None) -> tuple:
    """(boilerplate, content hint 0 or 3, hidden) from an element's class and id."""
    raw = b" ".join(x for x in (cls, ident) if x).decode("utf-8", "replace")
    text = raw.lower()
    words = set(_WORD.split(_CAMEL.sub(" ", raw).lower()))  # "GoogleDfpAd-adCaption": google dfp ad ad caption
    hint = 3 if (set(text.split()) & CONTENT_NAMES or any(p in text for p in _CONTENT_PARTS)) else 0
    classes = set((cls or b"").decode("utf-8", "replace").split())
    hidden = bool(classes & HIDING_CLASSES) and not any(_SHOWN_AT.match(c) for c in classes)
    return bool(words & BOILER_WORDS), hint, hidden


cdef bint _hidden(xmlNode* node):
    if _attr(node, "hidden") is not None or _attr(node, "aria-hidden") == b"true":
        return True
    style = _attr(node, "style")
    if style:
        s = style.decode("utf-8", "replace").replace(" ", "").lower()
        return any(h in s for h in _HIDDEN_STYLE)
    return False


cdef inline bint _is_han(Py_UCS4 c):
    return 0x3400 <= c <= 0x9FFF or 0xF900 <= c <= 0xFAFF


cdef double _weight(str line):
    """Characters, a Han character counting 3: it carries about as much as three Latin letters."""
    cdef Py_ssize_t han = 0
    cdef Py_UCS4 c
    for c in line:
        if _is_han(c):
            han += 1
    return len(line) + 2 * han


cdef class _Walk:
    """Lines of text, each owned by the innermost block (or boilerplate-named) element around it; elements
    numbered in document order with their parent's number, so sums run bottom-up in one reverse pass."""

    cdef list lines  # (text, link characters, owner element)
    cdef list parent, boiler, hint, tags
    cdef list chunks
    cdef Py_ssize_t link_chars
    cdef list stack
    cdef _Document doc
    # a data table (corpus.core.tables: a grid of short values) is written as trafilatura writes it, a row a
    # line; a layout table's cells are blocks like any others
    cdef int data_tables
    cdef list cells  # the cells of the data-table row being walked, None outside one

    def __init__(self, _Document doc):
        self.lines, self.parent, self.boiler, self.hint, self.tags = [], [], [], [], []
        self.chunks, self.link_chars, self.stack = [], 0, []
        self.doc, self.data_tables, self.cells = doc, 0, None

    cdef void flush(self):
        if self.chunks:
            text = " ".join("".join(self.chunks).split())
            if not text.isprintable():  # controls, private use, zero widths: trafilatura drops them too
                text = "".join(c for c in text if c.isprintable()).strip()
            if text:
                self.lines.append((text, min(self.link_chars, len(text)), self.stack[len(self.stack) - 1]))
            self.chunks = []
        self.link_chars = 0

    cdef void row(self, xmlNode* node, bint in_link):
        """A data table's row: one line, `| cell | cell |`, whatever blocks its cells hold."""
        self.open(b"tr", False, 0)
        self.cells = []
        self.children(node, in_link)
        self.chunks = []  # what stood between the cells: whitespace
        if self.cells:
            text = "| " + " | ".join(self.cells) + " |"
            self.lines.append((text, min(self.link_chars, len(text)), self.stack[len(self.stack) - 1]))
        self.cells, self.link_chars = None, 0
        self.stack.pop()

    cdef void cell(self, xmlNode* node, bint in_link):
        cdef Py_ssize_t start = len(self.chunks)
        self.children(node, in_link)
        self.cells.append(" ".join("".join(self.chunks[start:]).split()))
        del self.chunks[start:]

    cdef void children(self, xmlNode* node, bint in_link):
        cdef xmlNode* child = node.children
        while child is not NULL:
            if child.type == ELEMENT_NODE:
                self.element(child, in_link)
            elif (child.type == TEXT_NODE or child.type == CDATA_NODE) and child.content is not NULL:
                self.add(<const char*>child.content, in_link)
            child = child.next

    cdef void add(self, const char* content, bint in_link):
        cdef str s = PyUnicode_DecodeUTF8(content, strlen(content), "replace")
        self.chunks.append(s)
        if in_link:
            self.link_chars += len(s.strip())

    cdef void open(self, bytes tag, bint boiler, int hint):
        self.flush()
        self.parent.append(self.stack[len(self.stack) - 1] if self.stack else -1)
        self.stack.append(len(self.tags))
        self.tags.append(tag)
        self.boiler.append(boiler)
        self.hint.append(hint)

    cdef void element(self, xmlNode* node, bint in_link):
        cdef bytes tag = <bytes>(<const char*>node.name)
        cdef int kind = _KINDS.get(tag, INLINE)
        cdef bint opened = False
        cdef int hint
        if kind == DROP or _hidden(node):
            return
        cls, ident = _attr(node, "class"), _attr(node, "id")
        boiler, hint, hidden = False, 0, False
        if cls or ident:
            key = (cls, ident)
            found = _names_seen.get(key)
            if found is None:
                found = _names(cls, ident)
                if len(_names_seen) < MAX_NAMES:
                    _names_seen[key] = found
            boiler, hint, hidden = found
            if hidden and tag not in (b"html", b"body"):
                return
        if self.cells is not None:  # inside a data table's row, which is one line
            if tag in _CELLS:
                self.cell(node, in_link)
            else:
                if kind == BLOCK:
                    self.chunks.append(" ")
                self.children(node, in_link or kind == LINK)
            return
        if kind == BLOCK:
            if tag == b"tr" and self.data_tables:
                self.row(node, in_link)
                return
            if tag == b"table" and not is_layout(elementFactory(self.doc, node)):
                self.data_tables += 1
                self.open(tag, boiler, 0)
                self.children(node, in_link)
                self.flush()
                self.stack.pop()
                self.data_tables -= 1
                return
            if tag in (b"html", b"body"):
                boiler = False
            if tag in _PARAGRAPHS:
                hint = 0
            elif _attr(node, "itemprop") == b"articleBody":
                hint = 3
            elif not hint:
                hint = 2 if tag == b"article" else 1 if (tag == b"main" or _attr(node, "role") == b"main") else 0
            self.open(tag, boiler, hint)
            opened = True
        elif boiler and kind != LINK:
            if not _holds_block(node):
                return  # furniture inside a line (a language note, a share button): gone, the line goes on
            self.open(tag, True, 0)  # an inline-named container (custom elements): a unit the choice can drop
            opened = True
        self.children(node, in_link or kind == LINK)
        if opened:
            self.flush()
            self.stack.pop()


cdef bint _holds_block(xmlNode* node):
    cdef xmlNode* child = node.children
    while child is not NULL:
        if child.type == ELEMENT_NODE and (
            _KINDS.get(<bytes>(<const char*>child.name), INLINE) == BLOCK or _holds_block(child)
        ):
            return True
        child = child.next
    return False


cdef bint _prose(str text, Py_ssize_t links):
    cdef Py_ssize_t n = len(text)
    cdef Py_UCS4 c
    if links > PROSE_MAX_LINKS * n:
        return False
    if n >= PROSE_MIN_CHARS:
        return True
    if n < PROSE_MIN_CHARS_HAN:
        return False
    for c in text:
        if _is_han(c):
            return True
    return False


cdef double _tally(_Walk w, list dead, list prose):
    """Prose weight per element (its own lines and its descendants'), lines of dead elements left out;
    returns the page's total."""
    cdef Py_ssize_t i
    cdef double total = 0, wt
    for text, links, owner in w.lines:
        if not dead[owner] and _prose(text, links):
            wt = _weight(text)
            prose[owner] += wt
            total += wt
    for i in range(len(prose) - 1, 0, -1):  # children come after their parent; element 0 has none
        prose[w.parent[i]] += prose[i]
    return total


def main_text(root):
    """(main text or None, how it was chosen or why none was): None leaves the page to trafilatura."""
    cdef _Walk w
    cdef Py_ssize_t n, i, best = -1, top = 0
    cdef double total, kept_chars = 0, kept_links = 0, all_weight = 0
    if root is None or not isinstance(root, _Element):
        return None, "no tree"
    w = _Walk((<_Element>root)._doc)
    w.open(b"", False, 0)  # element 0 holds everything, so every line has an owner whatever the root's tag
    w.element((<_Element>root)._c_node, False)
    w.flush()
    n = len(w.parent)
    prose = [0.0] * n
    total = _tally(w, [False] * n, prose)
    if total < MIN_PROSE:
        return None, "short"
    # boilerplate-named elements die with what they hold, unless they wrap most of the prose
    dead = [False] * n
    for i in range(n):
        dead[i] = (w.boiler[i] and prose[i] < WRAPPER_SHARE * total) or (w.parent[i] >= 0 and dead[w.parent[i]])
    prose = [0.0] * n
    total = _tally(w, dead, prose)
    if total < MIN_PROSE:
        return None, "short"
    for i in range(n):  # the first element of the strongest content hint that holds enough prose
        if w.hint[i] > top and not dead[i] and prose[i] >= MIN_PROSE and prose[i] >= HINT_SHARE * total:
            best, top = i, w.hint[i]
    how = "hint"
    if best >= 0:
        # two separate elements of that hint with enough prose (an archive of posts): no single main content
        for i in range(best + 1, n):
            if w.hint[i] == top and not dead[i] and prose[i] >= MIN_PROSE and not _inside(w, i, best):
                return None, "several"
    else:
        how = "density"
        for i in range(n):
            if prose[i] >= DENSITY_SHARE * total:
                best = i  # document order: the last one is the deepest of the chain
    inside = [False] * n
    for i in range(best, n):
        inside[i] = i == best or (w.parent[i] >= best and inside[w.parent[i]])
    out = []
    for text, links, owner in w.lines:
        if inside[owner] and not dead[owner]:
            all_weight += _weight(text)
            if links > LINE_MAX_LINKS * len(text) or text.startswith("<") or _URL_LINE.match(text):
                continue  # link lines, markup left as text, a bare address (share and print widgets write them)
            kept_chars += len(text)
            kept_links += links
            out.append("- " + text if w.tags[owner] == b"li" else text)  # list items as trafilatura gives them
    if kept_links > MAX_LINK_SHARE * max(kept_chars, 1):
        return None, "links"
    if how == "density" and prose[best] < DENSITY_PURITY * all_weight:
        return None, "mixed"
    return "\n".join(out), how


cdef bint _inside(_Walk w, Py_ssize_t i, Py_ssize_t ancestor):
    while i >= 0:
        if i == ancestor:
            return True
        i = w.parent[i]
    return False
