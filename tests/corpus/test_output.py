"""What a build leaves on the terminal and on disk: a short summary by default, every log line in
OUT/logs, no scratch after success, and tables that any Parquet reader opens as one."""

import glob
import io
import json
import shutil
import subprocess
import sys
import time

import polars as pl
import pytest

from corpus.core import progress, vocab
from corpus.build import build, plan_segments
from corpus.core.layout import Layout
from tests.clirun import corpus
from tests.corpus.helpers import all_rows, env_with_path, make_config

STAGES = ["url_filter", "lang_id", "gopher_quality", "dedup_exact", "word_blocklist"]
SCREEN = 40  # lines


@pytest.fixture(scope="module")
def staged(tmp_path_factory, demo_warc):
    """The demo through five stages (a corpus-level one among them), scratch removed."""
    out = tmp_path_factory.mktemp("staged") / "out"
    result = build(make_config([demo_warc], out, stages=STAGES))
    assert result.exit_code == 0
    return out, result


def corpus_process(*args):
    """A real `corpus` process: what a terminal shows, forked workers included."""
    return subprocess.run(
        [sys.executable, "-m", "corpus.cli", *map(str, args)], capture_output=True, text=True, env=env_with_path()
    )


def _records_line(funnel: dict) -> str:
    t = funnel["totals"]
    return f"records: {sum(t.values())}  kept: {t['kept']}  dropped: {t['dropped']}  failed: {t['failed']}"


def test_default_build_output_fits_on_a_screen(tmp_path, demo_warc):
    # two input files on two workers: the tasks run in forked worker processes, whose logs must stay quiet too
    inputs = [shutil.copy(demo_warc, tmp_path / name) for name in ("a.warc.gz", "b.warc.gz")]
    out = tmp_path / "out"
    r = corpus_process("build", *inputs, "-o", out, "--workers", 2, "-c", _config(tmp_path, STAGES))
    assert r.returncode == 0, r.stderr[-3000:]
    lines = (r.stdout + r.stderr).splitlines()
    assert len(lines) <= SCREEN, "\n".join(lines)
    funnel = json.loads((out / "funnel.json").read_text())
    assert _records_line(funnel) in r.stdout
    assert "docs_in" in r.stdout and "gopher_quality" in r.stdout  # the funnel table
    assert "datatrove" not in r.stderr and "Launching pipeline" not in r.stderr
    # one summary line per segment (stderr is not a terminal: plain lines), with the segment's counts
    progress = [line for line in r.stderr.splitlines() if line.startswith("seg ")]
    assert len(progress) == len(plan_segments(tuple(STAGES))) and all(": done in " in line for line in progress), (
        r.stderr
    )
    records = sum(funnel["totals"].values())
    assert f"{records} read" in progress[0]
    assert f"kept {funnel['totals']['kept']} " in progress[-1]
    # the log lines the terminal did not get are kept under OUT/logs
    task_logs = glob.glob(str(out / "logs" / "seg00" / "logs" / "task_*.log"))
    assert len(task_logs) == 2 and all("Launching pipeline" in open(p).read() for p in task_logs)
    assert "segment 0" in (out / "logs" / "build.log").read_text()


def test_verbose_build_shows_datatrove_logs(tmp_path, demo_warc):
    r = corpus_process(
        "build", demo_warc, "-o", tmp_path / "out", "-v", "-c", _config(tmp_path, ["url_filter", "lang_id"])
    )
    assert r.returncode == 0, r.stderr[-3000:]
    assert "Launching pipeline for rank=0" in r.stderr and "datatrove" in r.stderr
    assert "records: 19" in r.stdout


def test_demo_command_fits_on_a_screen(tmp_path):
    r = corpus("demo", "-o", tmp_path / "demo")
    assert r.returncode == 0, r.stderr[-3000:]
    lines = (r.stdout + r.stderr).splitlines()
    assert len(lines) <= SCREEN, "\n".join(lines)
    funnel = json.loads((tmp_path / "demo" / "build" / "funnel.json").read_text())
    assert _records_line(funnel) in r.stdout


def _config(tmp_path, stages) -> str:
    path = tmp_path / "c.yaml"
    path.write_text(f"stages: [{', '.join(stages)}]\n")
    return str(path)


def _schema_names() -> list[str]:
    return [f.name for f in vocab.arrow_schema()]


def test_scratch_removed_and_one_glob_reads_every_table(demo_warc, staged):
    out, result = staged
    assert not (out / "work").exists()
    everything = pl.scan_parquet(str(out / "**" / "*.parquet")).collect()
    assert everything.columns == _schema_names()
    assert len(everything) == sum(result.funnel["totals"].values()) == 19
    # no record failed: the failed table is still there, empty, with the schema
    failed = pl.scan_parquet(str(out / "failed" / "*.parquet")).collect()
    assert failed.shape == (0, len(_schema_names())) and failed.columns == _schema_names()
    kept = pl.scan_parquet(str(out / "kept" / "*.parquet")).collect()
    assert len(kept) == result.funnel["totals"]["kept"] > 0

    before = all_rows(out)
    again = build(make_config([demo_warc], out, stages=STAGES))  # the same command again: nothing to redo
    assert again.exit_code == 0 and again.funnel == result.funnel and all_rows(out) == before


