"""Nothing a user types destroys data: `corpus sql` cannot write, `--overwrite` deletes only what a build
made and never under a running build, and one build at a time holds OUT (issue 21)."""

import hashlib
import json
import multiprocessing
import os
import shutil
import subprocess
import sys

import duckdb
import pytest
from typer.testing import CliRunner

from corpus.build import build
from corpus.cli import make_app
from corpus.core.layout import Layout
from corpus.core.outdir import BuildLock, OutputError
from corpus.core.sql import connect
from tests.corpus.helpers import HeldLock, all_rows, make_config

pytestmark = pytest.mark.faults

SPINE = ["url_filter", "lang_id"]


@pytest.fixture
def built(spine_build):
    return spine_build


@pytest.fixture(scope="module")
def spine_yaml(tmp_path_factory):
    path = tmp_path_factory.mktemp("config") / "spine.yaml"
    path.write_text(f"stages: {SPINE}\n")
    return path


@pytest.fixture
def out(tmp_path, built):
    """A copy of the build for a test that tries to destroy it."""
    return shutil.copytree(built, tmp_path / "out")


def cli(*args, input=None):
    return CliRunner().invoke(make_app(), [str(a) for a in args], input=input)


def snapshot(root) -> dict[str, str]:
    """Every file under root and a hash of its bytes: what a read-only command must leave as it was."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


# ---- corpus sql cannot write: the connection is opened so that no statement can touch a file

ESCAPES = {
    "explain (analyze) copy": "EXPLAIN (ANALYZE) COPY (SELECT * FROM kept WHERE false) TO '{out}/kept/00000.parquet' "
    "(FORMAT parquet)",
    "comment, explain analyze": "-- just looking\nEXPLAIN ANALYZE COPY (SELECT * FROM kept WHERE false) "
    "TO '{out}/kept/00000.parquet' (FORMAT parquet)",
    "block comment": "/* x */ explain analyze copy (select 1 as a) to '{out}/kept/new.parquet' (format parquet)",
    "copy to": "COPY (SELECT * FROM kept WHERE false) TO '{out}/kept/00000.parquet' (FORMAT parquet)",
    "copy elsewhere": "copy kept to '{tmp}/stolen.csv'",
    "attach": "ATTACH '{out}/kept/db.duckdb' AS x",
    "export": "EXPORT DATABASE '{out}/kept/export'",
}


@pytest.mark.parametrize("escape", ESCAPES)
def test_sql_command_writes_nothing(tmp_path, out, escape):
    before, kept = snapshot(tmp_path), len(all_rows(out)["kept"])
    r = cli("sql", "--", out, ESCAPES[escape].format(out=out, tmp=tmp_path))  # "--": a query may start with "--"
    assert r.exit_code in (1, 2) and "error:" in r.output and not isinstance(r.exception, Exception), r.output
    assert snapshot(tmp_path) == before and len(all_rows(out)["kept"]) == kept > 0


@pytest.mark.parametrize("escape", ESCAPES)
def test_the_sandbox_alone_stops_every_write(tmp_path, out, escape):
    """Without the statement check in front: the connection itself refuses."""
    before = snapshot(tmp_path)
    con = connect(str(out), sandbox=True)
    with pytest.raises(duckdb.Error, match="disabled by configuration"):
        con.execute(ESCAPES[escape].format(out=out, tmp=tmp_path))
    assert con.execute("select count(*) from kept").fetchone()[0] == len(all_rows(out)["kept"]) > 0
    assert snapshot(tmp_path) == before


def test_sql_prompt_writes_nothing(tmp_path, out):
    before, kept = snapshot(tmp_path), len(all_rows(out)["kept"])
    statements = [ESCAPES[e].format(out=out, tmp=tmp_path) for e in ESCAPES] + ["select count(*) as n from kept"]
    r = cli("sql", out, input="".join(s + ";\n" for s in statements))
    assert r.exit_code == 0 and r.output.count("error:") == len(ESCAPES) and f"\n{kept}" in r.output, r.output
    assert snapshot(tmp_path) == before and len(all_rows(out)["kept"]) == kept


def test_sql_views_still_read_everything(tmp_path, out):
    """docs is the union of the three tables, and a clusters table gets its view."""
    from labels.stage import write_cluster_table

    rows = all_rows(out)
    write_cluster_table(Layout(str(out)), {0: {"top_terms": "a b", "sample_ids": []}}, {0: 3}, {"k": 1})
    r = cli(
        "sql",
        out,
        "select (select count(*) from docs), (select count(*) from clusters), "
        "(select count(*) from docs where fate = 'dropped')",
        "--format",
        "csv",
    )
    assert r.exit_code == 0, r.output
    assert r.output.splitlines()[-1] == f"{sum(map(len, rows.values()))},1,{len(rows['dropped'])}"


def test_sql_on_a_runs_directory_reads_and_cannot_write(tmp_path):
    from mixtures.runs import append_run

    runs = tmp_path / "runs"
    for i in range(3):
        append_run(str(runs), {"run": f"s{i:03d}", "metric": i / 2})
    r = cli("sql", runs, "select count(*) as n, sum(metric) as s from runs", "--format", "csv")
    assert r.exit_code == 0 and r.output.splitlines()[-1] == "3,1.5", r.output
    before = snapshot(tmp_path)
    r = cli("sql", runs, f"explain (analyze) copy (select 1 as run) to '{runs}/runs.parquet' (format parquet)")
    assert r.exit_code in (1, 2) and "error:" in r.output
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("what", ["folder", "file"])
def test_sql_reads_no_table_outside_the_build(tmp_path, out, what):
    """A table folder or file that is a symlink out of OUT is refused, not followed."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    if what == "folder":
        shutil.move(out / "kept", elsewhere / "kept")
        os.symlink(elsewhere / "kept", out / "kept")
    else:
        shutil.move(out / "kept" / "00000.parquet", elsewhere / "00000.parquet")
        os.symlink(elsewhere / "00000.parquet", out / "kept" / "00000.parquet")
    r = cli("sql", out, "select count(*) from kept")
    assert r.exit_code == 2 and "outside" in r.output and "Traceback" not in r.output, r.output


