"""Fault injection: SIGKILL of the build or of one of its workers at random points of every pipeline,
an exception inside one shard's task, a full disk. Each rerun of the same command redoes only the
tasks that did not finish and ends with the rows of an uninterrupted build.

CORPUS_FAULT_TRIALS=20 python -m pytest tests/corpus/test_faults.py   # more seeds than the default 2
"""

import glob
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from corpus.build import build
from corpus.demo import write_demo_warc
from tests.corpus.helpers import all_rows, assert_all_gone, descendants, env_with_path, make_config

pytestmark = pytest.mark.faults

TRIALS = int(os.environ.get("CORPUS_FAULT_TRIALS", "2"))
STAGES = ["url_filter", "lang_id", "dedup_paragraph", "dedup_exact", "dedup_minhash"]
CONFIG = f"stages: [{', '.join(STAGES)}]\nexecutor: {{workers: 2}}\n"
# every pipeline of a build with these stages, in the order they run (logs/<name>)
PIPELINES = [
    "seg00",
    "seg01-paragraph-hash",
    "seg01-paragraph-repeats",
    "seg01-dedup_paragraph-filter",
    "seg02-exact-hash",
    "seg02-exact-groups",
    "seg02-exact-clusters",
    "seg02-dedup_exact-filter",
    "seg03-minhash-signatures",
    "seg03-minhash-pairs",
    "seg03-minhash-clusters",
    "seg03-dedup_minhash-filter",
    "seg04",
]


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    """Four shards of the demo pages repeated (every dedup stage has copies to find), and the rows of
    an uninterrupted build of them."""
    d = tmp_path_factory.mktemp("faults")
    one = write_demo_warc(str(d / "one.warc.gz"))
    paths = []
    for s in range(4):
        p = d / f"shard-{s}.warc.gz"
        p.write_bytes(Path(one).read_bytes() * 8)  # gzip members concatenate into one valid WARC
        paths.append(str(p))
    os.remove(one)
    (d / "c.yaml").write_text(CONFIG)
    build(make_config(paths, d / "clean", stages=STAGES, executor={"workers": 2}))
    return paths, d / "c.yaml", all_rows(d / "clean")


def _start(shards, config, out):
    err = open(out.parent / "stderr.txt", "w+")  # a file: a pipe nobody reads could stall the build
    proc = subprocess.Popen(
        [sys.executable, "-m", "corpus.cli", "build", *shards, "-c", str(config), "-o", str(out)],
        env=env_with_path(),
        stdout=subprocess.DEVNULL,
        stderr=err,
        start_new_session=True,
    )
    proc.err = err
    return proc


def _stderr(proc):
    proc.err.seek(0)
    return proc.err.read()


def _wait_for(proc, path, timeout=120):
    deadline = time.time() + timeout
    while not os.path.exists(path) and proc.poll() is None and time.time() < deadline:
        time.sleep(0.005)
    return proc.poll() is None


def _workers(proc):
    """Task processes: the children of the pool's forkserver (processes ending meanwhile are skipped)."""
    import psutil

    found = []
    for p in descendants(proc.pid):
        try:
            if "forkserver" in " ".join(p.cmdline()):
                found += p.children()
        except psutil.Error:
            pass
    return found


def _completions(out):
    return {p: os.stat(p).st_mtime_ns for p in glob.glob(str(out / "logs" / "*" / "completions" / "*"))}


def _check_finished(out, expected, before):
    rows = all_rows(out)
    assert rows == expected
    ids = [r[0] for fate in rows.values() for r in fate]
    assert len(ids) == len(set(ids))  # no document in two tables
    shards = json.load(open(out / "funnel.json"))["shards"]
    assert shards and all(s["balanced"] for s in shards.values())
    after = _completions(out)
    assert all(after.get(p) == t for p, t in before.items()), "a task that had finished was run again"


def _first_worker(proc):
    """Poll every 2 ms for the first task process of the build, as the pool starts."""
    while proc.poll() is None:
        for w in _workers(proc):
            return w
        time.sleep(0.002)
    return None


def _ends_within(proc, timeout):
    try:
        proc.wait(timeout=timeout)
        return True
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # its own session: the build and its workers
        proc.wait()
        return False


