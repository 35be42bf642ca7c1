"""Readers: every record of every input shard becomes a Document or a `failed` row.

datatrove's WarcReader silently skips records whose payload type it cannot establish or whose
charset detection fails; this reader yields every response/resource/conversion record and lets
the `content` stage decide, so the accounting identity (records = kept + dropped + failed)
holds per shard.
"""

from __future__ import annotations

import glob as globlib
import json
import os
import re
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from loguru import logger

from corpus.core import progress, remote, vocab
from corpus.core.charset import decode, printable, storable
from corpus.core.layout import Layout
from corpus.core.warc import Archive, DamagedRecord
from corpus.core.writers import FateWriter, fail

WARC_DOC_TYPES = ("response", "resource", "conversion")
FORMAT_SUFFIXES = (  # longest first
    (".warc.wet.gz", "wet"),
    (".wet.gz", "wet"),
    (".wet", "wet"),
    (".warc.gz", "warc"),
    (".warc", "warc"),
    (".arc.gz", "warc"),
    (".jsonl.gz", "jsonl"),
    (".jsonl.zst", "jsonl"),
    (".jsonl", "jsonl"),
    (".json.gz", "jsonl"),
    (".ndjson", "jsonl"),
    (".parquet", "parquet"),
)
PROGRESS_EVERY_S = 10.0


class InputError(Exception):
    pass


class TruncatedRecord(InputError):
    pass


class DuplicateId(InputError):
    pass


def detect_format(path: str, configured: str = "auto") -> str:
    if configured != "auto":
        return configured
    name = os.path.basename(path).lower()
    for suffix, fmt in FORMAT_SUFFIXES:
        if name.endswith(suffix):
            return fmt
    raise InputError(f"cannot tell the format of {path!r} from its name; set input.format")


def resolve_inputs(
    inputs: tuple[str, ...],
    pattern: str = "**/*",
    fmt: str = "auto",
    output: str | None = None,
    storage: dict | None = None,
) -> tuple[list[str], list[str]]:
    """Expand paths, directories and globs; returns (files sorted, missing inputs). A file is named by
    its real path, so one given twice under two spellings (or through a symlink) is read once. A
    directory yields the files of a known input format (with fmt auto: a readme.txt beside the shards
    is not one). A directory or glob holding `output` yields none of its files (a build into crawl/out
    reads crawl/ without its own tables and logs); an input inside `output` is for check_apart to refuse.
    A URL (s3://bucket/crawl/, s3://bucket/crawl/*.warc.gz) is listed in object storage with the fsspec
    options `storage` gives its protocol (the config's `storage:`) and stays a URL; an endpoint or
    credentials that do not work raise RemoteError (one line naming the URL), before anything is written."""
    files, missing = set(), []
    for item in inputs:
        hits, folder = (
            _expand_remote(item, pattern, fmt, storage) if remote.is_remote(item) else _expand(item, pattern, fmt)
        )
        if output is not None and not _within(_root(item), output):
            hits = [h for h in hits if not _within(h, output)]
        if hits or folder:  # an empty directory is not a missing input
            files.update(hits)
        else:
            missing.append(item)
    return sorted({f if remote.is_remote(f) else os.path.realpath(f) for f in files}), missing


def _expand(item: str, pattern: str, fmt: str) -> tuple[list[str], bool]:
    """(the files, whether the item is a directory)"""
    if _is_glob(item):
        return [h for h in globlib.glob(item, recursive=True) if os.path.isfile(h)], False
    if os.path.isdir(item):
        return [
            h
            for h in globlib.glob(os.path.join(item, pattern), recursive=True)
            if os.path.isfile(h) and (fmt != "auto" or _known_format(h))
        ], True
    return ([item] if os.path.isfile(item) else []), False


