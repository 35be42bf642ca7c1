"""`corpus export OUT -o docs.jsonl[.gz|.zst]`: a build's kept documents as JSON Lines, read-only over the
build. The rows come from the same sandboxed DuckDB views `corpus sql` uses, so `--where` is any SQL
predicate over the `kept` columns and can read or write no file; the output is written under a temporary
name and renamed when complete, and an existing file is replaced only with `overwrite`."""

from __future__ import annotations

import math
import os
from collections.abc import Callable

from corpus.core import vocab
from corpus.core.layout import Layout
from corpus.core.sql import check_read_only, connect

DEFAULT_COLUMNS = ("id", vocab.URL, vocab.LANG, vocab.TEXT)
BATCH_ROWS = 4096
SUFFIXES = (".jsonl", ".jsonl.gz", ".jsonl.zst")


class ExportError(ValueError):
    """A mistake the command says in one line (exit 2)."""


def _open_out(tmp: str, final: str):
    """`tmp` written with the compression `final`'s name asks for."""
    if final.endswith(".gz"):
        import gzip

        return gzip.open(tmp, "wt", encoding="utf-8")
    if final.endswith(".zst"):
        import zstandard

        return zstandard.open(tmp, "wt", encoding="utf-8")
    return open(tmp, "w", encoding="utf-8")


def _plain(value):
    """A JSON value: NaN and infinities (not JSON) become null."""
    return None if isinstance(value, float) and not math.isfinite(value) else value


def export_query(con, columns: tuple[str, ...], where: str | None) -> str:
    have = [r[0] for r in con.execute("describe kept").fetchall()]
    if columns == ("*",):
        columns = tuple(have)
    unknown = [c for c in columns if c not in have]
    if unknown:
        raise ExportError(
            f'--columns: {", ".join(unknown)} not a column of kept (columns: corpus sql OUT "describe kept")'
        )
    cols = ", ".join('"' + c.replace('"', '""') + '"' for c in columns)
    query = f"select {cols} from kept" + (f" where ({where})" if where else "") + " order by id"
    statements = con.extract_statements(query)
    if len(statements) != 1:
        raise ExportError("--where must be one SQL predicate over the kept columns, not several statements")
    check_read_only(con, query)
    return query


def export_kept(
    out: str,
    path: str,
    columns: tuple[str, ...] = DEFAULT_COLUMNS,
    where: str | None = None,
    overwrite: bool = False,
    counted=None,
) -> int:
    """Writes the kept documents (those matching `where`) to `path`; returns how many. `counted`:
    corpus.core.progress.counted, for progress."""
    import duckdb

    if not os.path.isdir(out) or not Layout(out).holds_a_build():
        raise ExportError(f"{out!r} is not a build output directory (no manifest.json)")
    if not path.endswith(SUFFIXES):
        raise ExportError(f"-o {path}: the file name must end in {', '.join(SUFFIXES)}")
    if os.path.isdir(path):
        raise ExportError(f"-o {path} is a directory")
    if os.path.lexists(path) and not overwrite:
        raise ExportError(f"-o {path} exists; pass --overwrite to replace it")
    con = connect(out, sandbox=True)
    try:
        query = export_query(con, columns, where)
        total = con.execute(f"select count(*) from ({query})").fetchall()[0][0]
    except duckdb.Error as e:
        raise ExportError(f"--where: {(str(e).strip().splitlines() or [type(e).__name__])[0]}") from None
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = os.path.join(os.path.dirname(os.path.abspath(path)), f".{os.path.basename(path)}.tmp-{os.getpid()}")
    try:
        with (
            _open_out(tmp, path) as f,
            (counted or _uncounted)("export", max(1, -(-total // BATCH_ROWS)), "batches") as advance,
        ):
            _write_rows(con.sql(query).to_arrow_reader(BATCH_ROWS), f, advance)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return total


def _write_rows(reader, f, advance: Callable[[str], None]) -> None:
    import json

    for i, batch in enumerate(reader):
        for row in batch.to_pylist():
            f.write(json.dumps({k: _plain(v) for k, v in row.items()}, ensure_ascii=False, default=str) + "\n")
        advance(f"batch {i + 1}")


class _uncounted:
    def __init__(self, *args):
        pass

    def __enter__(self):
        return lambda name: None

    def __exit__(self, *exc):
        return False