def _kill(proc, victim, rng):
    """SIGKILL the build itself, or one of its task processes (None when none is running)."""
    if victim == "driver":
        family = descendants(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert_all_gone(family)  # its workers die with it
        return True
    workers = _workers(proc)
    if not workers:
        return False
    rng.choice(workers).kill()
    assert _ends_within(proc, 120), "the build waited for its killed worker"  # it does not wait for the lost task
    assert proc.returncode in (0, 3), _stderr(proc)[-2000:]
    if proc.returncode == 3:
        assert "worker process died" in _stderr(proc) and "rerun the same command" in _stderr(proc)
    return True


@pytest.mark.parametrize("victim", ["driver", "worker"])
@pytest.mark.parametrize("seed", range(TRIALS))
def test_kill_at_random_points_of_every_pipeline(tmp_path, shards, victim, seed):
    """One build killed again and again, at a random moment of each pipeline in turn, then finished. On a
    fast machine pipelines can end before the moment drawn: the trial is retried with new moments (every
    try's rerun is checked) until kills landed in at least half of the pipelines."""
    paths, config, expected = shards
    for attempt in range(3):
        out = tmp_path / f"out{attempt}"
        kills, hit, before = _kill_each_pipeline(paths, config, out, victim, random.Random(seed * 100 + attempt))
        done = subprocess.run(
            [sys.executable, "-m", "corpus.cli", "build", *paths, "-c", str(config), "-o", str(out)],
            env=env_with_path(),
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        _check_finished(out, expected, before)
        if kills >= len(PIPELINES) // 2 and hit >= 1:
            return
    pytest.fail(f"in 3 tries, only {kills} kills ({hit} of a {victim}) landed in the build")


def _kill_each_pipeline(paths, config, out, victim, rng) -> tuple[int, int, dict]:
    """(kills, kills that hit the victim, task completions before the rerun)."""
    kills, hit, before = 0, 0, {}
    for name in PIPELINES:
        proc = _start(paths, config, out)
        if not _wait_for(proc, out / "logs" / name):
            proc.wait()
            break  # finished before this pipeline could be hit: nothing left to kill
        time.sleep(rng.uniform(0, 0.3))
        before = {**_completions(out), **before}
        if _kill(proc, victim, rng):
            hit += 1
        else:  # no task process at that moment (a one-task pipeline runs in the build itself)
            proc.kill()
            proc.wait()
        kills += 1
    return kills, hit, {**_completions(out), **before}


def test_worker_killed_as_the_pool_starts_ends_the_build(tmp_path, shards):
    """A worker killed while the pool is still starting its others once left the build waiting forever."""
    paths, config, expected = shards
    out = tmp_path / "out"
    for _ in range(TRIALS + 1):
        proc = _start(paths, config, out)
        worker = _first_worker(proc)
        if worker is None:
            break  # nothing left to run
        worker.kill()
        assert _ends_within(proc, 60), "the build hung after a worker was killed as its pool started"
        assert proc.returncode in (0, 3), _stderr(proc)[-2000:]
        if proc.returncode == 3:
            assert "worker process died" in _stderr(proc) and "rerun the same command" in _stderr(proc)
    done = subprocess.run(
        [sys.executable, "-m", "corpus.cli", "build", *paths, "-c", str(config), "-o", str(out)],
        env=env_with_path(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    _check_finished(out, expected, {})


RAISING = """
import os, sys
from corpus.core import writers
# in the pool's forkserver too: it preloads __main__
_write = writers.FateWriter.write
def write(self, document, rank=0, **kw):
    if document.id == os.environ["FAULT_ID"]:
        raise RuntimeError("injected fault")
    return _write(self, document, rank, **kw)
writers.FateWriter.write = write
if __name__ == "__main__":
    from corpus.cli import main
    sys.argv[0] = "corpus"
    main()
"""


@pytest.mark.parametrize("seed", range(TRIALS))
def test_exception_in_one_shards_task_then_rerun(tmp_path, shards, seed):
    paths, config, expected = shards
    rng = random.Random(seed)
    shard = rng.randrange(len(paths))
    fault = rng.choice(
        sorted(r[0] for rows in expected.values() for r in rows if r[0].startswith(f"shard-{shard}.warc.gz#"))
    )
    (tmp_path / "raising.py").write_text(RAISING)
    out = tmp_path / "out"
    cmd = ["build", *paths, "-c", str(config), "-o", str(out)]
    first = subprocess.run(
        [sys.executable, str(tmp_path / "raising.py"), *cmd],
        capture_output=True,
        text=True,
        env={**env_with_path(), "FAULT_ID": fault},
    )
    assert first.returncode == 3, first.stderr[-2000:]
    assert "1 of 4 tasks did not complete" in first.stderr and "RuntimeError: injected fault" in first.stderr
    done_before = _completions(out)
    assert len(done_before) == 3  # the other shards' tasks ran to the end
    done = subprocess.run(
        [sys.executable, "-m", "corpus.cli", *cmd], env=env_with_path(), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    _check_finished(out, expected, done_before)


def _mount_tmpfs(path, size):
    path.mkdir(exist_ok=True)
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True, text=True
    )
    if r.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({r.stderr.strip() or 'not root'})")


def test_full_disk_gives_a_clear_error_and_resumes(tmp_path, shards):
    paths, config, expected = shards
    disk = tmp_path / "disk"
    _mount_tmpfs(disk, "1m")  # about a fifth of what the build writes
    try:
        cmd = [sys.executable, "-m", "corpus.cli", "build", *paths, "-c", str(config), "-o", str(disk / "out")]
        full = subprocess.run(cmd, env=env_with_path(), capture_output=True, text=True)
        assert full.returncode == 3, full.stderr[-2000:]
        assert "No space left on device" in full.stderr and "rerun the same command" in full.stderr
        assert "Traceback" not in full.stderr
        before = _completions(disk / "out")
        subprocess.run(["mount", "-o", "remount,size=64m", str(disk)], check=True)  # space freed
        done = subprocess.run(cmd, env=env_with_path(), capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-2000:]
        _check_finished(disk / "out", expected, before)
    finally:
        subprocess.run(["umount", "-l", str(disk)])
