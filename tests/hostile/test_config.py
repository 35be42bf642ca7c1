"""Mistakes a build must refuse in one line before it touches OUT, and Ctrl-C on a running build."""

import glob
import os
import signal
import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

from corpus.cli import make_app
from corpus.demo import write_demo_warc
from tests.corpus.helpers import env_with_path

pytestmark = pytest.mark.faults

INTERRUPTED = "interrupted: rerun the same command to resume"


@pytest.fixture(scope="module")
def demo_warc(tmp_path_factory):
    return write_demo_warc(str(tmp_path_factory.mktemp("input") / "demo.warc.gz"))


# {tmp} is the test's tmp_path: it exists, holds no model, and holds typo.yaml (a defaults file naming no signal)
@pytest.mark.parametrize(
    "yaml_text, key",
    [
        ("url_filter: {domain_lists: ['{tmp}/missing.txt']}", "url_filter.domain_lists[0]"),
        ("url_filter: {url_lists: ['{tmp}']}", "url_filter.url_lists[0]"),  # a directory
        ("heuristics: {blocklists: {en: ['{tmp}/missing.txt']}}", "heuristics.blocklists.en[0]"),
        ("heuristics: {defaults_file: '{tmp}/missing.yaml'}", "heuristics.defaults_file"),
        ("heuristics: {defaults: '{tmp}/missing.yaml'}", "heuristics.defaults"),  # the former name, as written
        ("heuristics: {defaults: '{tmp}/typo.yaml'}", "{tmp}/typo.yaml:en.thresholds.gopher_word_cont"),
        ("page_type: {defaults_file: '{tmp}/missing.yaml'}", "page_type.defaults_file"),
        ("page_type: {defaults: '{tmp}/missing.yaml'}", "page_type.defaults"),
        ("lang_id: {defaults_file: '{tmp}/missing.yaml'}", "lang_id.defaults_file"),
        ("scorers: {defaults_file: '{tmp}/missing.yaml'}", "scorers.defaults_file"),
        ("scorers: {models_dir: /nonexistent}", "scorers.models_dir"),
        ("scorers: {models_dir: '{tmp}'}", "scorers.models_dir"),  # a directory without models
        ("stages: [lang_id, topic]\ntopic: {models_dir: /nonexistent}", "topic.models_dir"),
        ("seed: -1", "seed"),
        ("seed: 4294967296", "seed"),  # 2**32: numpy's and scikit-learn's seeds stop below
        ("extract: {timeout_s: .inf}", "extract.timeout_s"),
        ("extract: {timeout_s: 1.0e+12}", "extract.timeout_s"),  # past what SIGALRM's timer holds
        ("dedup: {memory_mb: .inf}", "dedup.memory_mb"),
        ("lang: {default_min_score: .nan}", "lang.default_min_score"),
        ("thresholds: {en: {lang_score: {min: .nan}}}", "thresholds.en.lang_score.min"),
        ("lang_id: {max_chars: 0}", "lang_id.max_chars"),
        ("lang: {max_chars: 0}", "lang.max_chars"),
        ("thresholds: {en: {gopher_word_count: {min: .nan}}}", "thresholds.en.gopher_word_count.min"),
        ("thresholds: {en: {gopher_word_count: {min: 100, max: 50}}}", "thresholds.en.gopher_word_count"),
        ("thresholds: {en: {gopher_word_count: {min: 200000}}}", "thresholds.en.gopher_word_count"),  # default max 1e5
        ("lang_id: {keep: [en]}\nlang_id: {keep: [zh]}", "lang_id"),
        ("lang: {keep: [en]}\nlang_id: {keep: [zh]}", "lang"),  # a section under its former name and its name
        ("extract: {timeout_s: 5, timeout_s: 6}", "extract.timeout_s"),
    ],
)
def test_a_mistake_is_one_line_before_out_exists(tmp_path, demo_warc, yaml_text, key):
    (tmp_path / "typo.yaml").write_text("en: {thresholds: {gopher_word_cont: {min: 1}}}\n")
    config = tmp_path / "c.yaml"
    config.write_text(yaml_text.replace("{tmp}", str(tmp_path)) + "\n")
    out = tmp_path / "out"
    r = CliRunner().invoke(make_app(), ["build", demo_warc, "-c", str(config), "-o", str(out)])
    assert r.exit_code == 2, (r.output, r.exception)
    (line,) = r.stderr.splitlines()
    assert line.startswith("error: ") and f"'{key.replace('{tmp}', str(tmp_path))}'" in line
    assert not out.exists()


def test_paths_that_exist_load(tmp_path):
    from corpus.config import load_config
    from filters.url import DEFAULT_DOMAIN_LIST

    urls = tmp_path / "urls.txt"
    urls.write_text("http://example.com/x\n")
    cfg = load_config(
        None,
        url_filter={"domain_lists": [str(DEFAULT_DOMAIN_LIST)], "url_lists": [str(urls)]},
        seed=2**32 - 1,
        extract={"timeout_s": 0.5},
        lang_id={"max_chars": 1},
    )
    assert cfg.url_filter.url_lists == (str(urls),)


def _wait_for(started, proc, deadline_s=300):
    """Until started() holds; a build that ends first, or never gets there, fails the test with its output."""
    deadline = time.monotonic() + deadline_s
    while not started():
        if proc.poll() is not None:
            pytest.fail(
                f"the build ended (exit {proc.returncode}) before it could be interrupted: "
                f"{proc.communicate()[1][-2000:]}"
            )
        if time.monotonic() > deadline:
            pytest.fail("the build never reached its first finished task")
        time.sleep(0.05)


@pytest.mark.parametrize("workers", [1, 2])
def test_ctrl_c_is_one_line_and_the_same_command_resumes(tmp_path, workers):
    inputs, out = tmp_path / "in", tmp_path / "out"
    for i in range(12):  # a task per file: the build is still running when the first task finished
        write_demo_warc(str(inputs / f"d{i:02d}.warc.gz"))
    command = [sys.executable, "-m", "corpus.cli", "build", str(inputs), "-o", str(out), "--workers", str(workers)]
    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env=env_with_path(),
        cwd=tmp_path,
    )
    try:
        _wait_for(lambda: glob.glob(str(out / "logs" / "seg00*" / "completions" / "*")), proc)
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C does: the whole process group, workers included
        _, stderr = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, stderr[-3000:]
    assert "Traceback" not in stderr, stderr[-3000:]
    assert [line for line in stderr.splitlines() if not line.startswith("note: ")] == [INTERRUPTED]
    rerun = subprocess.run(command, capture_output=True, text=True, env=env_with_path(), cwd=tmp_path, timeout=600)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
