"""DuckDB over a build's output: views docs (with fate), kept, dropped, failed, and clusters when the
cluster stage ran."""

from __future__ import annotations

import glob
import os
import re

import duckdb
import pyarrow as pa

from corpus import vocab
from corpus.layout import Layout


def _files(layout: Layout, fate: str) -> list[str]:
    return sorted(glob.glob(layout.fate_glob(fate)))


class NotReadOnly(ValueError):
    pass


class UnreadableBuild(ValueError):
    pass


def connect(out: str, database: str = ":memory:", sandbox: bool = False) -> duckdb.DuckDBPyConnection:
    """Views over OUT's tables. sandbox: the connection can read nothing but those tables and
    its configuration is locked (for `corpus sql`, which runs what a user types)."""
    layout = Layout(out)
    if not os.path.isdir(out):
        raise FileNotFoundError(f"{out!r} is not a build output directory")
    con = duckdb.connect(database)
    try:
        _create_views(con, layout)
    except duckdb.Error as e:
        first = str(e).strip().splitlines()[0]
        raise UnreadableBuild(f"cannot read the tables of {out!r} (a build still running or killed?): {first}") from None
    if sandbox:
        _sandbox(con, layout)
    return con


RUNS_TABLE = "runs.parquet"  # a mixture search's runs table (mixtures/runs.py writes it)


def holds_runs(out: str) -> bool:
    return os.path.isfile(os.path.join(out, RUNS_TABLE))


def connect_runs(out: str) -> duckdb.DuckDBPyConnection:
    """A sandboxed view `runs` over a mixture search's runs table, for `corpus sql RUNS`."""
    con = duckdb.connect()
    path = os.path.abspath(os.path.join(out, RUNS_TABLE)).replace("'", "''")
    con.execute(f"create view runs as select * from read_parquet('{path}')")
    con.execute(f"set allowed_directories = ['{os.path.dirname(path)}/']")
    con.execute("set enable_external_access = false")
    con.execute("set lock_configuration = true")
    return con


def _sandbox(con: duckdb.DuckDBPyConnection, layout: Layout) -> None:
    # file access stays possible only below the three table folders, which the views read at query time
    extra = [layout.clusters_dir()] if os.path.isfile(layout.clusters_table()) else []
    dirs = ", ".join("'" + os.path.abspath(d).replace("'", "''") + "/'"
                     for d in [layout.fate_dir(f) for f in vocab.FATES] + extra)
    con.execute(f"set allowed_directories = [{dirs}]")
    con.execute("set enable_external_access = false")
    con.execute("set lock_configuration = true")


# statement kinds DuckDB parses DESCRIBE, SHOW, SUMMARIZE and WITH into are SELECT
_READ_TYPES = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN, duckdb.StatementType.PRAGMA}
_READ_PRAGMAS = {"table_info", "show", "show_tables", "show_tables_expanded", "show_databases", "database_list",
                 "database_size", "storage_info", "version", "platform", "functions", "collations", "user_agent",
                 "metadata_info"}
_EXPLAIN_ANALYZE = re.compile(r"^\s*explain\s+analy[sz]e\s+", re.I)
_PRAGMA_NAME = re.compile(r"^\s*pragma\s+([a-z_]+)", re.I)


def check_read_only(con: duckdb.DuckDBPyConnection, query: str) -> None:
    """Refuse anything but queries: a build's tables must agree with its funnel and manifest."""
    for st in con.extract_statements(query):
        text = st.query
        if st.type == duckdb.StatementType.EXPLAIN and _EXPLAIN_ANALYZE.match(text):
            check_read_only(con, _EXPLAIN_ANALYZE.sub("", text, count=1))  # EXPLAIN ANALYZE runs its statement
            continue
        if st.type == duckdb.StatementType.PRAGMA:
            m = _PRAGMA_NAME.match(text)
            if m and m.group(1).lower() in _READ_PRAGMAS:
                continue
            raise NotReadOnly(f"only read-only PRAGMAs are allowed ({', '.join(sorted(_READ_PRAGMAS))})")
        if st.type not in _READ_TYPES:
            raise NotReadOnly(f"{st.type.name} statements are refused: corpus sql only runs queries "
                              "(SELECT, WITH, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN, PRAGMA table_info ...)")


def view_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute("select view_name from duckdb_views() where not internal "
                                    "and view_name not like '\\_%' escape '\\' order by view_name")
            .fetchall()]


def _create_views(con: duckdb.DuckDBPyConnection, layout: Layout) -> None:
    empty = pa.Table.from_pylist([], schema=vocab.arrow_schema())
    con.register("_empty", empty)
    for fate in vocab.FATES:
        files = _files(layout, fate)
        if files:
            lst = ", ".join("'" + os.path.abspath(f).replace("'", "''") + "'" for f in files)
            src = f"select * from read_parquet([{lst}], union_by_name=true)"
        else:
            src = "select * from _empty"
        con.execute(f"create or replace view {fate} as {src}")
    union = " union all by name ".join(f"select '{f}' as fate, * from {f}" for f in vocab.FATES)
    con.execute(f"create or replace view docs as {union}")
    _create_cluster_view(con, layout)


def _create_cluster_view(con: duckdb.DuckDBPyConnection, layout: Layout) -> None:
    """`clusters`: one row per cluster of the cluster stage, from its table and the docs."""
    path = layout.clusters_table()
    if not os.path.isfile(path):
        return
    src = "'" + os.path.abspath(path).replace("'", "''") + "'"
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
        from read_parquet({src}) c left join d using ({v.CLUSTER_ID})
        group by c.cluster_id order by c.cluster_id""")


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
