"""SIGKILL at a random moment of tokenising and of training, then the same command again: the same
token shards byte for byte, the same losses bit for bit. (Builds: tests/corpus/test_faults.py.)"""

import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest

from tests.corpus.helpers import env_with_path
from train.loop import read_log, train

pytestmark = pytest.mark.faults

TRIALS = int(os.environ.get("CORPUS_FAULT_TRIALS", "2"))


def _kill_landing(cmd, ready, delay, env=None, clear=(), done=None):
    """_kill_after, with shorter delays when the command ended first (a fast machine): True once a kill
    landed before the work was finished (the path `done` absent: a process killed while it exits has
    finished), the paths in `clear` removed before each new try."""
    import shutil

    for d in (delay, delay / 4, 0.0):
        if _kill_after(cmd, ready, d, env) and not (done and os.path.exists(done)):
            return True
        for p in clear:
            shutil.rmtree(p, ignore_errors=True)
    return False


def _kill_after(cmd, ready, delay, env=None):
    """Start cmd, SIGKILL it `delay` s after the path `ready` appears; False when it ended first."""
    proc = subprocess.Popen(cmd, env=env or env_with_path(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while not os.path.exists(ready) and proc.poll() is None and time.time() < deadline:
        time.sleep(0.005)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return proc.returncode == -signal.SIGKILL


def _files(d):
    return {
        os.path.relpath(os.path.join(r, f), d): open(os.path.join(r, f), "rb").read()
        for r, _, fs in os.walk(d)
        for f in fs
    }


@pytest.mark.parametrize("seed", range(TRIALS))
def test_tokenize_killed_then_rerun_gives_the_same_shards(shards, tmp_path, seed):
    root = shards.parent
    cmd = lambda out: [
        sys.executable,
        "-m",
        "corpus.cli",
        "tokenize",
        str(root / "sample.jsonl"),  # noqa: E731
        "-t",
        str(root / "tok"),
        "-o",
        str(out),
        "--val-fraction",
        "0.05",
        "--shard-tokens",
        "20000",
        "--workers",
        "2",
    ]
    subprocess.run(cmd(tmp_path / "straight"), env=env_with_path(), check=True, capture_output=True)
    killed = tmp_path / "killed"
    delay = random.Random(seed).uniform(0, 0.5)
    landed = _kill_landing(cmd(killed), killed, delay, clear=[killed], done=killed / "index.json")
    assert landed, "tokenize ended before the kill"
    assert not (killed / "index.json").exists()
    subprocess.run(cmd(killed), env=env_with_path(), check=True, capture_output=True)
    straight, again = _files(tmp_path / "straight"), _files(killed)
    assert len(straight) > 3 and again == straight


TRAIN = """
import json, sys
import torch
torch.set_num_threads(1)
from train.config import load_train_config
from train.loop import train
train(load_train_config(data=json.loads(sys.argv[1]), overrides={}))
"""


@pytest.mark.parametrize("seed", range(TRIALS))
def test_train_killed_at_a_random_step_then_rerun_gives_the_same_losses(run_config, shards, tmp_path, seed):
    data = {
        "data": str(shards),
        "model": {"preset": "tiny", "d_model": 64, "n_layers": 2, "max_seq_len": 64},
        "seq_len": 64,
        "batch_size": 8,
        "max_steps": 20,
        "log_every": 5,
        "eval_every": 10,
        "ckpt_every": 5,
        "eval_batches": 2,
        "progress": False,
        "optim": {"lr": 3e-3, "warmup_steps": 5},
    }
    straight = run_config(**{"out_dir": str(tmp_path / "straight"), "ckpt_every": 5})
    train(straight)
    out = tmp_path / "killed"
    cmd = [sys.executable, "-c", TRAIN, json.dumps({**data, "out_dir": str(out)})]
    env = {**env_with_path(), "OMP_NUM_THREADS": "1"}
    delay = random.Random(seed).uniform(0, 1.0)
    assert _kill_landing(cmd, out / "ckpt", delay, env, clear=[out]), "training ended before the kill"
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    a, b = read_log(straight.out_dir), read_log(str(out))
    assert [r["step"] for r in a] == [r["step"] for r in b] == [5, 10, 15, 20]
    assert [r["loss"] for r in a] == [r["loss"] for r in b]
