"""A build whose output is a bucket prefix (corpus/core/remote_out.py): the same rows as a local build, a rerun
from the bucket alone after a kill, --overwrite that touches only a build, and the read-only commands on it."""

import os
import signal
import subprocess
import sys
import time

import pytest

from corpus.core.sql import connect
from tests.clirun import corpus

SPINE = "stages: [url_filter, lang_id]\n"
# five pipelines (the dedup stages each end one), no models: a kill lands between two of them
SEGMENTED = "stages: [url_filter, lang_id, gopher_quality, dedup_paragraph, dedup_minhash, dedup_exact]\n"


def _rows(out: str) -> set[tuple]:
    con = connect(out)
    return set(con.execute("select id, fate, stage, reason from docs").fetchall())


@pytest.fixture
def env(s3_server, tmp_path):
    """The server's credentials in the environment, and a cache of our own (the local mirror lives there)."""
    return {**s3_server.env, "CORPUS_CACHE": str(tmp_path / "cache")}


@pytest.fixture(scope="module")
def local_build(demo_warc, tmp_path_factory):
    d = tmp_path_factory.mktemp("local")
    (d / "c.yaml").write_text(SPINE)
    r = corpus("build", demo_warc, "-c", d / "c.yaml", "-o", d / "out")
    assert r.returncode == 0, r.stderr
    return str(d / "out")


def _objects(s3_server, url: str) -> set[str]:
    base = url.removeprefix("s3://").rstrip("/") + "/"
    return {k[len(base) :] for k in s3_server.fs().find(base)}


@pytest.mark.timeout(300)
def test_a_build_into_a_bucket_holds_the_rows_of_a_local_build_and_reads_back(
    s3_server, env, demo_warc, local_build, tmp_path
):
    (tmp_path / "c.yaml").write_text(SPINE)
    out = s3_server.bucket("out") + "/builds/demo"
    r = corpus("build", demo_warc, "-c", tmp_path / "c.yaml", "-o", out, env=env)
    assert r.returncode == 0, r.stderr
    objects = _objects(s3_server, out)
    assert {"corpus-output.json", "manifest.json", "funnel.json", "build-config.json"} <= objects
    assert any(o.startswith("kept/") for o in objects) and not any(o.startswith("work/") for o in objects)
    assert not any(o.endswith(("build.lock", ".pushed.json")) for o in objects)  # the mirror's, never an object
    # read back by the commands that read a build, from a copy of the bucket (a new cache: nothing local)
    fresh = {**env, "CORPUS_CACHE": str(tmp_path / "other-cache")}
    got = corpus("sql", out, "select count(*) as n from kept", "--format", "csv", env=fresh)
    assert got.returncode == 0, got.stderr
    assert got.stdout.split() == ["n", str(len(connect(local_build).execute("select id from kept").fetchall()))]
    tok = corpus("tokenizer", "train", out + "/kept", "-o", tmp_path / "tok", "--vocab-size", "1200", env=fresh)
    assert tok.returncode == 0 and "trained on" in tok.stdout, tok.stderr
    page = corpus("report", out, "-o", tmp_path / "r.html", env=fresh)
    assert page.returncode == 0 and (tmp_path / "r.html").stat().st_size > 10_000, page.stderr
    assert corpus("report", out, "-o", out + "/r.html", env=fresh).returncode == 2  # nothing written there
    from corpus.core.remote import readable

    os.environ.update(fresh)
    try:
        assert _rows(readable(out)) == _rows(local_build)
    finally:
        for k in fresh:
            os.environ.pop(k, None)
    again = corpus("build", demo_warc, "-c", tmp_path / "c.yaml", "-o", out, env=env)  # finished: nothing reruns
    assert again.returncode == 0 and _objects(s3_server, out) == objects


@pytest.mark.timeout(300)
def test_overwrite_touches_only_a_build_and_only_its_entries(s3_server, env, demo_warc, tmp_path):
    (tmp_path / "c.yaml").write_text(SPINE)
    bucket = s3_server.bucket("ow")
    s3_server.upload(demo_warc, f"{bucket}/mine/data.warc.gz")  # a prefix of the user's, no build in it
    for flags in ((), ("--overwrite",)):
        r = corpus("build", demo_warc, "-c", tmp_path / "c.yaml", "-o", f"{bucket}/mine", *flags, env=env)
        assert r.returncode == 2 and "holds no build" in r.stderr, r.stderr
    assert _objects(s3_server, f"{bucket}/mine") == {"data.warc.gz"}
    out = f"{bucket}/out"
    assert corpus("build", demo_warc, "-c", tmp_path / "c.yaml", "-o", out, env=env).returncode == 0
    s3_server.upload(demo_warc, f"{out}/notes/mine.warc.gz")  # the user's file beside a build stays
    r = corpus("build", demo_warc, "-c", tmp_path / "c.yaml", "-o", out, "--overwrite", env=env)
    assert r.returncode == 0, r.stderr
    assert "notes/mine.warc.gz" in _objects(s3_server, out) and "manifest.json" in _objects(s3_server, out)


@pytest.mark.timeout(600)
def test_a_build_killed_mid_way_resumes_from_the_bucket_alone(s3_server, env, demo_warc, tmp_path):
    """Killed once its first pipeline is in the bucket; the rerun starts from an empty cache (another
    machine: only the bucket has the earlier work) and ends with the rows of an uninterrupted build."""
    (tmp_path / "c.yaml").write_text(SEGMENTED)
    reference = corpus("build", demo_warc, "-c", tmp_path / "c.yaml", "-o", tmp_path / "local")
    assert reference.returncode == 0, reference.stderr
    out = s3_server.bucket("kill") + "/out"
    cmd = [sys.executable, "-m", "corpus.cli", "build", demo_warc, "-c", str(tmp_path / "c.yaml"), "-o", out]
    proc = subprocess.Popen(cmd, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    while proc.poll() is None and time.monotonic() < deadline:
        if any(o.startswith("logs/seg01") for o in _objects(s3_server, out)):
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.05)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "the build ended before its second pipeline reached the bucket"
    fresh = {**env, "CORPUS_CACHE": str(tmp_path / "elsewhere")}
    r = corpus("build", demo_warc, "-c", tmp_path / "c.yaml", "-o", out, env=fresh)
    assert r.returncode == 0, r.stderr
    assert "copied into" in r.stdout + r.stderr  # the rerun started from what the bucket held
    os.environ.update(fresh)
    try:
        from corpus.core.remote import readable

        assert _rows(readable(out)) == _rows(str(tmp_path / "local"))
    finally:
        for k in fresh:
            os.environ.pop(k, None)
