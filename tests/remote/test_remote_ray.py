"""A default build on the two-node Ray cluster (tests/scale/conftest.py) with its inputs and its output in the
bucket: the rows of the local build, every column but source_file (the object's URL there). The nodes and the
build share no mirror (each node has a CORPUS_CACHE of its own): only the bucket carries one node's outputs to
the others and to the build. Below it, without Ray, what a task on another node changes (a stale output
deleted, a new one written) reaches the bucket and the build's mirror, and a node's mirror from an earlier run is
not trusted."""

import glob
import json
import os
import re
import subprocess
import sys

import pytest

from corpus.core.layout import Layout
from corpus.core.remote import delete, remote_files
from corpus.core.remote_out import RemoteOutput
from corpus.core.sql import connect
from tests.scale.test_ray_nodes import build_losing_a_node, corpus_build, ray_executor


def _rows_without_source(out: str) -> dict[str, list[tuple]]:
    con = connect(out)
    cols = [c for (c, *_) in con.execute("describe kept").fetchall() if c != "source_file"]
    sel = ", ".join(f'"{c}"' for c in cols)
    return {f: con.execute(f"select {sel} from {f} order by id").fetchall() for f in ("kept", "dropped", "failed")}


@pytest.mark.ray
@pytest.mark.slow
@pytest.mark.timeout(900)
def test_default_build_on_two_nodes_from_and_into_a_bucket_gives_the_local_rows(
    s3_server, ray_nodes, shards, tmp_path, monkeypatch
):
    bucket = s3_server.bucket("nodes")
    for s in shards:
        s3_server.upload(s, f"{bucket}/crawl/{os.path.basename(s)}")
    local = tmp_path / "local"
    env = {**os.environ, **ray_nodes.env, "CORPUS_CACHE": str(tmp_path / "cache")}
    # the nodes were started without the bucket's credentials: they travel in the config, as on a cluster whose
    # nodes have no environment of the driver's
    (tmp_path / "ray.yaml").write_text(ray_executor(ray_nodes) + f"storage: {json.dumps(s3_server.storage)}\n")
    (tmp_path / "local.yaml").write_text("executor: {workers: 2}\n")
    runs = {str(local): (shards, "local.yaml"), f"{bucket}/out": ([f"{bucket}/crawl/"], "ray.yaml")}
    for out, (inputs, config) in runs.items():
        cmd = [sys.executable, "-m", "corpus.cli", "build", *inputs, "-c", str(tmp_path / config), "-o", out]
        r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stderr[-3000:]
    from corpus.core.remote import mirror_dir, readable

    for name in ("head", "worker"):  # the actors' mirrors on the nodes are gone with the build
        monkeypatch.setenv("CORPUS_CACHE", ray_nodes.cache(name))
        assert os.path.isdir(ray_nodes.cache(name)) and not glob.glob(f"{mirror_dir(f'{bucket}/out')}.*")
    for k, v in {**s3_server.env, "CORPUS_CACHE": str(tmp_path / "cache")}.items():
        monkeypatch.setenv(k, v)
    copy = readable(f"{bucket}/out")
    assert _rows_without_source(copy) == _rows_without_source(str(local))
    assert {u for (u,) in connect(copy).execute("select distinct source_file from docs").fetchall()} == {
        f"{bucket}/crawl/{os.path.basename(s)}" for s in shards
    }


