"""Determinism, invariance to sharding and file splits, and SIGKILL-then-rerun on real text."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from corpus.core import vocab
from dedup.synth import Doc, plant, real_docs
from dedup_testlib import config, read, run
from dedup.stages import run_standalone
from tests.corpus.helpers import assert_all_gone, descendants

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def corpus_docs(shared_data):
    rng = np.random.default_rng(7)
    docs = plant(real_docs(shared_data, "en", 300) + real_docs(shared_data, "zh", 200), rng, share=0.3)
    return docs + [Doc(f"{d.id}-copy", d.text, d.lang, d.id, "copy") for d in docs[:30]]  # exact copies too


@pytest.fixture(scope="module")
def reference(tmp_path_factory, corpus_docs):
    """Stage name -> (input folder, rows of an uninterrupted run)."""
    cache = {}

    def get(stage):
        if stage not in cache:
            root = tmp_path_factory.mktemp(stage)
            cache[stage] = (str(root / "in"), run(stage, corpus_docs, root, files=2))
        return cache[stage]

    return get


def test_same_seed_same_result(tmp_path, corpus_docs, reference):
    a = reference(vocab.DEDUP_MINHASH)[1]
    assert a == run(vocab.DEDUP_MINHASH, corpus_docs, tmp_path, files=2)
    dropped = [r for r in a.values() if r["fate"] == "dropped"]
    assert len(dropped) > 100  # the planted copies are found
    assert len({r[vocab.DEDUP_CLUSTER_ID] for r in a.values()}) == len(a) - len(dropped)


def test_many_small_shards_and_spills_give_the_same_result(tmp_path, corpus_docs, reference):
    many = run(vocab.DEDUP_MINHASH, corpus_docs, tmp_path, files=2, memory_mb=0.03)
    assert many == reference(vocab.DEDUP_MINHASH)[1]
    records = os.listdir(tmp_path / "build" / "work" / "seg01-minhash" / "records")
    shards = {r.split("-")[0] for r in records}
    assert len(shards) > 5 and len(records) > 2 * len(shards)  # several shards, several spills each


RUNNER = """
import sys
from corpus.config import BuildConfig, ExecutorConfig
from dedup.stages import run_standalone
from tests.corpus.helpers import assert_all_gone, descendants
if __name__ == "__main__":
    run_standalone(sys.argv[1], BuildConfig(output=sys.argv[2], executor=ExecutorConfig(workers=1)), sys.argv[3])
"""


@pytest.mark.parametrize(
    "stage,trigger",
    [
        (vocab.DEDUP_PARAGRAPH, "work/seg01-paragraph/records"),
        (vocab.DEDUP_MINHASH, "work/seg01-minhash/records"),
        (vocab.DEDUP_MINHASH, "work/seg01-minhash/groups"),
        (vocab.DEDUP_MINHASH, "logs/seg01-dedup_minhash-filter"),
        (vocab.DEDUP_EXACT, "work/seg01-exact/decisions"),
    ],
)
def test_sigkill_then_rerun_gives_the_same_result(tmp_path, reference, stage, trigger):
    inp, expected = reference(stage)
    out = str(tmp_path / "killed")
    env = {**os.environ, "PYTHONPATH": ROOT}
    proc = subprocess.Popen(
        [sys.executable, "-c", RUNNER, stage, out, inp], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.time() + 120
    while not os.path.exists(os.path.join(out, trigger)) and proc.poll() is None and time.time() < deadline:
        time.sleep(0.005)
    family = descendants(proc.pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert_all_gone(family)  # datatrove's manager process dies with the run
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    cfg = config(out)
    assert read(run_standalone(stage, cfg, inp), cfg.output) == expected
