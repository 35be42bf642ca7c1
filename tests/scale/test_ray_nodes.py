"""Builds on a Ray cluster of two nodes on this machine (tests/scale/conftest.py): the same rows as a local
build; a worker node lost mid-build ends the build with exit 3 and a line naming the lost task and node, and
the rerun (on a new worker node) finishes with the same rows; executor.task_timeout_s stops a task that hangs,
locally and on Ray, and the rerun resumes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from corpus.demo import write_demo_warc
from tests.corpus.helpers import all_rows, env_with_path

pytestmark = [pytest.mark.ray, pytest.mark.slow]

SHARDS = 4

# `corpus` with one more stage, `hang`: a pass-through whose task of rank HANG_RANK sleeps for an hour. Its
# step class lives in __main__, so it travels by value to the local pool (dill; the forkserver preloads
# __main__) and to Ray actors (cloudpickle), where no plugin module could be imported.
HANGING = """
import os, sys
from datatrove.pipeline.base import PipelineStep
from corpus import stages
from corpus.core.steps import Stage

class Hang(PipelineStep):
    name = "hang"

    def __init__(self, hang_rank):
        super().__init__()
        self.hang_rank = hang_rank

    def run(self, data, rank=0, world_size=1):
        import time  # the class travels by value, without this module's globals

        for document in data:
            if rank == self.hang_rank:
                time.sleep(3600)
            yield document

stages.register(Stage("hang", lambda cfg, ctx: [Hang(int(os.environ.get("HANG_RANK", "-1")))]))
if __name__ == "__main__":
    from corpus.cli import main
    sys.argv[0] = "corpus"
    main()
"""


@pytest.fixture(scope="module")
def shards(tmp_path_factory) -> list[str]:
    """The demo pages four times over in each of four shards: both nodes get tasks, dedup finds copies."""
    d = tmp_path_factory.mktemp("shards")
    one = Path(write_demo_warc(str(d / "one.warc.gz"))).read_bytes()
    paths = []
    for s in range(SHARDS):
        paths.append(d / f"shard-{s}.warc.gz")
        paths[-1].write_bytes(one * 4)  # gzip members concatenate into one valid WARC
    os.remove(d / "one.warc.gz")
    return [str(p) for p in paths]


def ray_executor(nodes) -> str:
    return f'executor: {{kind: ray, workers: 2, ray: {{init: {{address: "{nodes.address}"}}}}}}\n'


def corpus_build(inputs, out: Path, config: str, env: dict, script: str | None = None, timeout: float = 600):
    """`corpus build INPUTS -c CONFIG -o OUT` in a subprocess (or `python SCRIPT build ...`)."""
    (out.parent / f"{out.name}.yaml").write_text(config)
    head = [script] if script else ["-m", "corpus.cli"]
    cmd = [sys.executable, *head, "build", *inputs, "-c", str(out.parent / f"{out.name}.yaml"), "-o", str(out)]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)


def incomplete_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("incomplete:")]
    assert len(lines) == 1, stderr[-3000:]
    return lines[0]


@pytest.fixture(scope="module")
def local_rows(shards, tmp_path_factory, demo_models):
    out = tmp_path_factory.mktemp("local") / "out"
    r = corpus_build(shards, out, "executor: {workers: 2}\n", env_with_path())
    assert r.returncode == 0, r.stderr[-3000:]
    return all_rows(out)


@pytest.mark.timeout(900)
def test_default_build_on_two_nodes_gives_the_local_rows(tmp_path, shards, local_rows, ray_nodes):
    r = corpus_build(shards, tmp_path / "out", ray_executor(ray_nodes), ray_nodes.env)
    assert r.returncode == 0, r.stderr[-3000:]
    assert all_rows(tmp_path / "out") == local_rows  # every kept, dropped and failed row, every column
    assert sum(len(rows) for rows in local_rows.values()) == SHARDS * 4 * 19


@pytest.mark.timeout(900)
def test_task_timeout_stops_a_hanging_task_then_the_rerun_completes(tmp_path, shards, ray_nodes):
    (tmp_path / "hanging.py").write_text(HANGING)
    script, limit = str(tmp_path / "hanging.py"), 15
    stages = "stages: [lang_id, hang]\n"
    clean = corpus_build(shards, tmp_path / "clean", stages + "executor: {workers: 2}\n", env_with_path(), script)
    assert clean.returncode == 0, clean.stderr[-3000:]
    executors = {
        "local": ("executor: {workers: 2, task_timeout_s: %d}\n" % limit, env_with_path()),
        "ray": (ray_executor(ray_nodes).replace("workers: 2", f"workers: 2, task_timeout_s: {limit}"), ray_nodes.env),
    }
    for kind, (executor, env) in executors.items():
        out = tmp_path / kind
        started = time.monotonic()
        hung = corpus_build(shards, out, stages + executor, {**env, "HANG_RANK": "2"}, script, timeout=300)
        assert hung.returncode == 3, (kind, hung.stderr[-3000:])
        line = incomplete_line(hung.stderr)
        assert f"1 of {SHARDS} tasks did not complete; task 2: exceeded executor.task_timeout_s={limit} s" in line
        assert time.monotonic() - started < 120, kind  # stopped at the limit, not at the end of the sleep
        assert sorted(os.listdir(out / "logs" / "seg00" / "completions")) == ["00000", "00001", "00003"], kind
        rerun = corpus_build(shards, out, stages + executor, env, script)
        assert rerun.returncode == 0, (kind, rerun.stderr[-3000:])
        assert all_rows(out) == all_rows(tmp_path / "clean"), kind


def _kill_node_mid_task(nodes, name: str, timeout: float = 300) -> str:
    """SIGKILL the node (its raylet first) as soon as its actor runs a task; its id."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if nodes.busy_actor(name) is not None:
            node = nodes.node_id(name)
            nodes.kill_node(name)
            return node
        time.sleep(0.01)
    raise AssertionError(f"no task ran on node {name}")


def build_losing_a_node(cmd: list[str], env: dict, nodes, tmp_path: Path) -> tuple[str, str]:
    """Runs the build command, kills the worker node as soon as it runs a task, checks the build ends with exit
    3; (the lost node's id, the build's `incomplete:` line)."""
    err = open(tmp_path / "stderr.txt", "w+")  # a file: a pipe nobody reads could stall the build
    build = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=err)
    try:
        node = _kill_node_mid_task(nodes, "worker")
        assert build.wait(timeout=600) == 3
    finally:
        build.kill()
    err.seek(0)
    return node, incomplete_line(err.read())


@pytest.mark.timeout(1200)
def test_worker_node_lost_mid_build_then_the_rerun_gives_the_local_rows(tmp_path, shards, local_rows, ray_nodes):
    out, config = tmp_path / "out", ray_executor(ray_nodes)
    (tmp_path / "out.yaml").write_text(config)
    cmd = [sys.executable, "-m", "corpus.cli", "build", *shards, "-c", str(tmp_path / "out.yaml"), "-o", str(out)]
    node, line = build_losing_a_node(cmd, ray_nodes.env, ray_nodes, tmp_path)
    assert re.search(rf"1 of {SHARDS} tasks did not complete; task \d: .*Ray node .*{node}", line), line
    assert "rerun the same command" in line
    ray_nodes.start("worker2")  # a new node takes the lost one's place
    rerun = corpus_build(shards, out, config, ray_nodes.env)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert all_rows(out) == local_rows
