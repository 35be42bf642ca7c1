"""WARC records read past damage: each record, or a `DamagedRecord` where one could not be read.

warcio stops at the first record it cannot parse (a corrupt gzip member, a record without
WARC-Target-URI) and loses every record after it; after a record whose Content-Length is wrong it
writes the raw bytes it found to stderr and parses on from the middle of the next record, which is
then lost without an error. Here warcio reads one record at a time, its end is checked against the
bytes that follow it, and after damage reading resumes at the next record start found in the file:
the next gzip member that holds a WARC record (per-record gzip, the usual layout), else the next
"WARC/1." line.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Generator, Iterator

from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord

from corpus.core import remote

GZIP_MAGIC = b"\x1f\x8b\x08"
RECORD_START = b"WARC/1."
LINE_THEN_RECORD = b"\n" + RECORD_START
SCAN_BLOCK = 1 << 20


class DamagedRecord(Exception):
    """What could not be read, from `offset` to `resumed` (None: the rest of the file)."""

    def __init__(self, offset: int, error: BaseException, resumed: int | None):
        self.offset, self.resumed = offset, resumed
        after = f"reading resumed at byte {resumed}" if resumed is not None else "nothing readable after it"
        super().__init__(f"record at byte {offset} unreadable ({type(error).__name__}: {error}); {after}")


class ContentLengthMismatch(Exception):
    pass


class _Records(ArchiveIterator):
    def _consume_blanklines(self):
        """Between records only blank lines may come: anything else means the record's Content-Length is
        wrong, and warcio would warn on stderr and parse the next record from where it stands."""
        empty = 0
        while line := self.reader.readline():
            if line.strip():
                if not empty and self.known_format == "warc" and not line.startswith(RECORD_START):
                    raise ContentLengthMismatch(
                        "other bytes than blank lines follow where its Content-Length says it ends"
                    )
                return line, empty
            empty += len(line)
        return None, empty


class Archive:
    """`for item in archive`: records (call `end()` after reading each) and DamagedRecord. Offsets are in
    the file, except in a file that is one gzip member around every record (there: decompressed)."""

    def __init__(self, path: str, storage: dict | None = None):
        self.raw = remote.open_file(path, storage)  # a local file, or an object in storage (fsspec options)
        gzipped = self.raw.read(len(GZIP_MAGIC)) == GZIP_MAGIC
        # one gzip member around all records: warcio refuses it, so it is read as one decompressed stream
        whole = gzipped and _several_records_in_first_member(self.raw)
        self.raw.seek(0)
        self.fh = gzip.GzipFile(fileobj=self.raw) if whole else self.raw
        self.per_member = gzipped and not whole
        self._it, self._broken = None, None

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc) -> None:
        self.fh.close()
        self.raw.close()

    def __iter__(self) -> Iterator[ArcWarcRecord | DamagedRecord]:
        start = 0
        while start is not None:
            self.fh.seek(start)
            self._it, self._broken = _Records(self.fh, check_digests=False), None
            start = yield from self._run()

    def _run(self) -> Generator[ArcWarcRecord | DamagedRecord, None, int | None]:
        """Records from the current start; returns where to start again after damage (None: done)."""
        while True:
            try:
                record = _checked(next(self._it))
            except StopIteration:
                return None
            except Exception as e:  # whatever warcio cannot parse is lost up to the next record start
                damage = self._damage(e)
                yield damage
                return damage.resumed
            yield record
            if self._broken:
                return self._broken.resumed

    def end(self) -> int:
        """The offset of the record just yielded, once its bytes are read to their end. Raises DamagedRecord
        where they do not end where its Content-Length says or cannot be read; the next record read is then
        the next one found after it."""
        try:
            return self._it.get_record_offset()
        except Exception as e:
            self._broken = self._damage(e)
            raise self._broken from e

    def _damage(self, error: BaseException) -> DamagedRecord:
        offset = self._it.offset  # warcio's start of the record being read
        return DamagedRecord(offset, error, self._next_start(offset + 1))

    def _next_start(self, frm: int) -> int | None:
        try:
            if self.per_member:
                return next((at for at in _find(self.raw, GZIP_MAGIC, frm) if _holds_a_record(self.raw, at)), None)
            return next((at + 1 for at in _find(self.fh, LINE_THEN_RECORD, frm)), None)
        except (OSError, EOFError, zlib.error):  # a broken stream inside the one gzip member: the rest is lost
            return None


def _checked(record: ArcWarcRecord) -> ArcWarcRecord:
    # warcio takes any line for a header: garbage after "WARC/1.0" becomes a record of no type running to
    # the end of the file
    for name, value in (("WARC-Type", record.rec_type), ("Content-Length", record.length)):
        if record.format == "warc" and value is None:
            raise ValueError(f"no {name} header")
    return record


def _find(fh, pattern: bytes, start: int) -> Iterator[int]:
    """Offsets of `pattern` from `start` on, reading a block at a time (the caller may seek in between)."""
    pos, tail = start, b""
    while True:
        fh.seek(pos)
        block = fh.read(SCAN_BLOCK)
        if not block:
            return
        data, base = tail + block, pos - len(tail)
        at = data.find(pattern)
        while at >= 0:
            yield base + at
            at = data.find(pattern, at + 1)
        tail, pos = data[-(len(pattern) - 1) :], pos + len(block)


def _holds_a_record(fh, at: int) -> bool:
    """A gzip member starts at `at` and holds a WARC record (three bytes of compressed data can look like
    the magic)."""
    fh.seek(at)
    try:
        return zlib.decompressobj(31).decompress(fh.read(4096), len(RECORD_START)) == RECORD_START
    except zlib.error:
        return False


def _several_records_in_first_member(fh) -> bool:
    """Whether a second record starts before the first gzip member ends (decompressing up to there only)."""
    fh.seek(0)
    inflate, seen = zlib.decompressobj(31), b""
    try:
        while not inflate.eof:
            data = inflate.unconsumed_tail or fh.read(1 << 16)
            if not data:
                return False
            seen = seen[-len(LINE_THEN_RECORD) :] + inflate.decompress(data, SCAN_BLOCK)
            if LINE_THEN_RECORD in seen:
                return True
    except zlib.error:
        return False
    return False
