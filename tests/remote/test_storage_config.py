"""The config's `storage:` key (no server needed): protocol -> fsspec options, checked on load."""

from __future__ import annotations

import pytest
import yaml

from corpus.config import load_config
from corpus.core.clierrors import UsageError
from corpus.core.configlib import ConfigError
from corpus.core.remote import RemoteError, options_for
from tests.clirun import corpus


def test_storage_options_load_and_reach_fsspec(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({"storage": {"s3": {"endpoint_url": "http://127.0.0.1:9", "key": "k"}}}))
    cfg = load_config(str(path), inputs=("s3://b/crawl/",))
    assert cfg.storage == {"s3": {"endpoint_url": "http://127.0.0.1:9", "key": "k"}}
    assert options_for("s3://b/x", cfg.storage) == {"key": "k", "client_kwargs": {"endpoint_url": "http://127.0.0.1:9"}}
    assert load_config(None, inputs=("a",)).storage == {}


@pytest.mark.parametrize(
    "storage, key",
    [
        (["s3"], "storage"),
        ("s3", "storage"),
        ({"s3": "http://127.0.0.1:8333"}, "storage.s3"),
        ({"s3": None}, "storage.s3"),
        ({"S3": {}}, "storage.S3"),
        ({"s3://": {}}, "storage.s3://"),
    ],
)
def test_storage_that_is_not_a_mapping_of_mappings_is_refused(storage, key):
    with pytest.raises(ConfigError, match=f"'{key}'"):
        load_config(None, inputs=("a",), storage=storage)


def test_a_bad_storage_key_is_one_line_and_exit_2(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("storage: {s3: http://127.0.0.1:8333}\n")
    r = corpus("build", "s3://b/crawl/", "-o", str(tmp_path / "out"), "-c", str(path))
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "storage.s3" in r.stderr, r.stderr
    assert not (tmp_path / "out").exists()


def test_remote_errors_are_usage_errors():
    """Every command that catches UsageError reports a RemoteError in one line, exit 2 (corpus.core.clierrors)."""
    assert issubclass(RemoteError, UsageError) and issubclass(RemoteError, ValueError)


def test_storage_options_are_never_written_into_out_nor_part_of_the_same_config(demo_warc, tmp_path):
    """They say where the data is and may hold a secret: a build keeps neither in its config or manifest, and a
    rerun with other storage options resumes the same build."""
    spine = {"stages": ["url_filter", "lang_id"]}
    for i, secret in enumerate(("first-secret-123", "second-secret-456")):
        (tmp_path / "c.yaml").write_text(yaml.safe_dump({**spine, "storage": {"s3": {"secret": secret}}}))
        r = corpus("build", demo_warc, "-c", tmp_path / "c.yaml", "-o", tmp_path / "out")
        assert r.returncode == 0, r.stderr
        for name in ("build-config.json", "manifest.json"):
            text = (tmp_path / "out" / name).read_text()
            assert secret not in text and '"storage"' not in text
