import glob
import json
import os

import pytest

from corpus.core import vocab
from corpus.build import build
from corpus.demo import demo_pages
from tests.clirun import corpus
from tests.corpus.helpers import all_rows, fates_by_id, make_config

SPINE = ["url_filter", "lang_id"]


def test_demo_build_funnel_and_reasons(spine_build):
    funnel = json.load(open(spine_build / "funnel.json"))
    assert sum(funnel["totals"].values()) == len(demo_pages()) == 19
    reasons = {(r[1], r[2]) for r in fates_by_id(spine_build).values() if r[0] == "dropped"}
    assert reasons == {
        (vocab.CONTENT, vocab.R_NOT_HTML),
        (vocab.CONTENT, vocab.R_EMPTY_PAYLOAD),
        (vocab.URL_FILTER, vocab.R_BLOCKED_DOMAIN),
        (vocab.LANG_ID, vocab.R_LANG_NOT_KEPT),
    }
    manifest = json.load(open(spine_build / "manifest.json"))
    assert manifest["exit_code"] == 0
    assert manifest["assets"]["lid_model"]["sha256"] and manifest["versions"]["datatrove"]
    stages = [r["stage"] for r in funnel["stages"]]
    assert stages.index("read") < stages.index("content") < stages.index("lang_id")


def test_annotate_all_keeps_the_same_fates(tmp_path, demo_warc, spine_build):
    build(make_config([demo_warc], tmp_path / "b", stages=SPINE, annotate_all=True))
    assert fates_by_id(spine_build) == fates_by_id(tmp_path / "b")


def test_same_input_same_output(tmp_path, demo_warc, spine_build):
    build(make_config([demo_warc], tmp_path / "b", stages=SPINE, executor={"workers": 2, "tasks": 3}))
    assert all_rows(spine_build) == all_rows(tmp_path / "b")


def test_changed_config_refuses_to_resume(demo_warc, spine_build, copy_build):
    from corpus.build import ConfigChanged

    out = copy_build(spine_build)
    with pytest.raises(ConfigChanged):
        build(make_config([demo_warc], out, stages=["lang_id"]))


def test_sql_cli_table_csv_json_and_errors(spine_build):
    run = lambda *a: corpus("sql", spine_build, *a)  # noqa: E731
    r = run("select fate, count(*) as n from docs group by fate order by fate")
    assert r.returncode == 0 and r.stdout.splitlines()[2].split("|")[0].strip() == "dropped"
    r = run("select count(*) as n from kept", "--format", "json")
    assert json.loads(r.stdout) == [{"n": 14}]
    r = run("select lang, count(*) as n from kept group by lang order by lang", "--format", "csv")
    assert r.stdout.splitlines() == ["lang,n", "en,9", "zh,5"]
    r = run("select nope from kept")
    assert r.returncode == 1 and r.stderr.startswith("error:") and "Traceback" not in r.stderr


@pytest.mark.realdata
@pytest.mark.slow
def test_real_warc_shards_accounted(tmp_path, shared_data):
    shards = sorted(glob.glob(str(shared_data / "warc" / "*.warc.gz")))
    result = build(make_config(shards, tmp_path / "o", stages=SPINE, executor={"workers": 2}))
    assert result.exit_code == 0
    assert sum(s["records"] for s in result.shards.values()) == 360
    assert all(s["balanced"] and not s["shard_errors"] for s in result.shards.values())
    from corpus.core.sql import connect

    con = connect(str(tmp_path / "o"))
    assert con.execute("select count(*) from docs").fetchone()[0] == 360
    langs = dict(con.execute("select lang, count(*) from kept group by lang").fetchall())
    assert set(langs) == {"en", "zh"} and langs["zh"] >= 60 and langs["en"] >= 150


@pytest.mark.realdata
@pytest.mark.slow
def test_real_edge_case_crawls_accounted(tmp_path, shared_data):
    files = sorted(
        p
        for p in glob.glob(str(shared_data / "warc-real" / "**" / "*"), recursive=True)
        if os.path.isfile(p) and any(p.endswith(s) for s in (".warc", ".warc.gz", ".wet", ".wet.gz", ".arc.gz"))
    )
    assert files, "warc-real has no WARC files"
    result = build(make_config(files, tmp_path / "o", stages=SPINE, executor={"workers": 2}))
    for src, s in result.shards.items():
        assert s["balanced"], src
    assert result.funnel["totals"]["kept"] > 0
