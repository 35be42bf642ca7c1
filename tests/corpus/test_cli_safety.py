"""The CLI never destroys data and answers every everyday mistake with one line and exit 2."""

import json
import os

import pytest

from corpus.build import build
from tests.clirun import corpus
from tests.corpus.helpers import HeldLock, env_with_path, make_config

SPINE = ["url_filter", "lang_id"]


def one_line_error(r, code=2):
    assert r.returncode == code, (r.returncode, r.stdout[-1000:], r.stderr[-2000:])
    assert "Traceback" not in r.stderr, r.stderr[-2000:]
    errors = [line for line in r.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, r.stderr[-2000:]
    return errors[0]


@pytest.fixture
def built(spine_build):
    return spine_build


# ---- corpus sql is read-only


@pytest.mark.parametrize(
    "query",
    [
        "describe kept",
        "show tables",
        "summarize kept",
        "explain select * from kept",
        "pragma table_info('kept')",
        "with k as (select * from kept) select count(*) from k",
        "from kept select count(*)",
    ],
)
def test_sql_runs_queries(built, query):
    r = corpus("sql", built, query.format(out=built))
    assert r.returncode == 0 and r.stdout.strip(), r.stderr


@pytest.mark.parametrize(
    "query",
    [
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
    ],
)
def test_sql_refuses_statements_that_are_not_queries(built, tmp_path, query):
    before = sorted(os.listdir(built / "kept")), (built / "kept" / "00000.parquet").read_bytes()
    line = one_line_error(corpus("sql", built, query.format(out=built, tmp=tmp_path)))
    assert "refused" in line or "only" in line
    assert (sorted(os.listdir(built / "kept")), (built / "kept" / "00000.parquet").read_bytes()) == before
    assert not os.listdir(tmp_path)


@pytest.mark.parametrize(
    "query",
    [
        "select * from read_text('/etc/passwd')",
        "select * from read_csv('/etc/passwd')",
        "select * from glob('/etc/*')",
        "select * from read_text('{out}/manifest.json')",
        "select count(*) from read_parquet('{out}/kept/*.parquet')",  # the views read the tables; DuckDB reads no file
    ],
)
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


# ---- --overwrite deletes only a build of ours


def _precious(d):
    d.mkdir(parents=True, exist_ok=True)
    (d / "thesis.txt").write_text("years of work")
    return d


@pytest.mark.parametrize("target", ["cwd", "home", "root", "plain", "file"])
def test_overwrite_refuses_what_is_not_a_build(tmp_path, demo_warc, target):
    work = _precious(tmp_path / "work")
    env = env_with_path()
    if target == "home":
        env["HOME"] = str(_precious(tmp_path / "home"))
    out = {
        "cwd": ".",
        "home": env.get("HOME"),
        "root": "/",
        "plain": str(_precious(tmp_path / "plain")),
        "file": str(tmp_path / "work" / "thesis.txt"),
    }[target]
    config = _spine_yaml(tmp_path)
    before = sorted(map(str, tmp_path.rglob("*")))
    line = one_line_error(corpus("build", demo_warc, "-o", out, "--overwrite", "-c", config, cwd=work, env=env))
    assert "refusing to delete" in line or "not a directory" in line
    assert sorted(map(str, tmp_path.rglob("*"))) == before


def _spine_yaml(d):
    p = d / "spine.yaml"
    p.write_text("stages: [url_filter, lang_id]\n")
    return p


def test_overwrite_replaces_a_build_and_refilter_follows_the_same_rule(tmp_path, demo_warc, built):
    out = tmp_path / "out"
    r = corpus("build", demo_warc, "-o", out, "-c", _spine_yaml(tmp_path))
    assert r.returncode == 0, r.stderr[-2000:]
    (out / "stray.txt").write_text("scratch")
    (out / "kept" / "stale.parquet").write_bytes(b"")
    r = corpus("build", demo_warc, "-o", out, "-c", _spine_yaml(tmp_path), "--overwrite")
    # the build's own files are replaced; a file of the user's beside them stays
    assert r.returncode == 0 and not (out / "kept" / "stale.parquet").exists()
    assert (out / "stray.txt").read_text() == "scratch"

    plain = _precious(tmp_path / "plain")
    line = one_line_error(corpus("refilter", built, "-o", plain, "--overwrite"))
    assert "refusing to delete" in line and (plain / "thesis.txt").exists()
    line = one_line_error(corpus("refilter", built, "-o", built.parent, "--overwrite"))
    assert "OUT2" in line and (built / "manifest.json").exists()
    assert corpus("refilter", built, "-o", out, "--overwrite").returncode == 0
    assert json.load(open(out / "manifest.json"))["refiltered_from"] == str(built)


# ---- inputs by real path; one writer per OUT


def test_one_file_under_two_spellings_is_read_once(tmp_path, demo_warc):
    d = os.path.dirname(demo_warc)
    twice = os.path.join(d, "..", os.path.basename(d), os.path.basename(demo_warc))
    os.symlink(demo_warc, tmp_path / "link.warc.gz")
    result = build(make_config([demo_warc, twice, tmp_path / "link.warc.gz"], tmp_path / "o", stages=SPINE))
    assert sum(result.funnel["totals"].values()) == 19
    assert result.exit_code == 0 and all(s["balanced"] for s in result.shards.values())


def test_a_live_lock_refuses_and_a_stale_one_is_taken_over(tmp_path, demo_warc):
    out = tmp_path / "out"
    out.mkdir()
    with HeldLock(out) as owner:
        for extra in ([], ["--overwrite"]):
            line = one_line_error(corpus("build", demo_warc, "-o", out, "-c", _spine_yaml(tmp_path), *extra))
            assert f"pid {owner}" in line
    assert (out / "build.lock").exists()  # SIGKILLed: its lock file stays, its lock does not
    r = corpus("build", demo_warc, "-o", out, "-c", _spine_yaml(tmp_path))
    assert r.returncode == 0, r.stderr[-2000:]
    assert not (out / "build.lock").exists()


# ---- every everyday mistake: one line naming it, exit 2, no output directory left behind

SPINE_YAML = "stages: [url_filter, lang_id]\n"
CASES = {  # id: (argv, files to write first, what the line must name)
    "malformed_yaml": (
        "build {warc} -o {tmp}/out -c {tmp}/c.yaml",
        {"c.yaml": "stages: [url_filter\n"},
        "not valid YAML",
    ),
    "missing_config": ("build {warc} -o {tmp}/out -c {tmp}/nope.yaml", {}, "config file"),
    "missing_mixture": ("mix plan {tmp}/nope.yaml", {}, "config file"),
    "unknown_key": (
        "build {warc} -o {tmp}/out -c {tmp}/c.yaml",
        {"c.yaml": "lang_id: {keep: [en], bogus: 1}\n"},
        "config key 'lang_id.bogus': unknown key (known: defaults_file, keep, max_chars, model_path)",
    ),
    # under a section's former name, the key as the config wrote it
    "unknown_key_former_name": (
        "build {warc} -o {tmp}/out -c {tmp}/c.yaml",
        {"c.yaml": "lang: {bogus: 1}\n"},
        "config key 'lang.bogus': unknown key",
    ),
    "unknown_signal": (
        "build {warc} -o {tmp}/out -c {tmp}/c.yaml",
        {"c.yaml": SPINE_YAML + "thresholds: {en: {no_such_signal: {min: 1}}}\n"},
        "'thresholds.en.no_such_signal'",
    ),
    "retired_switch": (
        "build {warc} -o {tmp}/out -c {tmp}/c.yaml",
        {"c.yaml": SPINE_YAML + "scorers: {enabled: false}\n"},
        "list the stages to run in `stages:`",
    ),
    "empty_stages": ("build {warc} -o {tmp}/out -c {tmp}/c.yaml", {"c.yaml": "stages: []\n"}, "'stages'"),
    "unknown_language": (
        "build {warc} -o {tmp}/out -c {tmp}/c.yaml",
        {"c.yaml": SPINE_YAML + "lang: {keep: [chinese]}\n"},
        "lang.keep[0]",
    ),
    "refilter_unknown_language": (
        "refilter {built} -o {tmp}/out --set zz.gopher_word_count.min=80",
        {},
        "'thresholds.zz'",
    ),
    "wrong_text_field": (
        "build {tmp}/in -o {tmp}/out -c {tmp}/c.yaml",
        {"c.yaml": SPINE_YAML + "input: {text_field: body}\n", "in/a.jsonl": '{"text": "hello"}\n'},
        "input.text_field",
    ),
    "empty_input_dir": (
        "build {tmp}/in -o {tmp}/out -c {tmp}/c.yaml",
        {"c.yaml": SPINE_YAML, "in/": None},
        "no input files",
    ),
    "output_is_a_file": (
        "build {warc} -o {tmp}/f.txt -c {tmp}/c.yaml",
        {"c.yaml": SPINE_YAML, "f.txt": "x"},
        "not a directory",
    ),
    "output_under_a_file": (
        "build {warc} -o {tmp}/f.txt/out -c {tmp}/c.yaml",
        {"c.yaml": SPINE_YAML, "f.txt": "x"},
        "is a file",
    ),
    "explain_compare": ("dedup explain --compare 14by8", {}, "14by8"),
    "explain_threshold": ("dedup explain --threshold 1.5", {}, "--threshold"),
    "explain_bands_0": ("dedup explain --bands 0", {}, "--bands"),
    "explain_bands_negative": ("dedup explain --bands -3", {}, "--bands"),
    "tokenizer_empty_dir": ("tokenizer train {tmp}/in -o {tmp}/out", {"in/": None}, "no .parquet"),
    "tokenizer_missing_path": ("tokenizer train {tmp}/nope -o {tmp}/out", {}, "does not exist"),
    "tokenize_bad_where": ("tokenize {built}/kept -t {tmp}/tok -o {tmp}/out --where 'nonsense > 1'", {}, "nonsense"),
    "tokenize_no_tokenizer": ("tokenize {built}/kept -t nope -o {tmp}/out", {}, "tokenizer 'nope' not found"),
    "eval_missing_mc": ("eval {tmp} --mc /nonexistent", {}, "--mc /nonexistent"),
}


@pytest.mark.parametrize("case", CASES)
def test_mistake_gives_one_line_and_exit_2(tmp_path, demo_warc, built, case):
    import shlex

    argv, files, named = CASES[case]
    for name, text in files.items():
        p = tmp_path / name
        (p if text is None else p.parent).mkdir(parents=True, exist_ok=True)  # None: an empty directory
        if text is not None:
            p.write_text(text)
    line = one_line_error(corpus(*shlex.split(argv.format(warc=demo_warc, tmp=tmp_path, built=built))))
    assert named in line, line
    assert not (tmp_path / "out").exists(), "a failed command left its output directory behind"


def test_fixed_config_reruns_after_a_config_error(tmp_path, demo_warc):
    bad = tmp_path / "bad.yaml"
    bad.write_text(SPINE_YAML + "thresholds: {en: {no_such_signal: {min: 1}}}\n")
    one_line_error(corpus("build", demo_warc, "-o", tmp_path / "out", "-c", bad))
    r = corpus("build", demo_warc, "-o", tmp_path / "out", "-c", _spine_yaml(tmp_path))
    assert r.returncode == 0, r.stderr[-2000:]


def test_every_record_failing_says_why_and_the_fixed_rerun_replaces_it(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.jsonl").write_text('{"body": "Hello there, this is text.", "n": 1}\n' * 3)
    wrong, right = tmp_path / "wrong.yaml", tmp_path / "right.yaml"
    wrong.write_text(SPINE_YAML + "input: {text_field: n}\n")  # exists, but is not text
    right.write_text(SPINE_YAML + "input: {text_field: body}\n")
    r = corpus("build", tmp_path / "in", "-o", tmp_path / "out", "-c", wrong)
    line = one_line_error(r, code=1)
    assert "every record failed (3)" in line and "'n' is int" in line
    r = corpus("build", tmp_path / "in", "-o", tmp_path / "out", "-c", right)
    assert r.returncode == 0, r.stderr[-2000:]
    assert json.load(open(tmp_path / "out" / "funnel.json"))["totals"]["failed"] == 0


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_read_only_output_parent(tmp_path, demo_warc):
    ro = tmp_path / "ro"
    ro.mkdir(mode=0o555)
    line = one_line_error(corpus("build", demo_warc, "-o", ro / "out", "-c", _spine_yaml(tmp_path)))
    assert "not writable" in line


# ---- a build on the demo scorer models says so


def test_demo_scorer_models_are_announced_and_recorded(tmp_path, demo_warc, built):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("stages: [url_filter, lang_id, quality]\n")
    r = corpus("build", demo_warc, "-o", tmp_path / "out", "-c", cfg)
    assert r.returncode == 0, r.stderr[-2000:]
    first = r.stderr.splitlines()[0]
    assert first.startswith("note: quality score with the tiny demo models") and "corpus models train" in first
    models = json.load(open(tmp_path / "out" / "manifest.json"))["scorer_models"]
    assert models["demo"] and models["stages"] == ["quality"] and "corpus models train" in models["train_command"]
    assert json.load(open(built / "manifest.json"))["scorer_models"]["demo"] is False  # no learned stage


def test_a_mistake_in_a_default_build_is_one_line_without_the_demo_note(tmp_path):
    # the default cascade scores with demo models: their note comes only once the build starts
    r = corpus("build", tmp_path / "missing.warc.gz", "-o", tmp_path / "out")
    assert "no input files" in one_line_error(r) and not (tmp_path / "out").exists()
    assert r.stderr.strip().splitlines() == [one_line_error(r)]
