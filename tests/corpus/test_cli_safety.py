"""The CLI never destroys data and answers every everyday mistake with one line and exit 2."""

import json
import os
import subprocess
import sys

import pytest

from corpus.build import build
from corpus.demo import write_demo_warc
from tests.corpus.helpers import env_with_path, make_config

SPINE = ["url_filter", "lang_id"]


def corpus(*args, cwd=None, env=None):
    return subprocess.run([sys.executable, "-m", "corpus.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env or env_with_path())


def one_line_error(r, code=2):
    assert r.returncode == code, (r.returncode, r.stdout[-1000:], r.stderr[-2000:])
    assert "Traceback" not in r.stderr, r.stderr[-2000:]
    errors = [line for line in r.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, r.stderr[-2000:]
    return errors[0]


@pytest.fixture(scope="module")
def demo_warc(tmp_path_factory):
    return write_demo_warc(str(tmp_path_factory.mktemp("demo") / "demo.warc.gz"))


@pytest.fixture(scope="module")
def built(tmp_path_factory, demo_warc):
    out = tmp_path_factory.mktemp("built") / "out"
    assert build(make_config([demo_warc], out, stages=SPINE)).exit_code == 0
    return out


# ---- corpus sql is read-only


@pytest.mark.parametrize("query", [
    "describe kept", "show tables", "summarize kept", "explain select * from kept", "pragma table_info('kept')",
    "with k as (select * from kept) select count(*) from k", "from kept select count(*)",
    "select count(*) from read_parquet('{out}/kept/*.parquet')",
])
def test_sql_runs_queries(built, query):
    r = corpus("sql", built, query.format(out=built))
    assert r.returncode == 0 and r.stdout.strip(), r.stderr


@pytest.mark.parametrize("query", [
    "copy (select 'x' as text) to '{out}/kept/00000.parquet' (format parquet)",
    "copy (select 1) to '{tmp}/elsewhere.csv'",
    "create table t as select 1",
    "attach '{tmp}/x.duckdb'",
    "install httpfs",
    "load httpfs",
    "set enable_external_access = true",
    "explain analyze copy (select 1) to '{out}/kept/x.parquet'",
    "select 1; drop view kept",
    "pragma enable_profiling",
])
def test_sql_refuses_statements_that_are_not_queries(built, tmp_path, query):
    before = sorted(os.listdir(built / "kept")), (built / "kept" / "00000.parquet").read_bytes()
    line = one_line_error(corpus("sql", built, query.format(out=built, tmp=tmp_path)))
    assert "refused" in line or "only" in line
    assert (sorted(os.listdir(built / "kept")), (built / "kept" / "00000.parquet").read_bytes()) == before
    assert not os.listdir(tmp_path)


@pytest.mark.parametrize("query", [
    "select * from read_text('/etc/passwd')", "select * from read_csv('/etc/passwd')",
    "select * from glob('/etc/*')", "select * from read_text('{out}/manifest.json')",
])
def test_sql_reads_nothing_but_the_builds_tables(built, query):
    r = corpus("sql", built, query.format(out=built))
    assert r.returncode == 1 and "Permission Error" in r.stderr and "root:" not in r.stdout


def test_sql_on_a_directory_that_is_not_a_build(tmp_path):
    (tmp_path / "kept").mkdir()
    assert "not a build output directory" in one_line_error(corpus("sql", tmp_path, "select 1"))
    assert "not a build output directory" in one_line_error(corpus("sql", tmp_path / "nope", "select 1"))


def test_sql_on_a_half_written_build(tmp_path, built):
    import shutil

    half = tmp_path / "half"
    shutil.copytree(built, half)
    os.remove(half / "manifest.json")
    with open(half / "kept" / "00000.parquet", "r+b") as f:
        f.truncate(100)  # a writer killed mid-file
    line = one_line_error(corpus("sql", half, "select count(*) from kept"))
    assert "cannot read the tables" in line
