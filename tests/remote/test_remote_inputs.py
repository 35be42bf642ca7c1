"""Inputs in object storage: `corpus build s3://bucket/crawl/ -o OUT` against a real S3 server (SeaweedFS,
tests/remote/conftest.py) reads what the same build reads from local files; globs over a bucket pick the
right objects; an endpoint that cannot be reached or wrong credentials end in one line, exit 2, OUT untouched."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from corpus.core.readers import resolve_inputs
from corpus.core.sql import connect
from tests.clirun import corpus

SPINE = "url_filter,lang_id"


def _config(tmp_path: Path, storage: dict, name: str = "storage.yaml") -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump({"storage": storage}))
    return str(path)


def _fates(out: Path) -> dict[str, tuple[str, str | None]]:
    """id -> (fate, reason) over the kept, dropped and failed tables."""
    con = connect(str(out))
    rows = {}
    for fate in ("kept", "dropped", "failed"):
        for doc_id, reason in con.execute(
            f"select id, {'null' if fate == 'kept' else 'reason'} from {fate}"
        ).fetchall():
            assert doc_id not in rows, f"{doc_id} in two tables"
            rows[doc_id] = (fate, reason)
    return rows


def _sources(out: Path) -> set[str]:
    con = connect(str(out))
    return {
        r[0]
        for fate in ("kept", "dropped", "failed")
        for r in con.execute(f"select distinct source_file from {fate}").fetchall()
    }


def _upload_warcs(s3_server, shared_data: Path, prefix: str) -> list[Path]:
    warcs = sorted((shared_data / "warc").glob("*.warc.gz"))
    assert warcs, f"no WARC shards in {shared_data / 'warc'}"
    for w in warcs:
        s3_server.upload(w, f"{prefix}/{w.name}")
    return warcs


@pytest.mark.timeout(300)
def test_a_build_from_a_bucket_matches_the_build_from_local_files(s3_server, shared_data, tmp_path):
    bucket = s3_server.bucket("crawl")
    warcs = _upload_warcs(s3_server, shared_data, f"{bucket}/crawl")
    local_in = tmp_path / "crawl"
    local_in.mkdir()
    for w in warcs:
        os.symlink(w, local_in / w.name)

    here, there = tmp_path / "local-out", tmp_path / "remote-out"
    common = ["--workers", "2", "--stages", SPINE]
    r = corpus("build", str(local_in), "-o", str(here), *common)
    assert r.returncode == 0, r.stderr
    # credentials and endpoint from the config's storage: key alone (no AWS_* in the environment)
    unset = {k: None for k in s3_server.env}
    r = corpus(
        "build", f"{bucket}/crawl/", "-o", str(there), "-c", _config(tmp_path, s3_server.storage), *common, env=unset
    )
    assert r.returncode == 0, r.stderr

    local, remote = _fates(here), _fates(there)
    assert local, "the local build kept, dropped or failed nothing"
    assert remote == local
    assert {"kept", "dropped"} <= {fate for fate, _ in remote.values()}
    # source_file: the object's full URL, where the local build has the file's path
    assert _sources(there) == {f"{bucket}/crawl/{w.name}" for w in warcs}
    assert {os.path.basename(s) for s in _sources(here)} == {w.name for w in warcs}


@pytest.mark.timeout(120)
def test_globs_and_prefixes_over_a_bucket_pick_the_right_objects(s3_server, demo_warc):
    bucket = s3_server.bucket("globs")
    for key in ("crawl/a.warc.gz", "crawl/b.warc.gz", "crawl/deeper/c.warc.gz", "other/d.warc.gz"):
        s3_server.upload(demo_warc, f"{bucket}/{key}")
    s3_server.upload(__file__, f"{bucket}/crawl/readme.txt")
    storage = s3_server.storage

    def files(*inputs, **kw):
        return resolve_inputs(tuple(inputs), storage=storage, **kw)

    assert files(f"{bucket}/crawl/*.warc.gz") == ([f"{bucket}/crawl/a.warc.gz", f"{bucket}/crawl/b.warc.gz"], [])
    assert files(f"{bucket}/crawl/**/*.warc.gz")[0] == [
        f"{bucket}/crawl/a.warc.gz",
        f"{bucket}/crawl/b.warc.gz",
        f"{bucket}/crawl/deeper/c.warc.gz",
    ]
    # a prefix is a directory: every object of a known format under it, not the readme beside the shards
    for prefix in (f"{bucket}/crawl", f"{bucket}/crawl/"):
        assert files(prefix)[0] == [f"{bucket}/crawl/{k}" for k in ("a.warc.gz", "b.warc.gz", "deeper/c.warc.gz")]
    assert files(f"{bucket}/crawl/", pattern="*")[0] == [f"{bucket}/crawl/a.warc.gz", f"{bucket}/crawl/b.warc.gz"]
    # one object, twice, with a local file beside it
    assert files(f"{bucket}/other/d.warc.gz", f"{bucket}/other/d.warc.gz", demo_warc) == (
        sorted([os.path.realpath(demo_warc), f"{bucket}/other/d.warc.gz"]),
        [],
    )
    # what is not there is a missing input, as a local path is
    missing = (
        f"{bucket}/crawl/*.wet.gz",
        f"{bucket}/nothing/",
        f"{bucket}/crawl/z.warc.gz",
        "s3://no-such-bucket-x1/a",
    )
    assert files(*missing) == ([], list(missing))


@pytest.mark.timeout(300)
def test_a_glob_over_a_bucket_builds_with_credentials_from_the_environment(s3_server, demo_warc, tmp_path):
    bucket = s3_server.bucket("envcreds")
    for key in ("crawl/a.warc.gz", "crawl/b.warc.gz", "crawl/skip/c.warc.gz"):
        s3_server.upload(demo_warc, f"{bucket}/{key}")
    out = tmp_path / "out"
    r = corpus("build", f"{bucket}/crawl/*.warc.gz", "-o", str(out), "--stages", SPINE, env=s3_server.env)
    assert r.returncode == 0, r.stderr
    assert _sources(out) == {f"{bucket}/crawl/a.warc.gz", f"{bucket}/crawl/b.warc.gz"}
    ids = set(_fates(out))
    assert len(ids) == 2 * 19 and {i.split("#")[0] for i in ids} == {"a.warc.gz", "b.warc.gz"}
    # an object and a local file in one build: no folder holds both; each keeps its own name
    mixed = tmp_path / "mixed"
    r = corpus("build", f"{bucket}/crawl/a.warc.gz", demo_warc, "-o", str(mixed), "--stages", SPINE, env=s3_server.env)
    assert r.returncode == 0, r.stderr
    assert _sources(mixed) == {f"{bucket}/crawl/a.warc.gz", os.path.realpath(demo_warc)}
    assert len(_fates(mixed)) == 2 * 19


def _assert_one_line_exit_2(r, url: str, cause: str, out: Path) -> None:
    assert r.returncode == 2, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("error: ") and url in lines[0] and cause in lines[0], lines[0]
    assert "Traceback" not in r.stderr + r.stdout
    assert not out.exists(), f"{out} was written: {sorted(os.listdir(out))}"


@pytest.mark.timeout(180)
def test_an_endpoint_that_does_not_answer_ends_in_one_line(s3_server, tmp_path):
    from tests.remote.conftest import free_ports

    bucket = s3_server.bucket("closed")
    closed = f"http://127.0.0.1:{free_ports(1)[0]}"  # nothing listens there
    storage = {"s3": {**s3_server.storage["s3"], "endpoint_url": closed}}
    out = tmp_path / "out"
    url = f"{bucket}/crawl/"
    r = corpus("build", url, "-o", str(out), "-c", _config(tmp_path, storage), "--stages", SPINE)
    _assert_one_line_exit_2(r, url, "endpoint cannot be reached", out)


@pytest.mark.timeout(180)
@pytest.mark.parametrize("side", ["input", "output"])
def test_a_hub_that_does_not_answer_ends_in_one_line_naming_hf_endpoint(tmp_path, demo_warc, side):
    """hf:// goes through the same fsspec path (huggingface_hub's file system); no Hub is reachable here, so only
    the failure is checked: one line naming the Hub's own setting, exit 2, nothing written."""
    from tests.remote.conftest import free_ports

    storage = {"hf": {"endpoint": f"http://127.0.0.1:{free_ports(1)[0]}"}}  # nothing listens there
    url = "hf://datasets/someone/crawl/" + ("warc/" if side == "input" else "out")
    cache = tmp_path / "cache"  # where the mirror of a remote OUT would go
    out = tmp_path / "out" if side == "input" else cache
    args = [url, "-o", str(out)] if side == "input" else [demo_warc, "-o", url]
    r = corpus("build", *args, "-c", _config(tmp_path, storage), "--stages", SPINE, env={"CORPUS_CACHE": str(cache)})
    _assert_one_line_exit_2(r, url, "endpoint cannot be reached (check HF_ENDPOINT or storage.hf.endpoint)", out)


