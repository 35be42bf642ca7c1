"""Parquet writers for the three fates, all with the one explicit schema from corpus.core.vocab."""

from __future__ import annotations

from datatrove.data import Document
from datatrove.pipeline.writers.parquet import ParquetWriter
from loguru import logger

from corpus.core import progress, vocab
from corpus.core.charset import printable, storable
from corpus.core.layout import Layout

# metadata keys that travel with a document inside a pipeline but are not signal columns
FILTER_REASON = "filter_reason"  # set by datatrove's BaseFilter on excluded documents
ERROR = "_error"  # (class name, message) set by a step that routes a document to `failed`
PENDING_DROP = "_pending_drop"  # (stage, reason) noted by a filter in --annotate-all mode
DROP_RULE = "_drop_rule"  # (rule, value, threshold) of the threshold rule that dropped the document
PRIVATE_PREFIX = "_"
MESSAGE_CHARS = 300  # an error message quoting crawl bytes (a garbage WARC's "first line") is cut to this


def document_row(doc: Document, stage: str | None = None) -> dict:
    """Flatten a Document into one row of vocab.arrow_schema(); undeclared keys are a bug."""
    row = {vocab.ID: doc.id, vocab.TEXT: doc.text}
    md = doc.metadata
    for k, v in md.items():
        if k == FILTER_REASON or k.startswith(PRIVATE_PREFIX):
            continue
        if k not in vocab.KEYS:
            raise KeyError(f"metadata key {k!r} is not declared in corpus/core/vocab.py")
        row[k] = v
    if PENDING_DROP in md:
        row[vocab.STAGE_COL], row[vocab.REASON_COL] = md[PENDING_DROP]
    elif stage is not None:
        row[vocab.STAGE_COL] = stage
        row[vocab.REASON_COL] = md.get(FILTER_REASON)
    if DROP_RULE in md:
        row[vocab.RULE_COL], row[vocab.VALUE_COL], row[vocab.THRESHOLD_COL] = md[DROP_RULE]
    if ERROR in md:
        row[vocab.ERROR_CLASS], row[vocab.ERROR_MESSAGE] = md[ERROR]
    _make_storable(row)
    return row


def _make_storable(row: dict) -> None:
    """pyarrow fails a whole batch, at flush, on a string it cannot encode: the task dies and so does every
    rerun. The readers fail such records; anything that still carries a lone surrogate (an input path from
    a non-UTF-8 file system, say) is repaired here rather than stop the build."""
    for k, v in row.items():
        if isinstance(v, str) and v is not (fixed := storable(v)):
            logger.warning(f"{printable(str(row[vocab.ID]), 200)}: lone surrogates in {k} written as escapes")
            row[k] = fixed


class FateWriter(ParquetWriter):
    """Writes kept, dropped (stage + reason) or failed (stage + error) rows.

    `writer` names the file family (usually the stage); a stage with two dropping steps gives
    each its own writer name so that their files never collide.
    """

    name = "fate writer"

    def __init__(
        self,
        layout: Layout,
        fate: str,
        stage: str | None = None,
        segment: int = 0,
        writer: str | None = None,
        output_dir: str | None = None,
    ):
        folder = output_dir or layout.fate_dir(fate)
        filename = layout.fate_filename(fate, writer or stage or fate, segment)
        if output_dir:
            filename = "${rank}.parquet"
        super().__init__(
            folder,
            output_filename=filename,
            compression="zstd",
            schema=vocab.arrow_schema(),
            max_file_size=-1,
            adapter=_adapter,
            use_content_defined_chunking=False,
        )
        self.fate = fate
        self.stage = stage
        self.layout, self.segment = layout, segment
        self._tally = None

    def write(self, document: Document, rank: int = 0, **kwargs):
        super().write(document, rank, **kwargs)
        if self._tally is None:
            self._tally = progress.task_tally(self.layout, self.segment, rank)
        self._tally.add(self.fate)

    def close(self):
        super().close()
        if self._tally is not None:
            self._tally.flush()


def _adapter(self: FateWriter, doc: Document) -> dict:
    return document_row(doc, self.stage if self.fate != vocab.FATE_KEPT else None)


def fail(doc: Document, error: BaseException) -> Document:
    # the message is shown by `corpus sql` and the CLI: one short line, whatever bytes the error quotes
    doc.metadata[ERROR] = (type(error).__name__, printable(str(error), MESSAGE_CHARS))
    return doc