def _write(path: str, text: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as f:
        return f.read()


@pytest.mark.timeout(120)
def test_a_task_on_another_node_changes_the_bucket_and_the_build_takes_it(s3_server, tmp_path, monkeypatch):
    url = f"{s3_server.bucket('node')}/out"
    monkeypatch.setenv("CORPUS_CACHE", str(tmp_path / "build"))
    out = RemoteOutput(url, s3_server.storage)
    out.prepare(overwrite=False)
    Layout(out.local).ensure()
    stale, new, done = (
        os.path.join("work", "seg00", "00001.parquet"),
        os.path.join("work", "seg01-minhash", "docs", "00002.parquet"),
        "logs/c/00002",
    )
    _write(os.path.join(out.local, stale), "left by a killed task")
    unread = os.path.join("kept", "00000.parquet")  # a fate file: written by tasks, read by none
    _write(os.path.join(out.local, unread), "rows")
    out.push()
    mirror = out.for_tasks(os.path.join(out.local, "logs", "seg01"))

    monkeypatch.setenv("CORPUS_CACHE", str(tmp_path / "node"))  # another machine's cache
    here = mirror.fill(0)
    assert here != out.local and _read(os.path.join(here, stale)) == "left by a killed task"
    assert not os.path.exists(os.path.join(here, unread))  # only what the segment's tasks read is copied
    before = mirror.listing(here)
    os.remove(os.path.join(here, stale))  # what the task's rerun does first
    _write(os.path.join(here, new), "output")
    _write(os.path.join(here, done), "")
    change = mirror.send(here, before)
    assert set(change["sent"]) == {"work/seg01-minhash/docs/00002.parquet", "logs/c/00002"} and change["gone"] == [
        "work/seg00/00001.parquet"
    ]

    monkeypatch.setenv("CORPUS_CACHE", str(tmp_path / "build"))
    out.take([change])
    assert not os.path.exists(os.path.join(out.local, stale)) and _read(os.path.join(out.local, new)) == "output"
    assert out.push() == 0  # nothing to copy again, and nothing the node wrote deleted
    objects = remote_files(url, s3_server.storage)
    assert (
        "work/seg01-minhash/docs/00002.parquet" in objects
        and "logs/c/00002" in objects
        and "work/seg00/00001.parquet" not in objects
    )
    delete(url, s3_server.storage, ["kept/never-there"])  # a file a task deletes may never have been sent

    monkeypatch.setenv("CORPUS_CACHE", str(tmp_path / "node"))
    later = out.for_tasks(os.path.join(out.local, "logs", "seg03"))  # a later segment reads neither file
    assert later.fill(0) == here and not os.path.exists(os.path.join(here, new))
    assert os.path.exists(os.path.join(here, done))
    monkeypatch.setenv("CORPUS_CACHE", str(tmp_path / "build"))

    _write(os.path.join(out.local, new), "rewritten by a later run on another node")
    out.push()
    monkeypatch.setenv("CORPUS_CACHE", str(tmp_path / "node"))
    rerun = RemoteOutput(url, s3_server.storage).for_tasks(mirror.pipeline)  # a new run: the mirror is refilled
    assert _read(os.path.join(rerun.fill(0), new)) == "rewritten by a later run on another node"


@pytest.mark.ray
@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_worker_node_lost_mid_build_into_a_bucket_then_the_rerun_gives_the_local_rows(
    s3_server, ray_nodes, shards, tmp_path, monkeypatch
):
    """The node-loss test of tests/scale with the output in the bucket and a cache per node: the rerun, on a node
    that never saw the build, resumes from what the bucket holds."""
    bucket, cache = s3_server.bucket("lost"), str(tmp_path / "cache")
    for s in shards:
        s3_server.upload(s, f"{bucket}/crawl/{os.path.basename(s)}")
    local = tmp_path / "local"
    local_run = corpus_build(shards, local, "executor: {workers: 2}\n", {**os.environ, **ray_nodes.env})
    assert local_run.returncode == 0, local_run.stderr[-3000:]
    config = ray_executor(ray_nodes) + f"storage: {json.dumps(s3_server.storage)}\n"
    (tmp_path / "ray.yaml").write_text(config)
    cmd = [sys.executable, "-m", "corpus.cli", "build", f"{bucket}/crawl/", "-c", str(tmp_path / "ray.yaml")]
    cmd += ["-o", f"{bucket}/out"]
    env = {**os.environ, **ray_nodes.env, "CORPUS_CACHE": cache}
    node, line = build_losing_a_node(cmd, env, ray_nodes, tmp_path)
    assert re.search(rf"tasks did not complete; task \d: .*Ray node .*{node}", line), line
    ray_nodes.start("worker2")  # a new node, with a cache of its own, takes the lost one's place
    rerun = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    for k, v in {**s3_server.env, "CORPUS_CACHE": str(tmp_path / "reader")}.items():
        monkeypatch.setenv(k, v)
    from corpus.core.remote import readable

    assert _rows_without_source(readable(f"{bucket}/out")) == _rows_without_source(str(local))
