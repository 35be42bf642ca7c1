"""`corpus clusters export | apply`: label whole clusters, then replay the labels like refilter."""

from __future__ import annotations

import csv
import os
from typing import Optional

import typer

from corpus.core.clierrors import fail

clusters_app = typer.Typer(no_args_is_help=True, help="Label semantic clusters and apply keep / drop / weight.")

ACTIONS = ("keep", "drop", "weight")
COLUMNS = (
    "cluster_id",
    "docs",
    "kept",
    "langs",
    "top_topic",
    "top_format",
    "promo_share",
    "mean_quality",
    "median_ppl",
    "top_terms",
    "sample_ids",
    "samples",
    "auto_label",
    "action",
    "weight",
)
PROMO_DROP_SHARE = 0.5  # a cluster whose documents are mostly ads or spam is proposed for dropping
LOW_QUALITY = 0.3  # ... and one whose mean quality score is below this, for half weight
SAMPLE_CHARS = 160


def auto_label(promo_share: float | None, mean_quality: float | None) -> tuple[str, str, float]:
    """(label, proposed action, weight) from a cluster's mean signals."""
    if promo_share is not None and promo_share >= PROMO_DROP_SHARE:
        return "ads_or_spam", "drop", 0.0
    if mean_quality is not None and mean_quality < LOW_QUALITY:
        return "low_quality", "weight", 0.5
    return "ok", "keep", 1.0


def export_rows(out: str) -> list[dict]:
    from corpus.core import vocab
    from corpus.core.sql import connect

    con = connect(out)
    if not con.execute("select count(*) from duckdb_views() where view_name = 'clusters'").fetchone()[0]:
        raise FileNotFoundError(f"{out} has no clusters (build with the `cluster` stage)")
    promo = dict(
        con.execute(f"""select {vocab.CLUSTER_ID}, avg(({vocab.FORMAT} in ('ads', 'spam'))::int)
                                 from docs where {vocab.CLUSTER_ID} is not null group by all""").fetchall()
    )
    rows = []
    res = con.execute("select * from clusters order by cluster_id")
    names = [c[0] for c in res.description]
    for r in res.fetchall():
        d = dict(zip(names, r))
        ids = list(d["sample_ids"] or [])
        texts = dict(con.execute("select id, text from docs where id = any(?)", [ids]).fetchall()) if ids else {}
        label, action, weight = auto_label(promo.get(d["cluster_id"]), d["mean_quality"])
        rows.append(
            {
                **{k: d.get(k) for k in COLUMNS if k in d},
                "langs": _langs(d["langs"]),
                "promo_share": None if promo.get(d["cluster_id"]) is None else round(promo[d["cluster_id"]], 4),
                "sample_ids": " ".join(ids),
                "samples": " || ".join(" ".join((texts.get(i) or "").split())[:SAMPLE_CHARS] for i in ids),
                "auto_label": label,
                "action": action,
                "weight": weight,
            }
        )
    return rows


def _langs(m) -> str:
    items = m.items() if isinstance(m, dict) else (m or [])
    return " ".join(f"{k}:{v}" for k, v in sorted(items, key=lambda kv: str(kv[0])))


def read_weights(path: str) -> dict[int, float]:
    """cluster_id -> weight from a labels CSV (action keep: 1, drop: 0, weight: the weight column)."""
    weights = {}
    with open(path, encoding="utf-8", newline="") as f:
        for n, row in enumerate(csv.DictReader(f), start=2):
            action = (row.get("action") or "keep").strip()
            if action not in ACTIONS:
                raise ValueError(f"{path}:{n}: action {action!r} is not one of {', '.join(ACTIONS)}")
            try:
                cid = int(row["cluster_id"])
                weights[cid] = {"keep": 1.0, "drop": 0.0}.get(action) if action != "weight" else float(row["weight"])
            except (KeyError, TypeError, ValueError):
                raise ValueError(
                    f"{path}:{n}: needs an integer cluster_id and, for action weight, a number weight"
                ) from None
            if weights[cid] < 0:
                raise ValueError(f"{path}:{n}: a weight is >= 0")
    return weights


@clusters_app.command("export")
def export(
    out: str = typer.Argument(..., help="build output directory"),
    output: str = typer.Option("labels.csv", "-o", "--output", help="CSV to write"),
):
    """One row per cluster: size, language mix, mean signals, top terms, samples, a proposed action."""
    try:
        rows = export_rows(out)
    except (FileNotFoundError, ValueError) as e:
        fail(str(e))
    with open(output, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(rows)
    typer.echo(f"{len(rows)} clusters: {output} (edit action: keep | drop | weight, then `corpus clusters apply`)")


@clusters_app.command("apply")
def apply(
    out: str = typer.Argument(..., help="build output directory"),
    labels: str = typer.Argument(..., help="CSV from `corpus clusters export`, edited"),
    output: Optional[str] = typer.Option(None, "-o", "--output", help="new output directory (default OUT-clusters)"),
    overwrite: bool = typer.Option(False, "--overwrite"),
):
    """Drop and re-weight whole clusters into a new output directory, as refilter does."""
    import shutil

    from corpus.core import vocab
    from corpus.core.configlib import ConfigError
    from corpus.core.layout import Layout
    from corpus.refilter import effective_config, refilter
    from labels.stage import cluster_weight_sql

    out2 = output or out.rstrip("/") + "-clusters"
    try:
        weights = read_weights(labels)
        cfg = effective_config(out, replace={"cluster": {"weights": weights}})  # never merged with old weights
        if vocab.CLUSTER not in cfg.stages:
            raise ValueError(f"{out} was built without the cluster stage")
        result = refilter(
            out, out2, cfg, overwrite, columns={vocab.CLUSTER_WEIGHT: cluster_weight_sql(cfg.cluster.weights)}
        )
    except (ConfigError, FileNotFoundError, FileExistsError, ValueError) as e:
        fail(str(e))
    if os.path.isdir(Layout(out).clusters_dir()):
        shutil.copytree(Layout(out).clusters_dir(), Layout(out2).clusters_dir(), dirs_exist_ok=True)
    t = result.funnel["totals"]
    dropped = sum(1 for w in weights.values() if w == 0)
    typer.echo(
        f"{dropped} clusters dropped, {sum(1 for w in weights.values() if 0 < w != 1)} re-weighted; "
        f"kept {t['kept']}, dropped {t['dropped']}: {out2}"
    )


def _train_topics(data: str, output: str, seed: int, threads: int, heldout: float) -> None:
    from labels.topics import TopicParams, train_topics

    train_topics(data, output, TopicParams(seed=seed, threads=threads, heldout=heldout), log=typer.echo)


def register(app: typer.Typer) -> None:
    from filters.models_cli import OTHER_TRAINERS

    OTHER_TRAINERS["topics"] = _train_topics  # `corpus models train topics`
    app.add_typer(clusters_app, name="clusters")
