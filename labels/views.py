"""The `clusters` view of `corpus sql`: one row per cluster, from the cluster table and the docs."""

from __future__ import annotations

import os

from corpus import vocab
from corpus.layout import Layout


def table_path(layout: Layout) -> str:
    from labels.stage import CLUSTERS_DIR, CLUSTERS_TABLE

    return layout.path(CLUSTERS_DIR, CLUSTERS_TABLE)


def view_dirs(layout: Layout) -> list[str]:
    """Folders the sandboxed connection may read besides the three tables."""
    path = table_path(layout)
    return [os.path.dirname(path)] if os.path.isfile(path) else []


def create_cluster_view(con, layout: Layout) -> None:
    path = table_path(layout)
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
