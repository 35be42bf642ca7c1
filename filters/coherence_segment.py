"""`coherence.action: segment`: cut an incoherent document at its weakest boundary instead of dropping it."""

from __future__ import annotations

from datatrove.data import Document

from corpus.core import vocab
from corpus.core.configlib import for_lang
from corpus.core.steps import Formatter


class CoherenceSegmenter(Formatter):
    """Formatter: below the language's min_score, keep the longer side of the weakest boundary.

    The text changes, so the document records it (coherence_segmented); its other signals were
    computed on the whole text and stay as they were.
    """

    name = "coherence segmenter"

    def __init__(self, min_score: dict[str, float | None]):
        super().__init__()
        self.min_score = dict(min_score)

    def rewrite(self, doc: Document) -> None:
        md = doc.metadata
        score, cut = md.get(vocab.COHERENCE_SCORE), md.get(vocab.COHERENCE_WEAKEST_BOUNDARY)
        limit = for_lang(self.min_score, md.get(vocab.LANG))
        segmented = score is not None and limit is not None and score < limit and cut is not None and cut > 0
        if segmented:
            left, right = doc.text[:cut].rstrip(), doc.text[cut:].lstrip()
            doc.text = left if len(left) >= len(right) else right
        md[vocab.COHERENCE_SEGMENTED] = segmented
