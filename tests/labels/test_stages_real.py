"""The topic and cluster stages in a real build (the built-in demo WARC), with a small topic model
trained on the real labelled sets; export, apply and refilter over the result."""

import csv
import json
import os

import pytest
from typer.testing import CliRunner

from corpus.core import vocab
from corpus.build import build
from corpus.demo import write_demo_warc
from corpus.refilter import effective_config, refilter
from corpus.core.sql import connect
from labels import cli as labels_cli
from labels.topics import TopicParams, train_topics
from tests.corpus.helpers import make_config

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def models(shared_data, tmp_path_factory):
    root = tmp_path_factory.mktemp("topic-models")
    train_topics(
        str(shared_data),
        str(root),
        TopicParams(max_rows_per_set=600, min_rows_per_label=200, quantize=False),
        log=lambda *_: None,
    )
    return root


@pytest.fixture(scope="module")
def built(models, tmp_path_factory):
    warc = write_demo_warc(str(tmp_path_factory.mktemp("demo") / "demo.warc.gz"))
    out = tmp_path_factory.mktemp("b") / "out"
    cfg = make_config(
        [warc],
        out,
        stages=["lang_id", "topic", "cluster"],
        topic={"models_dir": str(models), "keep": {"article": 0.7}},
        cluster={"k": 2, "sample_size": 50, "samples_per_cluster": 2},
    )
    build(cfg)
    return out, cfg


def test_manifest_holds_heldout_metrics_per_set(models):
    m = json.loads((models / "topics" / "manifest.json").read_text())
    assert set(m["metrics"]["topic_macro_f1"]) == {"ag_news", "bbc", "thucnews", "tnews"}
    assert set(m["metrics"]["format_promo_f1"]) == {"sms_spam", "game_chat_ads"}
    assert all(0 < v <= 1 for v in m["metrics"]["topic_macro_f1"].values())
    assert m["metrics"]["topic_macro_f1"]["bbc"] > 0.6  # even 600 rows per set separate BBC's five topics
    assert set(m["files"]) == {"topic.ftz", "format.ftz"}


def test_every_survivor_of_the_topic_stage_has_labels_and_a_cluster(built):
    out, _ = built
    con = connect(str(out))
    n, labelled, clustered = con.execute(
        f"select count(*), count({vocab.TOPIC_LABEL}), count({vocab.CLUSTER_ID}) from kept"
    ).fetchone()
    assert n > 5 and labelled == n and clustered == n
    sizes = con.execute(
        f"select {vocab.CLUSTER_ID}, count(*), any_value({vocab.CLUSTER_SIZE}) from kept group by 1"
    ).fetchall()
    assert all(cnt == size for _, cnt, size in sizes)
    funnel = json.loads((out / "funnel.json").read_text())
    removed = {r for s in funnel["stages"] if s["stage"] == "topic" for r in s["removed"]}
    assert removed == {"downsampled_article"}
    assert con.execute("select count(*) from dropped where reason = 'downsampled_article'").fetchone()[0] > 0


def test_clusters_view_and_refilter_replay(built, tmp_path):
    out, _ = built
    con = connect(str(out))
    rows = con.execute("select cluster_id, docs, n_langs, top_terms, sample_ids from clusters").fetchall()
    assert len(rows) == 2 and sum(r[1] for r in rows) == con.execute("select count(*) from kept").fetchone()[0]
    cfg = effective_config(str(out))
    refilter(str(out), str(tmp_path / "same"), cfg)
    assert _kept_ids(tmp_path / "same") == _kept_ids(out)


def test_export_edit_apply(built, tmp_path):
    out, _ = built
    runner = CliRunner()
    app = labels_cli.clusters_app
    labels = tmp_path / "labels.csv"
    r = runner.invoke(app, ["export", str(out), "-o", str(labels)])
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(labels.open(encoding="utf-8")))
    assert [int(x["cluster_id"]) for x in rows] == [0, 1] and all(
        x["action"] in ("keep", "drop", "weight") for x in rows
    )
    sizes = {int(x["cluster_id"]): int(x["kept"]) for x in rows}
    rows[0].update(action="drop"), rows[1].update(action="weight", weight="2.5")
    with labels.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader(), w.writerows(rows)
    r = runner.invoke(app, ["apply", str(out), str(labels), "-o", str(tmp_path / "applied")])
    assert r.exit_code == 0, r.output
    con = connect(str(tmp_path / "applied"))
    assert con.execute("select count(*) from dropped where reason = 'cluster_dropped'").fetchone()[0] == sizes[0]
    weights = dict(
        con.execute(f"select {vocab.CLUSTER_ID}, any_value({vocab.CLUSTER_WEIGHT}) from kept group by 1").fetchall()
    )
    assert 0 not in weights and weights[1] == 2.5
    funnel = json.loads((tmp_path / "applied" / "funnel.json").read_text())
    assert any(s["stage"] == "cluster" and "cluster_dropped" in s["removed"] for s in funnel["stages"])
    assert con.execute("select count(*) from clusters").fetchone()[0] == 2  # the view travels with it


def test_apply_refuses_a_bad_labels_file(built, tmp_path):
    out, _ = built
    bad = tmp_path / "bad.csv"
    bad.write_text("cluster_id,action,weight\n0,remove,\n", encoding="utf-8")
    r = CliRunner().invoke(labels_cli.clusters_app, ["apply", str(out), str(bad), "-o", str(tmp_path / "x")])
    assert r.exit_code == 2 and "remove" in r.output and not os.path.exists(tmp_path / "x")


def _kept_ids(out):
    return sorted(r[0] for r in connect(str(out)).execute("select id from kept").fetchall())


def test_clusters_view_in_the_sandboxed_sql_and_the_report(built):
    out, _ = built
    con = connect(str(out), sandbox=True)  # what `corpus sql` opens: the cluster table must stay readable
    assert (
        con.execute("select sum(docs) from clusters").fetchone()[0]
        == con.execute("select count(*) from kept").fetchone()[0]
    )
    from reports.report import write_report

    page = open(write_report(str(out)), encoding="utf-8").read()
    assert "<section id='labels'>" in page and "Largest clusters" in page
    n_article = con.execute("select count(*) from docs where format = 'article'").fetchone()[0]
    assert f"<code>article</code></td><td class='num'>{n_article}</td>" in page


def test_nothing_left_for_the_cluster_stage(models, tmp_path):
    warc = write_demo_warc(str(tmp_path / "demo.warc.gz"))
    everything = {f: 0.0 for f in ("article", "product", "list", "chat", "ads", "spam")}
    cfg = make_config(
        [warc],
        tmp_path / "out",
        stages=["lang_id", "topic", "cluster"],
        topic={"models_dir": str(models), "keep": everything},
        cluster={"k": 2},
    )
    result = build(cfg)
    assert result.exit_code == 0 and result.funnel["totals"]["kept"] == 0
    assert (
        connect(str(tmp_path / "out")).execute("select count(*) from dropped where stage = 'topic'").fetchone()[0] > 0
    )


def test_training_is_deterministic(models, shared_data, tmp_path):
    again = json.loads((models / "topics" / "manifest.json").read_text())
    train_topics(
        str(shared_data),
        str(tmp_path),
        TopicParams(max_rows_per_set=600, min_rows_per_label=200, quantize=False),
        log=lambda *_: None,
    )
    m = json.loads((tmp_path / "topics" / "manifest.json").read_text())
    assert m["checksum"] == again["checksum"] and m["metrics"] == again["metrics"]