# ---- --overwrite deletes a build's own files and nothing else


def _foreign(d, name, content):
    (d / "src").mkdir(parents=True)
    (d / "src" / "important.txt").write_text("x")
    (d / name).write_text(content)
    return d


@pytest.mark.parametrize(
    "name,content",
    [
        ("manifest.json", '{"name": "ext"}'),  # an npm-style project (the report)
        ("manifest.json", '{"config": {"name": "ext"}, "tokens": 10}'),
        ("build-config.json", '{"name": "ext"}'),
        ("build-config.json", "not json"),
        ("corpus-output.json", '{"format": "something else", "version": 1}'),
    ],
)
def test_overwrite_refuses_a_directory_that_only_looks_like_a_build(tmp_path, demo_warc, spine_yaml, name, content):
    p = _foreign(tmp_path / "p", name, content)
    before = snapshot(tmp_path)
    r = cli("build", demo_warc, "-o", p, "--overwrite", "-c", spine_yaml)
    assert r.exit_code == 2 and "refusing to delete" in r.output, r.output
    assert snapshot(tmp_path) == before


def test_overwrite_replaces_a_builds_entries_and_leaves_the_rest(tmp_path, demo_warc, built, out):
    (out / "notes.txt").write_text("mine")
    (out / "src").mkdir()
    (out / "src" / "important.txt").write_text("x")
    shutil.copy(out / "kept" / "00000.parquet", out / "kept" / "stale.parquet")
    assert build(make_config([demo_warc], out, stages=SPINE), overwrite=True).exit_code == 0
    assert (out / "notes.txt").read_text() == "mine" and (out / "src" / "important.txt").read_text() == "x"
    assert not (out / "kept" / "stale.parquet").exists() and all_rows(out) == all_rows(built)


