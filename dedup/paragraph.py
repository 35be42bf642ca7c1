"""Paragraph exact dedup across the corpus: a line whose normalised text was already seen
`max_repeats` times (in document order: input file, then row, then line) is removed.

hash (one task per input file) -> repeats (one task per hash shard) -> remove + drop emptied.
"""

from __future__ import annotations

import re

import numpy as np
from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from corpus.core import vocab
from dedup.config import ParagraphConfig
from dedup.hashing import hash_str, normalise_line
from dedup.layout import DedupPlan, doc_ref
from dedup.records import SpillWriter, group_starts, load_shard, read_docs, save_npy
from dedup.steps import IDX, KEEP, REASON, FileStep

_NOT_WORD = re.compile(r"[\W_]+")
RECORD = np.dtype([("key", np.uint64), ("doc", np.uint64), ("line", np.uint32)])
REMOVAL = np.dtype([("doc", np.uint64), ("line", np.uint32)])


def eligible_lines(text: str, lang: str | None, pcfg: ParagraphConfig) -> list[tuple[int, int]]:
    """(line number, hash) of the lines with enough letters and digits to be deduplicated (a table
    rule "|---|---|" or a row of dashes is layout, not a repeated paragraph)."""
    min_chars = pcfg.min_chars_for(lang)
    out = []
    for i, line in enumerate(text.split("\n")):
        norm = normalise_line(line)
        if len(norm) >= min_chars and len(_NOT_WORD.sub("", norm)) >= min_chars:
            out.append((i, hash_str(norm)))
    return out


class ParagraphHashes(FileStep):
    name = "paragraph hashes"

    def __init__(self, plan: DedupPlan, pcfg: ParagraphConfig):
        super().__init__(plan)
        self.pcfg = pcfg

    def work(self, rank: int) -> None:
        spill = SpillWriter(self.plan, rank, RECORD)
        for idx, doc in read_docs(self.plan.files[rank], columns=[vocab.ID, vocab.TEXT, vocab.LANG]):
            lines = eligible_lines(doc.text, doc.metadata.get(vocab.LANG), self.pcfg)
            if lines:
                recs = np.zeros(len(lines), dtype=RECORD)
                recs["line"], recs["key"] = zip(*lines)
                recs["doc"] = doc_ref(rank, idx)
                spill.add(recs)
            self.stat_update("documents")
        spill.flush()


class ParagraphRepeats(FileStep):
    """Per hash shard: every occurrence after the first `max_repeats` is a removal."""

    name = "paragraph repeats"

    def __init__(self, plan: DedupPlan, max_repeats: int):
        super().__init__(plan)
        self.max_repeats = max_repeats

    def work(self, rank: int) -> None:
        recs = load_shard(self.plan, rank, RECORD)
        recs = recs[np.lexsort((recs["line"], recs["doc"], recs["key"]))]
        starts = group_starts(recs["key"])
        occurrence = np.arange(len(recs)) - np.repeat(starts, np.diff(starts, append=len(recs)))
        gone = recs[occurrence >= self.max_repeats]
        out = np.zeros(len(gone), dtype=REMOVAL)
        out["doc"], out["line"] = gone["doc"], gone["line"]
        out.sort(order=["doc", "line"])
        self.stat_update("removals", value=len(out))
        save_npy(self.plan.group_output(rank), out)


def removals_of(plan: DedupPlan, rank: int) -> dict[int, set[int]]:
    """Row -> line numbers to remove, for one input file (a slice of every shard's sorted file)."""
    lo, hi = doc_ref(rank, 0), doc_ref(rank + 1, 0)
    out: dict[int, set[int]] = {}
    for path in plan.group_outputs():
        arr = np.load(path, mmap_mode="r")
        a, b = np.searchsorted(arr["doc"], [lo, hi])
        part = np.asarray(arr[a:b])
        for d, line in zip((part["doc"] - np.uint64(lo)).tolist(), part["line"].tolist()):
            out.setdefault(d, set()).add(line)
    return out


class ParagraphRemover(PipelineStep):
    """Formatter: removes the lines the repeats step chose and records how much it removed."""

    name = "paragraph remover"
    type = "✂️ - FORMAT"

    def __init__(self, plan: DedupPlan, max_removed_fraction: float = 1.0):
        super().__init__()
        self.plan, self.max_removed_fraction = plan, max_removed_fraction

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        gone = removals_of(self.plan, rank)
        for doc in data:
            lines = gone.get(doc.metadata[IDX], ())
            removed_chars = 0
            if lines:
                parts = doc.text.split("\n")
                removed_chars = sum(len(parts[i]) for i in lines)
                doc.text = "\n".join(p for i, p in enumerate(parts) if i not in lines)
                self.stat_update("edited")
                if not doc.text.strip():
                    doc.metadata[KEEP] = False
                    doc.metadata[REASON] = vocab.R_EMPTIED_BY_PARAGRAPH_DEDUP
                elif removed_chars > self.max_removed_fraction * (removed_chars + len(doc.text)):
                    # a title or a caption left over from a copied article is not a document
                    doc.metadata[KEEP] = False
                    doc.metadata[REASON] = vocab.R_MOSTLY_DUPLICATE_PARAGRAPHS
            doc.metadata[vocab.DEDUP_PARAGRAPHS_REMOVED] = len(lines)
            doc.metadata[vocab.DEDUP_PARAGRAPH_CHARS_REMOVED] = removed_chars
            yield doc