@pytest.mark.timeout(180)
@pytest.mark.parametrize("secret", ["wrong-secret", None], ids=["wrong-secret", "no-credentials"])
def test_wrong_or_missing_credentials_end_in_one_line(s3_server, tmp_path, secret):
    bucket = s3_server.bucket("denied")
    s3_server.upload(__file__, f"{bucket}/crawl/a.jsonl")
    options = {"endpoint_url": s3_server.endpoint}
    if secret:
        options.update(key=s3_server.key, secret=secret)
    # no credentials anywhere else: none in the environment, no ~/.aws
    env = {k: None for k in s3_server.env} | {
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    out = tmp_path / "out"
    url = f"{bucket}/crawl/"
    r = corpus("build", url, "-o", str(out), "-c", _config(tmp_path, {"s3": options}), "--stages", SPINE, env=env)
    _assert_one_line_exit_2(r, url, "credentials", out)


def _write_rows(tmp_path: Path) -> list[Path]:
    import gzip
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [
        {
            "text": "The committee met on Tuesday to review the budget for the coming year and approved it.",
            "url": "https://a.example/1",
        },
        {"text": "委员会星期二开会审议了来年的预算，并一致通过了这份预算方案。", "url": "https://b.example/2"},
        {"text": "short", "url": "https://c.example/3"},
        {"body": "no text field in this row"},
    ]
    jsonl, parquet = tmp_path / "rows.jsonl.gz", tmp_path / "rows.parquet"
    with gzip.open(jsonl, "wt", encoding="utf-8") as f:
        f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    pq.write_table(pa.Table.from_pylist(rows[:3]), parquet)
    return [jsonl, parquet]


@pytest.mark.timeout(300)
def test_jsonl_and_parquet_objects_read_as_the_local_files(s3_server, tmp_path):
    bucket = s3_server.bucket("rows")
    local_in = tmp_path / "rows"
    local_in.mkdir()
    for f in _write_rows(local_in):
        s3_server.upload(f, f"{bucket}/rows/{f.name}")
    here, there = tmp_path / "local-out", tmp_path / "remote-out"
    assert corpus("build", str(local_in), "-o", str(here), "--stages", SPINE).returncode == 0
    r = corpus("build", f"{bucket}/rows/", "-o", str(there), "--stages", SPINE, env=s3_server.env)
    assert r.returncode == 0, r.stderr
    assert _fates(there) == _fates(here) and len(_fates(there)) == 7
    assert _sources(there) == {f"{bucket}/rows/rows.jsonl.gz", f"{bucket}/rows/rows.parquet"}
    # input.text_field is checked against the objects' first records, as against local files'
    r = corpus(
        "build", f"{bucket}/rows/", "-o", str(tmp_path / "o3"), "--set", "input.text_field=content", env=s3_server.env
    )
    assert r.returncode == 2 and "input.text_field" in r.stderr and "'content'" in r.stderr, r.stderr
