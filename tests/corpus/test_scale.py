"""Ray end to end on the shared shards split into many small files: the same rows and dedup clusters
as a local run."""

import contextlib
import os
import threading
import time

import pytest

from evalsets.warcs import count_records, split_warcs
from corpus.build import build
from corpus.demo import write_demo_warc
from corpus.core.executors import IncompleteRun
from corpus.core.sql import connect
from tests.corpus.helpers import all_rows, make_config

STAGES = ["lang_id", "dedup_minhash"]


def split_shards(shared_data, out_dir, n=8):
    """Two shards (zh-news twice, so dedup has clusters to find) dealt into n files."""
    zh, multi = (str(shared_data / "warc" / f) for f in ("zh-news-00.warc.gz", "multi-cache-00.warc.gz"))
    return split_warcs([zh, multi, zh], n, str(out_dir))


def test_split_keeps_every_record_in_order(tmp_path, shared_data):
    src = str(shared_data / "warc" / "zh-news-00.warc.gz")
    parts = split_warcs([src], 5, str(tmp_path))
    assert len(parts) == 5 and sum(count_records(p) for p in parts) == count_records(src)
    assert b"".join(open(p, "rb").read() for p in parts) == open(src, "rb").read()


@pytest.mark.realdata
def test_ray_on_many_small_files_matches_local(tmp_path, shared_data, ray_session):
    files = split_shards(shared_data, tmp_path / "in")
    local = build(make_config(files, tmp_path / "local", stages=STAGES, executor={"workers": 2}))
    ray = build(
        make_config(
            files,
            tmp_path / "ray",
            stages=STAGES,
            executor={"kind": "ray", "workers": 2, "ray": {"init": {"num_cpus": 2}}},
        )
    )
    assert local.exit_code == ray.exit_code == 0
    assert len(ray.shards) == 8 and all(s["balanced"] for s in ray.shards.values())
    assert all_rows(tmp_path / "ray") == all_rows(tmp_path / "local")  # every column, text included
    clusters = """select dedup_cluster_id, count(*) as n, string_agg(id, ',' order by id) as ids,
                  string_agg(fate, ',' order by id) from docs where dedup_cluster_id is not null
                  group by 1 having n > 1 order by 1"""
    found = connect(str(tmp_path / "ray")).execute(clusters).fetchall()
    assert found == connect(str(tmp_path / "local")).execute(clusters).fetchall()
    assert len(found) >= 30  # the repeated shard's pages are found again


def _kill_first_running_actor(stop: threading.Event, killed: list) -> None:
    """SIGKILL the first Ray actor process seen running a task (its process title names the method)."""
    import psutil

    while not stop.is_set() and not killed:
        for p in psutil.process_iter(["cmdline"]):
            if any("_TaskActor.run" in part for part in p.info["cmdline"] or ()):
                with contextlib.suppress(psutil.Error):
                    p.kill()
                    killed.append(p.pid)
                break
        time.sleep(0.002)


@pytest.mark.faults
def test_ray_actor_killed_ends_the_build_then_the_rerun_matches_local(tmp_path, ray_session):
    one = write_demo_warc(str(tmp_path / "one.warc.gz"))
    files = []
    for s in range(4):
        files.append(tmp_path / f"shard-{s}.warc.gz")
        files[-1].write_bytes(open(one, "rb").read() * 4)  # gzip members concatenate into one valid WARC
    os.remove(one)
    stages = ["lang_id", "dedup_exact"]
    local = build(make_config(files, tmp_path / "local", stages=stages, executor={"workers": 2}))
    ray_cfg = make_config(
        files, tmp_path / "ray", stages=stages, executor={"kind": "ray", "workers": 2, "ray": {"init": {"num_cpus": 2}}}
    )
    stop, killed = threading.Event(), []
    killer = threading.Thread(target=_kill_first_running_actor, args=(stop, killed))
    killer.start()
    try:
        with pytest.raises(IncompleteRun, match="worker process died.*rerun the same command"):
            build(ray_cfg)
    finally:
        stop.set()
        killer.join()
    assert killed
    assert local.exit_code == build(ray_cfg).exit_code == 0  # a new actor replaces the dead one
    assert all_rows(tmp_path / "ray") == all_rows(tmp_path / "local")
