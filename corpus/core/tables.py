"""Layout tables become blocks before extraction; data tables stay tables.

Old pages (most Chinese news sites before ~2008, many English ones) lay the whole page out in
`<table>`s. trafilatura renders every table as Markdown rows, so a table holding the article
comes out as a few `| ... |` lines: the paragraphs inside a cell are joined into one line and
sentence-based rules (C4) then count no sentences. A table whose cells hold prose or other
tables is not tabular data; its rows and cells are turned into `<div>`s so the extractor sees
blocks and paragraphs, as it would on a page laid out with CSS.

What makes a table a layout table follows the "genuine table" tests of table-detection work
(Penn et al. 2001, "Flexible web document analysis for delivery to narrow-bandwidth devices";
Cafarella et al. 2008, "WebTables"): a relational table has at least two rows and two columns
of values, holds no nested table, and its cells are short values, not paragraphs. ARIA's
`role="presentation"` says the same explicitly (trafilatura honours it); these pages predate it.
"""

from __future__ import annotations

import re

from lxml.html import HtmlElement

# A cell with this much text (whitespace collapsed) holds prose, not a value: about two English
# sentences or a Chinese paragraph; values in data tables (names, numbers, scores, short notes)
# stay well under it, and a data table taken for layout only loses its grid, not its text.
PROSE_CHARS = 150
# A cell whose text is this much link text is a link; a table of links only is a menu.
LINK_SHARE = 0.9
CELLS = ("td", "th")
# table parts renamed when a table is layout; a nested table is judged on its own
PARTS = ("table", "thead", "tbody", "tfoot", "tr", "td", "th", "caption", "colgroup", "col")
_NOT_OWN = ("table", "script", "style")  # a cell's text is neither its nested tables' nor code
_SPACE = re.compile(r"\s+")


def _owner(elem: HtmlElement) -> HtmlElement | None:
    return next(elem.iterancestors("table"), None)


def _own_text(elem: HtmlElement) -> str:
    """The element's text without that of nested tables and scripts."""
    parts = [elem.text or ""]
    for child in elem:
        if isinstance(child.tag, str) and child.tag not in _NOT_OWN:
            parts.append(_own_text(child))
        parts.append(child.tail or "")
    return _SPACE.sub(" ", "".join(parts)).strip()


def _link_chars(cell: HtmlElement) -> int:
    return sum(len(_own_text(a)) for a in cell.iter("a") if _owner(a) is _owner(cell))


def is_layout(table: HtmlElement) -> bool:
    if table.find(".//table") is not None:
        return True  # it frames other tables
    rows = []  # (text, cell) of the non-empty cells of each of the table's own rows that has any
    for row in table.iter("tr"):
        if _owner(row) is table:
            cells = [(text, c) for c in row if c.tag in CELLS and (text := _own_text(c))]
            if cells:
                rows.append(cells)
    if len(rows) < 2 or max(map(len, rows)) < 2:
        return True  # not a grid of values: one row or one column
    if any(len(text) >= PROSE_CHARS for row in rows for text, _ in row):
        return True  # a cell holds prose
    # a grid of links is a menu
    return all(_link_chars(cell) >= LINK_SHARE * len(text) for row in rows for text, cell in row)


def unwrap_layout_tables(tree: HtmlElement) -> int:
    """Renames the parts of every layout table to `div`, in place; returns how many tables."""
    # judge and collect everything before renaming anything: a renamed table no longer owns its parts
    layout = [t for t in tree.iter("table") if is_layout(t)]
    parts = [e for t in layout for e in t.iter(*PARTS) if e is t or (e.tag != "table" and _owner(e) is t)]
    for elem in parts:
        elem.tag = "div"
    return len(layout)
