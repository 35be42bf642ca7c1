"""Ray end to end on the shared shards split into many small files: the same rows and dedup clusters
as a local run."""

import pytest

from benchmarks.warc_split import count_records, split_warcs
from corpus.build import build
from corpus.sql import connect
from tests.corpus.helpers import all_rows, make_config

STAGES = ["lang_id", "dedup_minhash"]


@pytest.fixture
def ray_cluster():
    ray = pytest.importorskip("ray")
    yield
    ray.shutdown()


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
def test_ray_on_many_small_files_matches_local(tmp_path, shared_data, ray_cluster):
    files = split_shards(shared_data, tmp_path / "in")
    local = build(make_config(files, tmp_path / "local", stages=STAGES, executor={"workers": 2}))
    ray = build(make_config(files, tmp_path / "ray", stages=STAGES,
                            executor={"kind": "ray", "workers": 2, "ray": {"init": {"num_cpus": 2}}}))
    assert local.exit_code == ray.exit_code == 0
    assert len(ray.shards) == 8 and all(s["balanced"] for s in ray.shards.values())
    assert all_rows(tmp_path / "ray") == all_rows(tmp_path / "local")  # every column, text included
    clusters = """select dedup_cluster_id, count(*) as n, string_agg(id, ',' order by id) as ids,
                  string_agg(fate, ',' order by id) from docs where dedup_cluster_id is not null
                  group by 1 having n > 1 order by 1"""
    found = connect(str(tmp_path / "ray")).execute(clusters).fetchall()
    assert found == connect(str(tmp_path / "local")).execute(clusters).fetchall()
    assert len(found) >= 30  # the repeated shard's pages are found again
