"""The fast extraction path: resiliparse's main-content text, taken only on pages it handles well.

resiliparse (lexbor, C) extracts a page ~9x faster than trafilatura and keeps nearly all of an
article's text (recall 0.99 on the labelled pages), but it also keeps what surrounds it on pages
full of links: menus, related-story lists, comment threads, the portal frames of old Chinese news
sites. So each page is judged from cheap features before its fast text is trusted, and trafilatura
extracts the others (corpus/core/extract.py). The chooser and its measurements: docs/extraction.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# values of the `extractor` signal
FAST = "resiliparse"
FULL = "trafilatura"
NATIVE = "native"
_ANCHOR = re.compile(r"<a\s", re.I)
# a shorter fast text is not worth judging: trafilatura is cheap on short pages, and a page whose
# main content came out this short is more often a page whose article resiliparse missed
MIN_FAST_CHARS = 200


def clean_lines(text: str) -> str:
    """Spaces at line ends and lines with nothing visible removed (spacer blocks, padded <br> lines):
    line-based rules would count the first as duplicates and miss the end punctuation of the second."""
    return "\n".join(line for line in map(str.rstrip, text.split("\n")) if line)


@dataclass(frozen=True)
class FastPage:
    text: str  # resiliparse's main content, cleaned like trafilatura's output
    visible_chars: int  # all rendered text of the page
    anchors: int  # <a> elements in the HTML

    @property
    def links_per_kchar(self) -> float:
        return 1000 * self.anchors / max(self.visible_chars, 1)


def fast_page(html: str) -> FastPage:
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.html import HTMLTree

    tree = HTMLTree.parse(html)
    options = dict(
        alt_texts=False, links=False, form_fields=False, noscript=False, list_bullets=False, preserve_formatting=True
    )
    main = extract_plain_text(tree, main_content=True, **options)
    visible = extract_plain_text(tree, main_content=False, **options)
    return FastPage(clean_lines(main), len(visible), len(_ANCHOR.findall(html)))


def reliable(page: FastPage, max_links_per_kchar: float) -> bool:
    """Link density is the feature that told the pages apart: resiliparse's large losses against
    trafilatura are link blocks that survive (navigation, 'top stories', comment and archive lists),
    and a page with few links per character of text has few of them to leave in."""
    return len(page.text) >= MIN_FAST_CHARS and page.links_per_kchar <= max_links_per_kchar
