"""DuckDB over a build's output: views docs (with fate), kept, dropped, failed."""

from __future__ import annotations

import glob
import os

import duckdb
import pyarrow as pa

from corpus import vocab
from corpus.layout import Layout


def _files(layout: Layout, fate: str) -> list[str]:
    return sorted(glob.glob(layout.fate_glob(fate)))


def connect(out: str, database: str = ":memory:") -> duckdb.DuckDBPyConnection:
    layout = Layout(out)
    if not os.path.isdir(out):
        raise FileNotFoundError(f"{out!r} is not a build output directory")
    con = duckdb.connect(database)
    empty = pa.Table.from_pylist([], schema=vocab.arrow_schema())
    con.register("_empty", empty)
    for fate in vocab.FATES:
        files = _files(layout, fate)
        if files:
            lst = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
            src = f"select * from read_parquet([{lst}], union_by_name=true)"
        else:
            src = "select * from _empty"
        con.execute(f"create or replace view {fate} as {src}")
    union = " union all by name ".join(f"select '{f}' as fate, * from {f}" for f in vocab.FATES)
    con.execute(f"create or replace view docs as {union}")
    return con


def format_table(columns: list[str], rows: list[tuple], max_width: int = 60) -> str:
    def cell(v):
        s = "NULL" if v is None else str(v)
        s = s.replace("\n", "\\n")
        return s if len(s) <= max_width else s[: max_width - 1] + "…"

    cells = [[cell(v) for v in r] for r in rows]
    widths = [max([len(c)] + [_display_width(r[i]) for r in cells]) for i, c in enumerate(columns)]
    line = lambda vals: " | ".join(_pad(v, w) for v, w in zip(vals, widths))  # noqa: E731
    sep = "-+-".join("-" * w for w in widths)
    return "\n".join([line(columns), sep] + [line(r) for r in cells] + [f"({len(rows)} rows)"])


def _display_width(s: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def _pad(s: str, width: int) -> str:
    return s + " " * (width - _display_width(s))


def run_query(con: duckdb.DuckDBPyConnection, query: str, fmt: str = "table") -> str:
    rel = con.execute(query)
    if rel.description is None:
        return ""
    columns = [d[0] for d in rel.description]
    rows = rel.fetchall()
    if fmt == "table":
        return format_table(columns, rows)
    if fmt == "json":
        import json

        return json.dumps([dict(zip(columns, r)) for r in rows], ensure_ascii=False, default=str, indent=1)
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(columns)
    w.writerows(rows)
    return buf.getvalue().rstrip("\n")