def _expand_remote(item: str, pattern: str, fmt: str, storage: dict | None) -> tuple[list[str], bool]:
    """_expand in object storage: (the objects' URLs, whether the item is a folder, i.e. a prefix)."""
    fs, path = remote.filesystem(item, storage)
    scheme = remote.protocol(item)

    def files(found: dict, known_only: bool = False) -> list[str]:
        return [
            f"{scheme}://{k}"
            for k, v in found.items()
            if v.get("type") == "file" and (not known_only or _known_format(k))
        ]

    try:
        if _is_glob(item):
            return files(remote.call(item, fs.glob, path, detail=True)), False
        info = remote.call(item, fs.info, path.rstrip("/") or path)
        if info.get("type") != "directory":
            return [item], False
        found = remote.call(item, fs.glob, f"{path.rstrip('/')}/{pattern}", detail=True)
        return files(found, known_only=fmt == "auto"), True
    except FileNotFoundError:  # no such object, prefix or bucket: a missing input, as a local path is
        return [], False


def check_apart(inputs: tuple[str, ...], output: str) -> None:
    """Refuse an input inside the output directory (or the directory itself), before anything is
    touched: --overwrite would delete it, and the build would read its own tables and logs."""
    from corpus.core.outdir import OutputError

    for item in inputs:
        if _within(_root(item), output):
            raise OutputError(
                f"input {printable(item)!r} lies inside the output directory {printable(output)!r}; "
                "write the output elsewhere"
            )


def _is_glob(item: str) -> bool:
    return any(ch in item for ch in "*?[")


def _root(item: str) -> str:
    """The directory a glob searches; any other input is its own root."""
    if not _is_glob(item):
        return item
    return os.path.dirname(re.split(r"[*?[]", item, maxsplit=1)[0]) or "."


def _known_format(path: str) -> bool:
    return os.path.basename(path).lower().endswith(tuple(suffix for suffix, _ in FORMAT_SUFFIXES))


def _within(path: str, directory: str) -> bool:
    if remote.is_remote(path) or remote.is_remote(directory):  # a URL is within another URL only
        if not (remote.is_remote(path) and remote.is_remote(directory)):
            return False
        path, directory = path.rstrip("/"), directory.rstrip("/")
        return path == directory or path.startswith(directory + "/")
    path, directory = os.path.realpath(path), os.path.realpath(directory)
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


def first_record_fields(path: str, fmt: str, storage: dict | None = None) -> list[str] | None:
    """Field names of a JSONL file's first record or a Parquet file's columns; None if unreadable."""
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            with remote.open_file(path, storage) as f:
                return pq.read_schema(f).names
        with remote.open_text(path, storage) as f:
            line = next((ln for ln in f if ln.strip()), None)
        row = json.loads(line) if line else None
        return list(row) if isinstance(row, dict) else None
    except Exception:  # an unreadable file is reported per shard by the build itself
        return None


def check_text_field(
    files: list[str], configured: str, text_field: str, sample: int = 20, storage: dict | None = None
) -> None:
    """Say up front when input.text_field names no field of the JSONL/Parquet inputs (every record
    would fail). Only when no sampled file has it: a mixed input still builds, failing per record."""
    from corpus.core.configlib import ConfigError

    seen = []
    for path in files:
        try:
            fmt = detect_format(path, configured)
        except InputError:
            continue
        if fmt in ("jsonl", "parquet") and (fields := first_record_fields(path, fmt, storage)) is not None:
            if text_field in fields:
                return
            seen.append((path, fields))
        if len(seen) >= sample:
            break
    if seen:
        path, fields = seen[0]
        raise ConfigError(
            "input.text_field",
            f"no field {text_field!r} in {os.path.basename(path)} (its fields: {', '.join(map(str, fields[:12]))})",
        )


def _relative(path: str, base_dir: str) -> str:
    """The path below base_dir, for a file or a URL (os.path.relpath would fold a URL's '//'). Where local
    files and URLs are read together, no folder holds them all: a URL without its protocol, a file's path
    without its leading '/'."""
    if remote.is_remote(path):
        base = base_dir.rstrip("/") + "/"
        return path[len(base) :] if path.startswith(base) else path.split("://", 1)[1]
    if not base_dir or remote.is_remote(base_dir):
        return path.lstrip(os.sep)
    return os.path.relpath(path, base_dir)


def doc_id(rel_path: str, index: int) -> str:
    return f"{rel_path}#{index}"


