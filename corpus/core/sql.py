"""DuckDB over a build's output: views docs (with fate), kept, dropped, failed, and clusters when the
cluster stage ran."""

from __future__ import annotations

import glob
import os
import re

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from corpus.core import vocab
from corpus.core.charset import printable
from corpus.core.layout import Layout


class NotReadOnly(ValueError):
    pass


class UnreadableBuild(ValueError):
    pass


def sql_literal(s: str) -> str:
    """A string (a path, which may hold quotes) as a DuckDB string literal."""
    return "'" + s.replace("'", "''") + "'"


def _files(layout: Layout, fate: str) -> list[str]:
    return [_inside(layout.root, f) for f in sorted(glob.glob(layout.fate_glob(fate)))]


def _inside(root: str, path: str) -> str:
    """path, when it really lies in root: a table folder or file linking elsewhere is refused, so that
    nothing reads a file the build did not write."""
    if not os.path.realpath(path).startswith(os.path.realpath(root) + os.sep):
        raise UnreadableBuild(f"{path!r} lies outside {root!r} (a symbolic link); refusing to read it")
    return path


def connect(out: str, database: str = ":memory:", sandbox: bool = False) -> duckdb.DuckDBPyConnection:
    """Views over OUT's tables. sandbox: the connection can touch no file at all and its configuration
    is locked (for `corpus sql`, which runs what a user types)."""
    layout = Layout(out)
    if not os.path.isdir(out):
        raise FileNotFoundError(f"{out!r} is not a build output directory")
    con = duckdb.connect(database)
    try:
        _create_views(con, layout, _arrow_source if sandbox else _parquet_source)
    except (duckdb.Error, pa.ArrowException, OSError) as e:
        raise _unreadable(out, e) from None
    if sandbox:
        _sandbox(con)
    return con


def _unreadable(out: str, e: Exception) -> UnreadableBuild:
    first = (str(e).strip().splitlines() or [type(e).__name__])[0]
    return UnreadableBuild(f"cannot read the tables of {out!r} (a build still running or killed?): {first}")


def _parquet_source(con: duckdb.DuckDBPyConnection, name: str, files: list[str]) -> str:
    return f"read_parquet([{', '.join(sql_literal(os.path.abspath(f)) for f in files)}], union_by_name=true)"


def _arrow_source(con: duckdb.DuckDBPyConnection, name: str, files: list[str]) -> str:
    """The files read by Arrow rather than by DuckDB, so that the connection may be denied every file."""
    schema = pa.unify_schemas([pq.read_schema(f) for f in files], promote_options="permissive")  # union by name
    con.register(name, ds.dataset(files, schema=schema, format="parquet"))
    return name


RUNS_TABLE = "runs.parquet"  # a mixture search's runs table (mixtures/runs.py writes it)


def holds_runs(out: str) -> bool:
    return os.path.isfile(os.path.join(out, RUNS_TABLE))


def connect_runs(out: str) -> duckdb.DuckDBPyConnection:
    """A sandboxed view `runs` over a mixture search's runs table, for `corpus sql RUNS`."""
    con = duckdb.connect()
    path = _inside(out, os.path.join(out, RUNS_TABLE))
    try:
        con.execute(f"create view runs as select * from {_arrow_source(con, '_runs_table', [path])}")
    except (duckdb.Error, pa.ArrowException, OSError) as e:
        raise _unreadable(out, e) from None
    _sandbox(con)
    return con


def _sandbox(con: duckdb.DuckDBPyConnection) -> None:
    # no file at all (no allowed directories): the views read through Arrow, so DuckDB needs none, and COPY,
    # ATTACH, EXPORT, INSTALL and read_* fail whatever statement carries them (EXPLAIN ANALYZE, a comment...)
    con.execute("set enable_external_access = false")
    con.execute("set lock_configuration = true")


# statement kinds DuckDB parses DESCRIBE, SHOW, SUMMARIZE and WITH into are SELECT
_READ_TYPES = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN, duckdb.StatementType.PRAGMA}
_READ_PRAGMAS = {
    "table_info",
    "show",
    "show_tables",
    "show_tables_expanded",
    "show_databases",
    "database_list",
    "database_size",
    "storage_info",
    "version",
    "platform",
    "functions",
    "collations",
    "user_agent",
    "metadata_info",
}
# EXPLAIN and its options after any comments; the statement that follows is what it explains (and runs, with ANALYZE)
_EXPLAIN = re.compile(r"^(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*explain\s*(?:\([^)]*\)\s*|analy[sz]e\s+)?", re.I | re.S)
_PRAGMA_NAME = re.compile(r"^\s*pragma\s+([a-z_]+)", re.I)


