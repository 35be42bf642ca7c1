"""Session-wide fixtures: one demo input, one spine build, one demo-model cache, one Ray session.

Tests that change a shared build copy it first (`copy_build`); every fixture here is read-only for
the tests that use it.
"""

import os
import shutil
from pathlib import Path

import pytest

SHARED_DATA = Path(os.environ.get("CORPUS_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
SPINE = ("url_filter", "lang_id")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder {SHARED_DATA} is absent (set CORPUS_SHARED_DATA)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def demo_warc(tmp_path_factory) -> str:
    """The built-in demo WARC (19 records, English and Chinese), written once."""
    from corpus.demo import write_demo_warc

    return write_demo_warc(str(tmp_path_factory.mktemp("demo") / "demo.warc.gz"))


@pytest.fixture(scope="session")
def spine_build(tmp_path_factory, demo_warc) -> Path:
    """A finished build of the demo WARC with the spine stages (url_filter, lang_id); do not modify."""
    from corpus.build import build
    from tests.corpus.helpers import make_config

    out = tmp_path_factory.mktemp("spine") / "out"
    assert build(make_config([demo_warc], out, stages=list(SPINE))).exit_code == 0
    return out


@pytest.fixture
def copy_build(tmp_path):
    """A private copy of a shared build, for tests that change or delete what they are given."""

    def copy(src: Path, name: str = "copy") -> Path:
        return Path(shutil.copytree(src, tmp_path / name, symlinks=True))

    return copy


@pytest.fixture(scope="session")
def demo_models() -> str:
    """The demo models in the user cache that default builds use: trained once, shared by every test
    and every `corpus` subprocess."""
    from filters.models.demo import ensure_demo_models
    from filters.models.registry import has_model

    root = ensure_demo_models()
    if not has_model(root, "kenlm", "en"):
        pytest.skip("KenLM's lmplz is not built: run scripts/build_kenlm.sh (the Makefile set-up does)")
    return root


@pytest.fixture(scope="session")
def ray_session():
    """One local Ray instance for the whole session (Ray builds reuse an initialised Ray)."""
    ray = pytest.importorskip("ray")
    if not ray.is_initialized():
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


# markers that follow from what a test uses, so that no file has to remember them
_MARK_BY_FIXTURE = {"shared_data": "realdata", "ray_session": "ray", "s3_server": "remote"}


def pytest_collection_modifyitems(items):
    for item in items:
        for fixture, mark in _MARK_BY_FIXTURE.items():
            if fixture in getattr(item, "fixturenames", ()):
                item.add_marker(mark)