def _utf8(field: str, value: str) -> bytes:
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError as e:  # a JSON "\ud800" escape: Parquet cannot store it and would fail the whole task
        raise InputError(
            f"field {field!r} holds a lone surrogate (U+{ord(value[e.start]):04X} at character "
            f"{e.start}), which is not valid Unicode"
        ) from None


def _batch_rows(batch) -> list:
    """A Parquet batch as dicts; where it cannot be converted (invalid UTF-8 in a string column), row by
    row, with the error in place of each row that fails."""
    try:
        return batch.to_pylist()
    except Exception:
        return [_one_row(batch.slice(i, 1)) for i in range(batch.num_rows)]


def _one_row(batch) -> dict | Exception:
    try:
        return batch.to_pylist()[0]
    except Exception as e:
        return e


def _sniff_kind(content_type: str, body: bytes, identified: str | None) -> str:
    ct = (identified or content_type or "").lower()
    if "html" in ct or "xml" in ct and b"<html" in body[:2048].lower():
        return "html"
    head = body[:1024].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html", b"<head", b"<body")) or b"<html" in head:
        return "html"
    if ct.startswith("text/plain"):
        return "text"
    return "other"


class CrawlReader(PipelineStep):
    """Reads WARC/WET/JSONL/Parquet files assigned to this task (files[rank::world_size])."""

    name = "crawl reader"
    type = "📖 - READER"

    def __init__(
        self,
        files: list[str],
        base_dir: str,
        layout: Layout,
        fmt: str = "auto",
        text_field: str = "text",
        id_field: str = "",
        url_field: str = "url",
        max_bytes: int = 5_000_000,
        segment: int = 0,
        limit: int = 0,
        storage: dict | None = None,
    ):
        super().__init__()
        self.files, self.base_dir, self.layout, self.fmt = files, base_dir, layout, fmt
        self.storage = storage  # fsspec options per protocol, for inputs in object storage (config `storage:`)
        self.text_field, self.id_field, self.url_field = text_field, id_field, url_field
        self.max_bytes, self.segment = max_bytes, segment
        self.limit = limit  # records read per file (input.limit); 0: all
        self.failed = FateWriter(layout, vocab.FATE_FAILED, stage=vocab.READ, segment=segment)

    # ------------------------------------------------------------------ per-format record iterators
    def _warc_records(self, path: str) -> Iterator[Document]:
        with Archive(path, self.storage) as archive:
            index = 0
            for item in archive:
                if (doc := self._warc_doc(archive, item, index)) is not None:
                    index += 1
                    yield doc

    def _warc_doc(self, archive: Archive, item, index: int) -> Document | None:
        """The record as a Document (failed where damaged); None for a record type that holds no document."""
        if isinstance(item, DamagedRecord):
            self._shard_errors += 1
            return fail(self._doc(index, item.offset, "warc"), item)
        doc = self._doc(index, None, "wet" if item.rec_type == "conversion" else "warc")
        if item.rec_type in WARC_DOC_TYPES:
            try:
                self._fill_warc(doc, item)
            except Exception as e:  # a broken record (bad chunking, bad encoding): this record only
                fail(doc, e)
                self._shard_errors += isinstance(e, TruncatedRecord)
        try:  # once the payload is read: where the record ends is checked against the bytes after it
            doc.metadata[vocab.SOURCE_OFFSET] = archive.end()
        except DamagedRecord as e:
            self._shard_errors += 1
            doc.metadata[vocab.SOURCE_OFFSET] = e.offset
            return fail(doc, e)
        if item.rec_type not in WARC_DOC_TYPES:
            self._skipped[item.rec_type] += 1
            return None
        return doc

    def _fill_warc(self, doc: Document, record) -> None:
        md = doc.metadata
        h = record.rec_headers
        md[vocab.URL] = h.get_header("WARC-Target-URI")
        md[vocab.WARC_RECORD_ID] = h.get_header("WARC-Record-ID")
        md[vocab.WARC_DATE] = h.get_header("WARC-Date")
        if record.http_headers is not None and record.rec_type == "response":
            ct = record.http_headers.get_header("Content-Type") or ""
        else:
            ct = h.get_header("Content-Type") or ""
        stream = record.content_stream()
        body = stream.read(self.max_bytes + 1)
        size = len(body)
        while chunk := stream.read(1 << 20):  # oversized: count the rest without holding it
            size += len(chunk)
        missing = getattr(record.raw_stream, "limit", 0)
        if missing:  # warcio returns a cut-off last record without complaint
            raise TruncatedRecord(
                f"record body ends {missing} bytes before its Content-Length "
                "(truncated file or broken chunked encoding)"
            )
        md[vocab.CONTENT_TYPE] = ct.split(";")[0].strip().lower() or None
        md[vocab.PAYLOAD_BYTES] = size
        kind = (
            "text"
            if record.rec_type == "conversion"
            else _sniff_kind(ct, body, h.get_header("WARC-Identified-Payload-Type"))
        )
        md[vocab.PAYLOAD_KIND] = kind
        if kind == "other":
            return
        doc.text, md[vocab.CHARSET], md[vocab.CHARSET_SOURCE] = decode(body[: self.max_bytes], ct)

    def _jsonl_records(self, path: str) -> Iterator[Document]:
        for index, line in enumerate(remote.open_text(path, self.storage)):
            yield self._row_doc(index, "jsonl", line)

    def _parquet_records(self, path: str) -> Iterator[Document]:
        """Row by row; a row group that cannot be decoded fails each of its rows, so the file's rows are all
        counted."""
        import pyarrow.parquet as pq

        f = pq.ParquetFile(remote.open_file(path, self.storage) if remote.is_remote(path) else path)
        # only the fields read: a broken value in another column costs nothing
        columns = [
            c
            for c in dict.fromkeys((self.text_field, self.id_field, self.url_field))
            if c and c in f.schema_arrow.names
        ]
        index = 0
        for group in range(f.num_row_groups):
            end = index + f.metadata.row_group(group).num_rows
            try:
                for batch in f.iter_batches(batch_size=1024, row_groups=[group], columns=columns):
                    for row in _batch_rows(batch):
                        yield self._row_doc(index, "parquet", row)
                        index += 1
            except Exception as e:  # an undecodable row group: each of its rows not read yet fails
                self._shard_errors += 1
                yield from (fail(self._doc(i, i, "parquet"), e) for i in range(index, end))
                index = end

    def _row_doc(self, index: int, fmt: str, row: str | dict | Exception) -> Document:
        """A JSONL line or Parquet row (or the error converting it) as a Document, failed where unusable."""
        doc = self._doc(index, index, fmt)
        if isinstance(row, Exception):
            return fail(doc, row)
        try:
            self._fill_row(doc, json.loads(row) if isinstance(row, str) else row)
        except Exception as e:
            fail(doc, e)
        return doc

    def _fill_row(self, doc: Document, row: dict) -> None:
        if not isinstance(row, dict):
            raise InputError(f"record is a {type(row).__name__}, not an object")
        if self.text_field not in row:
            raise InputError(f"record has no {self.text_field!r} field (input.text_field)")
        text = row[self.text_field]
        if not isinstance(text, str):
            raise InputError(f"field {self.text_field!r} is {type(text).__name__}, not a string")
        size = len(_utf8(self.text_field, text))  # checked before anything is set: a bad record fails whole
        url = None if row.get(self.url_field) is None else str(row[self.url_field])
        if url is not None:
            _utf8(self.url_field, url)
        if self.id_field and row.get(self.id_field) is not None:
            doc.id = self._unique_id(str(row[self.id_field]))
        doc.text = text
        doc.metadata[vocab.URL] = url
        doc.metadata[vocab.PAYLOAD_KIND] = "text"
        doc.metadata[vocab.PAYLOAD_BYTES] = size

    def _unique_id(self, value: str) -> str:
        """Dedup names clusters and survivors by id: a value this task has read before fails the record."""
        _utf8(self.id_field, value)
        if value in self._ids:
            raise DuplicateId(
                f"id {printable(value, 100)!r} (input.id_field {self.id_field!r}) was read before; "
                "the first record with it goes on, this one fails"
            )
        self._ids.add(value)
        return value

    def _doc(self, index: int, offset: int | None, fmt: str) -> Document:
        return Document(
            text="",
            id=doc_id(self._rel, index),
            metadata={
                vocab.SOURCE_FILE: self._name,
                vocab.SOURCE_OFFSET: offset,
                vocab.RECORD_INDEX: index,
                vocab.SOURCE_FORMAT: fmt,
            },
        )

    # ------------------------------------------------------------------ the step
    def _records(self, path: str) -> Iterator[Document]:
        # names as stored and shown: a non-UTF-8 file name's bytes written \xNN (Parquet holds valid Unicode only)
        self._name, self._rel = storable(path), storable(_relative(path, self.base_dir))
        try:
            fmt = detect_format(path, self.fmt)
            reader = {
                "warc": self._warc_records,
                "wet": self._warc_records,
                "jsonl": self._jsonl_records,
                "parquet": self._parquet_records,
            }[fmt]
            yield from reader(path)
        except Exception as e:  # cannot open / parse at all
            self._shard_errors += 1
            yield fail(self._doc(-1, 0, self.fmt), e)

    def _size(self, path: str) -> int:
        """Bytes of an input file, for progress (0 when it cannot be told)."""
        if not remote.is_remote(path):
            return os.path.getsize(path) if os.path.exists(path) else 0
        try:
            return remote.size(path, self.storage)
        except (OSError, remote.RemoteError):
            return 0

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for stale in self.layout.rank_outputs(self.segment, rank):
            os.remove(stale)
        tally = progress.start_task(self.layout, self.segment, rank)
        mine = self.files[rank::world_size]
        accounting, last, start, total = {}, time.monotonic(), time.monotonic(), 0
        self._ids = set()  # input.id_field values read by this task
        with self.failed as failed:
            done_bytes = 0
            for i, path in enumerate(mine):
                self._skipped, self._shard_errors, records = Counter(), 0, 0
                for doc in self._records(path):
                    records += 1
                    total += 1
                    self.stat_update("records")
                    tally.add(progress.READ)
                    if doc.metadata.get(vocab.SOURCE_FORMAT) in ("warc", "wet"):  # offsets are bytes there only
                        tally.set(progress.BYTES, done_bytes + max(0, doc.metadata.get(vocab.SOURCE_OFFSET, 0)))
                    if "_error" in doc.metadata:
                        self.stat_update("failed")
                        failed.write(doc, rank)
                    else:
                        yield doc
                    if time.monotonic() - last > PROGRESS_EVERY_S:
                        last = time.monotonic()
                        logger.info(
                            f"task {rank}: {total} records, {total / (last - start):.0f} records/s, "
                            f"file {i + 1}/{len(mine)}"
                        )
                    if records == self.limit:  # (the file is closed as its reader is)
                        break
                accounting[self._name] = {
                    "records": records,
                    "shard_errors": self._shard_errors,
                    "skipped_record_types": dict(self._skipped),
                }
                done_bytes += self._size(path)
                tally.set(progress.BYTES, done_bytes)
        Path(self.layout.accounting_dir()).mkdir(parents=True, exist_ok=True)
        with open(self.layout.accounting_file(rank), "w") as f:
            json.dump(accounting, f, indent=1)


def row_document(row: dict) -> Document:
    """Inverse of corpus.core.writers.document_row for signal columns (nulls are absent signals)."""
    md = {k: v for k, v in row.items() if k in vocab.KEYS and v is not None}
    return Document(text=row[vocab.TEXT] or "", id=row[vocab.ID], metadata=md)


class SignalReader(PipelineStep):
    """Reads survivors written by a previous segment (our Parquet schema) back into Documents."""

    name = "signal reader"
    type = "📖 - READER"

    def __init__(self, input_dir: str, layout: Layout, segment: int):
        super().__init__()
        self.input_dir, self.layout, self.segment = input_dir, layout, segment

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        import pyarrow.parquet as pq

        for stale in self.layout.rank_outputs(self.segment, rank):
            os.remove(stale)
        tally = progress.start_task(self.layout, self.segment, rank)
        files = sorted(globlib.glob(os.path.join(self.input_dir, "*.parquet")))[rank::world_size]
        for path in files:
            for batch in pq.ParquetFile(path).iter_batches(batch_size=1024):
                for row in batch.to_pylist():
                    self.stat_update("documents")
                    tally.add(progress.READ)
                    yield row_document(row)
