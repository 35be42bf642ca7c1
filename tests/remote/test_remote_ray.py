"""A default build on the two-node Ray cluster (tests/scale/conftest.py) with its inputs and its output in the
bucket: the rows of the local build, every column but source_file (the object's URL there)."""

import json
import os
import subprocess
import sys

import pytest

from corpus.core.sql import connect
from tests.scale.test_ray_nodes import ray_executor

pytestmark = [pytest.mark.ray, pytest.mark.slow]


def _rows_without_source(out: str) -> dict[str, list[tuple]]:
    con = connect(out)
    cols = [c for (c, *_) in con.execute("describe kept").fetchall() if c != "source_file"]
    sel = ", ".join(f'"{c}"' for c in cols)
    return {f: con.execute(f"select {sel} from {f} order by id").fetchall() for f in ("kept", "dropped", "failed")}


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
    from corpus.core.remote import readable

    for k, v in {**s3_server.env, "CORPUS_CACHE": str(tmp_path / "cache")}.items():
        monkeypatch.setenv(k, v)
    copy = readable(f"{bucket}/out")
    assert _rows_without_source(copy) == _rows_without_source(str(local))
    assert {u for (u,) in connect(copy).execute("select distinct source_file from docs").fetchall()} == {
        f"{bucket}/crawl/{os.path.basename(s)}" for s in shards
    }