def check_read_only(con: duckdb.DuckDBPyConnection, query: str) -> None:
    """Refuse anything but queries, with a message that says so. Only a courtesy: what keeps a build's tables
    as its funnel and manifest describe them is the sandboxed connection (connect), which can write nothing."""
    for st in con.extract_statements(query):
        text = st.query
        if st.type == duckdb.StatementType.EXPLAIN and (m := _EXPLAIN.match(text)) and m.end() < len(text):
            check_read_only(con, text[m.end() :])
            continue
        if st.type == duckdb.StatementType.PRAGMA:
            m = _PRAGMA_NAME.match(text)
            if m and m.group(1).lower() in _READ_PRAGMAS:
                continue
            raise NotReadOnly(f"only read-only PRAGMAs are allowed ({', '.join(sorted(_READ_PRAGMAS))})")
        if st.type not in _READ_TYPES:
            raise NotReadOnly(
                f"{st.type.name} statements are refused: corpus sql only runs queries "
                "(SELECT, WITH, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN, PRAGMA table_info ...)"
            )


def view_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "select view_name from duckdb_views() where not internal "
            "and view_name not like '\\_%' escape '\\' order by view_name"
        ).fetchall()
    ]


def _create_views(con: duckdb.DuckDBPyConnection, layout: Layout, source) -> None:
    """source(con, name, files) -> what a FROM clause reads those Parquet files as."""
    empty = pa.Table.from_pylist([], schema=vocab.arrow_schema())
    con.register("_empty", empty)
    for fate in vocab.FATES:
        files = _files(layout, fate)
        src = source(con, f"_{fate}_files", files) if files else "_empty"
        con.execute(f"create or replace view {fate} as select *{_missing_columns(con, src)} from {src}")
    union = " union all by name ".join(f"select '{f}' as fate, * from {f}" for f in vocab.FATES)
    con.execute(f"create or replace view docs as {union}")
    _create_cluster_view(con, layout, source)


_SQL_TYPES = {"string": "varchar", "int64": "bigint", "double": "double", "bool": "boolean"}


def _missing_columns(con: duckdb.DuckDBPyConnection, src: str) -> str:
    """', null as COLUMN' for each column of today's schema that the tables of a build made before it was
    declared lack (the rule, value and threshold of dropped rows, say): every view has every column."""
    have = {r[0] for r in con.execute(f"describe select * from {src}").fetchall()}
    return "".join(
        f', cast(null as {sql_type(f.type)}) as "{f.name}"' for f in vocab.arrow_schema() if f.name not in have
    )


def sql_type(arrow_type: pa.DataType) -> str:
    """The DuckDB type of a column of the schema."""
    return _SQL_TYPES[str(arrow_type)]


def _create_cluster_view(con: duckdb.DuckDBPyConnection, layout: Layout, source) -> None:
    """`clusters`: one row per cluster of the cluster stage, from its table and the docs."""
    path = layout.clusters_table()
    if not os.path.isfile(path):
        return
    src = source(con, "_clusters_table", [_inside(layout.root, path)])
    v = vocab
    con.execute(f"""
        create or replace view clusters as
        with d as (select fate, {v.CLUSTER_ID}, {v.LANG}, {v.TOPIC_LABEL}, {v.FORMAT}, {v.QUALITY_SCORE},
                          {v.PPL_KENLM}, {v.CLUSTER_WEIGHT}, {v.CLUSTER_DISTANCE}
                   from docs where {v.CLUSTER_ID} is not null)
        select c.cluster_id, count(d.fate) as docs, count(d.fate) filter (where d.fate = 'kept') as kept,
               histogram(d.{v.LANG}) as langs, count(distinct d.{v.LANG}) as n_langs,
               mode(d.{v.TOPIC_LABEL}) as top_topic, mode(d.{v.FORMAT}) as top_format,
               round(avg(d.{v.QUALITY_SCORE}), 4) as mean_quality, round(median(d.{v.PPL_KENLM}), 1) as median_ppl,
               round(avg(d.{v.CLUSTER_DISTANCE}), 4) as mean_distance, max(d.{v.CLUSTER_WEIGHT}) as weight,
               any_value(c.top_terms) as top_terms, any_value(c.sample_ids) as sample_ids
        from {src} c left join d using ({v.CLUSTER_ID})
        group by c.cluster_id order by c.cluster_id""")


def format_table(columns: list[str], rows: list[tuple], max_width: int = 60, footer: bool = True) -> str:
    """Aligned columns; a cell longer than max_width is cut with '…'. footer: the row count below."""

    def cell(v):
        s = "NULL" if v is None else str(v)
        s = printable(s.replace("\n", "\\n"))  # a crawled URL may hold BEL or escape sequences
        return s if len(s) <= max_width else s[: max_width - 1] + "…"

    cells = [[cell(v) for v in r] for r in rows]
    widths = [max([len(c)] + [_display_width(r[i]) for r in cells]) for i, c in enumerate(columns)]
    line = lambda vals: " | ".join(_pad(v, w) for v, w in zip(vals, widths))  # noqa: E731
    sep = "-+-".join("-" * w for w in widths)
    count = [f"({len(rows)} row{'' if len(rows) == 1 else 's'})"] if footer else []
    return "\n".join([line(columns), sep] + [line(r) for r in cells] + count)


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