def test_keep_work_and_the_tools_on_a_cleaned_build(tmp_path, demo_warc, staged):
    kept_work = build(make_config([demo_warc], tmp_path / "k", stages=STAGES), keep_work=True)
    assert kept_work.exit_code == 0 and glob.glob(str(tmp_path / "k" / "work" / "seg*" / "*.parquet"))

    out, result = staged
    totals = result.funnel["totals"]
    r = corpus("sql", out, "select fate, count(*) as n from docs group by fate order by fate", "--format", "csv")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[1:] == [f"dropped,{totals['dropped']}", f"kept,{totals['kept']}"]
    r = corpus("sql", out, input="select count(*) from kept;\n")
    assert r.returncode == 0 and "views: docs, dropped, failed, kept." in r.stderr, r.stderr
    r = corpus("refilter", out, "--set", "en.gopher_word_count.min=100000", "-o", tmp_path / "re")
    assert r.returncode == 0, r.stderr[-2000:]
    refiltered = pl.scan_parquet(str(tmp_path / "re" / "**" / "*.parquet")).collect()
    assert len(refiltered) == 19 and refiltered.columns == _schema_names()
    r = corpus("report", out, "-o", tmp_path / "report.html")
    assert r.returncode == 0 and (tmp_path / "report.html").stat().st_size > 10_000, r.stderr[-2000:]


def _wait_for(condition, deadline_s=120.0):
    """Wait on an event, not on the clock: a loaded machine only makes this slower."""
    end = time.monotonic() + deadline_s
    while not condition():
        assert time.monotonic() < end, "the condition never came true"
        time.sleep(0.05)


def test_plain_progress_lines_while_a_segment_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(progress, "PLAIN_EVERY_S", 0.2)
    layout, stream = Layout(str(tmp_path)), io.StringIO()
    with progress.Display(live=False, stream=stream) as display:
        with display.segment(layout, 1, "seg 1 test", total=60, last=True):
            tally = progress.start_task(layout, 1, 0)  # what a task's reader and writers do, in any process
            for i in range(30):
                tally.add(progress.READ)
                tally.add(vocab.FATE_KEPT if i % 3 else vocab.FATE_DROPPED)
            tally.flush()
            _wait_for(lambda: ", eta " in stream.getvalue())  # half-way: the display must show a running line
            for i in range(30, 60):
                tally.add(progress.READ)
                tally.add(vocab.FATE_KEPT if i % 3 else vocab.FATE_DROPPED)
            tally.flush()
    *running, done = stream.getvalue().splitlines()
    assert running and all(line.startswith("seg 1 test: running") for line in running)
    assert any(", eta " in line for line in running)  # the total is known: 60 documents
    assert done.startswith("seg 1 test: done") and "60 read" in done and "kept 40 dropped 20" in done


def test_funnel_counts_match_sql_over_the_tables(tmp_path, demo_warc):
    """The funnel reads the tables one row group at a time; DuckDB over the docs view must agree, for rows
    dropped before extraction (no extract_chars: the text is counted) as well as after."""
    from corpus.core.funnel import count_groups
    from corpus.core.sql import connect

    out = tmp_path / "out"
    inputs = [shutil.copy(demo_warc, tmp_path / name) for name in ("a.warc.gz", "b.warc.gz")]
    build(make_config(inputs, out, stages=STAGES, executor={"workers": 2}))
    chars = f"coalesce({vocab.EXTRACT_CHARS}, length({vocab.TEXT}))"
    sums = f"coalesce(sum({chars}), 0), coalesce(sum({vocab.PAYLOAD_BYTES}), 0)"  # characters of text, payload bytes
    con = connect(str(out))
    by_stage = con.execute(f"""select fate, stage, coalesce(lang, 'unknown'), coalesce(reason, error_class), count(*),
                              {sums} from docs group by all""").fetchall()
    assert count_groups(str(out)) == {tuple(r[:4]): list(r[4:]) for r in by_stage}
    by_source = con.execute(f"select source_file, fate, count(*), {sums} from docs group by all")
    assert count_groups(str(out), by_source=True) == {tuple(r[:2]): list(r[2:]) for r in by_source.fetchall()}
    no_count = con.execute(f"select count(*) from docs where {vocab.EXTRACT_CHARS} is null and fate <> 'kept'")
    assert no_count.fetchone()[0] > 0  # the url filter's drops: the text-length path is exercised
