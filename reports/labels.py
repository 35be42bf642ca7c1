"""The report's label-mix section: each topic and format label's share before and after sampling,
and the largest clusters (reports/report.py calls it; empty when the build has no labels)."""

from __future__ import annotations

from corpus.core import vocab
from reports.page import e, table

TOP_CLUSTERS = 20


def _pct(a, b) -> str:
    return f"{100 * a / b:.1f}%" if b else "–"


def label_mix(con, column: str) -> list[tuple]:
    """(label, labelled, after the topic stage, kept) per label, largest first."""
    return con.execute(f"""
        select {column}, count(*),
               count(*) filter (where not (fate = 'dropped' and stage = '{vocab.TOPIC}')),
               count(*) filter (where fate = 'kept')
        from docs where {column} is not null group by 1 order by 2 desc, 1""").fetchall()


def label_mix_section(con) -> str:
    parts = []
    for title, col in (("Topic", vocab.TOPIC_LABEL), ("Format", vocab.FORMAT)):
        rows = label_mix(con, col)
        if not rows:
            continue
        n, after, kept = (sum(r[i] for r in rows) for i in (1, 2, 3))
        parts.append(
            f"<h3>{title}</h3>"
            + table(
                ["label", "labelled", "share", "after sampling", "share", "kept", "share of kept"],
                [
                    [f"<code>{e(str(lab))}</code>", a, _pct(a, n), b, _pct(b, after), c, _pct(c, kept)]
                    for lab, a, b, c in rows
                ],
                {1, 2, 3, 4, 5, 6},
            )
        )
    if not parts:
        return ""
    clusters = ""
    if con.execute("select count(*) from duckdb_views() where view_name = 'clusters'").fetchone()[0]:
        rows = con.execute(
            f"select cluster_id, docs, kept, langs, top_topic, top_format, weight, top_terms "
            f"from clusters order by docs desc limit {TOP_CLUSTERS}"
        ).fetchall()
        clusters = "<h3>Largest clusters</h3>" + table(
            ["cluster", "docs", "kept", "languages", "top topic", "top format", "weight", "top terms"],
            [
                [
                    r[0],
                    r[1],
                    r[2],
                    e(" ".join(f"{k}:{v}" for k, v in sorted((r[3] or {}).items()))),
                    e(str(r[4])),
                    e(str(r[5])),
                    r[6],
                    e(r[7] or ""),
                ]
                for r in rows
            ],
            {0, 1, 2, 6},
        )
    return (
        "<section id='labels'><h2>Label mix</h2><p>Documents that reached the topic stage, by their top "
        "label: share before the sampling policy (<code>topic.keep</code>), after it, and among the "
        "documents finally kept.</p>" + "".join(parts) + clusters + "</section>"
    )
