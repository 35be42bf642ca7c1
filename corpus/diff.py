"""`corpus diff A B`: two builds compared, read-only. Documents are matched by id; a document's fate is
`kept`, `dropped at STAGE (REASON)`, `failed at STAGE (ERROR)`, or `absent` from one build. Reports the
documents whose fate changed, counted by transition (old -> new), with samples of each."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from corpus.core import vocab
from corpus.core.layout import Layout
from corpus.core.sql import connect

ABSENT = "absent"
_FATE = f"""case fate when 'kept' then 'kept'
    when 'dropped' then 'dropped at ' || coalesce(stage, '?') || ' (' || coalesce(reason, '?') || ')'
    else 'failed at ' || coalesce(stage, '?') || ' (' || coalesce({vocab.ERROR_CLASS}, '?') || ')' end"""


class NotABuild(ValueError):
    pass


@dataclass(frozen=True)
class Diff:
    docs: tuple[int, int]  # documents in A, in B
    changed: int
    transitions: list[tuple[str, str, int]]  # (fate in A, fate in B, documents), most first
    samples: dict[tuple[str, str], list[tuple[str, str | None]]]  # (from, to) -> [(id, url)]

    def to_json(self) -> dict:
        return {
            "docs": {"a": self.docs[0], "b": self.docs[1]},
            "changed": self.changed,
            "transitions": [
                {
                    "from": a,
                    "to": b,
                    "docs": n,
                    "samples": [{"id": i, "url": u} for i, u in self.samples.get((a, b), [])],
                }
                for a, b, n in self.transitions
            ],
        }


def _fates(out: str) -> pa.Table:
    layout = Layout(out)
    if not layout.holds_a_build():
        raise NotABuild(f"{out!r} is not a build output directory (no manifest.json)")
    con = connect(out)
    return con.sql(f"select id, {vocab.URL} as url, {_FATE} as fate from docs").to_arrow_table()


def diff_builds(a: str, b: str, limit: int = 3) -> Diff:
    """`limit`: sample documents per transition (0: none). Only the id, url and fate columns are read."""
    import duckdb

    con = duckdb.connect()
    con.register("a", _fates(a))
    con.register("b", _fates(b))
    con.execute(f"""create temp table moved as
        select coalesce(a.id, b.id) as id, coalesce(b.url, a.url) as url, coalesce(a.fate, '{ABSENT}') as f_a,
               coalesce(b.fate, '{ABSENT}') as f_b
        from a full outer join b on a.id = b.id where a.fate is distinct from b.fate""")
    transitions = con.execute("select f_a, f_b, count(*) from moved group by all order by 3 desc, 1, 2").fetchall()
    samples: dict[tuple[str, str], list] = {}
    if limit > 0:
        rows = con.execute(f"""select f_a, f_b, id, url from (
              select *, row_number() over (partition by f_a, f_b order by hash(id), id) as n from moved)
            where n <= {int(limit)} order by f_a, f_b, id""").fetchall()
        for f_a, f_b, did, url in rows:
            samples.setdefault((f_a, f_b), []).append((did, url))
    n_a, n_b = (con.execute(f"select count(*) from {t}").fetchone()[0] for t in ("a", "b"))
    return Diff((n_a, n_b), sum(n for *_, n in transitions), transitions, samples)


def format_diff(d: Diff, a: str, b: str) -> str:
    from corpus.core.charset import printable
    from corpus.core.sql import format_table

    lines = [f"A: {printable(a)} ({d.docs[0]:,} documents)", f"B: {printable(b)} ({d.docs[1]:,} documents)"]
    if not d.changed:
        return "\n".join(lines + ["no document changed its fate"])
    lines.append(f"{d.changed:,} document{'s' if d.changed != 1 else ''} changed fate:")
    lines.append(format_table(["in A", "in B", "docs"], d.transitions, max_width=80, footer=False))
    for (f_a, f_b), shown in d.samples.items():
        lines.append(f"\n{printable(f_a)} -> {printable(f_b)}:")
        lines += [f"  {printable(did)}  {printable(url or '', 160)}" for did, url in shown]
    return "\n".join(lines)