def test_a_build_never_moves_into_a_folder_of_the_users(tmp_path, demo_warc, spine_yaml):
    """Once a build had put its marker beside the user's files, --overwrite would take their logs/ with it."""
    p = tmp_path / "p"
    (p / "logs").mkdir(parents=True)
    (p / "logs" / "mine.log").write_text("x")
    before = snapshot(tmp_path)
    r = cli("build", demo_warc, "-o", p, "-c", spine_yaml)
    assert r.exit_code == 2 and "is not empty and holds no build" in r.output, r.output
    assert snapshot(tmp_path) == before and not (p / "corpus-output.json").exists()


@pytest.mark.parametrize("kind", ["build", "refilter"])
def test_a_build_made_before_the_marker_is_still_replaced(tmp_path, demo_warc, built, kind):
    """Outputs made before corpus-output.json are recognised by their config: build-config.json, or a
    refilter's manifest (compatibility: passes before the fix too)."""
    old = tmp_path / "old"
    if kind == "build":
        shutil.copytree(built, old)
    else:
        assert cli("refilter", built, "-o", old).exit_code == 0
    (old / "corpus-output.json").unlink(missing_ok=True)
    (old / "kept" / "stale.parquet").write_bytes(b"")
    assert build(make_config([demo_warc], old, stages=SPINE), overwrite=True).exit_code == 0
    assert not (old / "kept" / "stale.parquet").exists() and all_rows(old) == all_rows(built)


# ---- one build at a time holds OUT, and nothing deletes a running build


def test_refilter_overwrite_refuses_while_a_build_holds_the_lock(tmp_path, built, out):
    with HeldLock(out) as pid:
        before = snapshot(out)
        r = cli("refilter", built, "-o", out, "--overwrite")
        assert r.exit_code == 2 and f"being written by another build (pid {pid})" in r.output, r.output
        assert snapshot(out) == before
    assert cli("refilter", built, "-o", out, "--overwrite").exit_code == 0  # the owner is gone


def _race(outs, barrier, results):
    for out in outs:
        barrier.wait()
        try:
            lock = BuildLock(out).__enter__()
        except OutputError:
            lock = None
        results.put((out, lock is not None))
        barrier.wait()  # every racer has tried before the winner lets go
        if lock:
            lock.__exit__(None, None, None)


def test_one_of_two_racers_takes_a_stale_lock(tmp_path):
    """A killed build's lock, two builds starting at once: exactly one may win. Taking over a stale pid
    file let both win in 1-4% of trials on a 2-core machine, so many cheap trials: about 3 s."""
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    outs = []
    for i in range(1000):
        out = tmp_path / f"out{i}"
        out.mkdir()
        (out / "build.lock").write_text(json.dumps({"pid": dead.pid}))  # a killed build's lock
        outs.append(str(out))
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    racers = [ctx.Process(target=_race, args=(outs, barrier, results)) for _ in range(2)]
    for p in racers:
        p.start()
    wins = {o: 0 for o in outs}
    for _ in range(2 * len(outs)):
        out, won = results.get(timeout=60)
        wins[out] += won
    for p in racers:
        p.join(timeout=30)
    wrong = sorted(n for n in wins.values() if n != 1)
    assert not wrong, f"{len(wrong)} of {len(outs)} trials had {wrong[0]} winners"


# ---- paths are SQL literals


@pytest.mark.parametrize("src,dst", [("out", "it's"), ("it's a build", "o'reilly")])
def test_quotes_in_paths(tmp_path, built, src, dst):
    shutil.copytree(built, tmp_path / src)
    r = cli("refilter", tmp_path / src, "-o", tmp_path / dst)
    assert r.exit_code == 0, r.output
    assert all_rows(tmp_path / dst) == all_rows(built)
    r = cli("sql", tmp_path / dst, "select count(*) from docs", "--format", "csv")
    assert r.exit_code == 0 and r.output.splitlines()[-1] == str(sum(map(len, all_rows(built).values())))
