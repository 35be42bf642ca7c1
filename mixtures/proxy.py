"""One proxy run: build the mixture at proxy scale, train with `corpus train`'s loop, evaluate on
every source's validation split and every target, and return the runs-table row.

Runs go one after another in this process, or (workers > 1) each in its own process, which dies
with the search (Linux parent-death signal) so a killed search leaves nothing running.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from typing import Iterator

from corpus.core.configlib import to_dict
from mixtures.mixture import Mixture
from mixtures.runs import ACC, BPB, LOSS, TOKENS, WEIGHT


def run_dir(runs_dir: str, run: str) -> str:
    return os.path.join(runs_dir, "runs", run)


def run_one(mix: Mixture, cfg, runs_dir: str, spec) -> dict:
    from mixtures.build import build

    t0, cpu0 = time.perf_counter(), _cpu_s()
    out = run_dir(runs_dir, spec.run)
    shutil.rmtree(out, ignore_errors=True)  # what a killed attempt left is redone from scratch
    tokens = proxy_tokens(cfg)
    scale = min(1.0, tokens / mix.total_tokens)
    # the sampled runs all draw the mixture's own sample; the seeds of the compared mixtures vary the
    # sample as well as the training, so their spread is the whole noise that a difference must exceed
    manifest = build(mix.with_weights(spec.weights, seed=spec.sample_seed), os.path.join(out, "data"), tokens, scale)
    train_cfg = _train_config(cfg, out, spec.seed)
    last = _train(train_cfg, cfg.launcher)
    row = {"run": spec.run, "kind": spec.kind, "seed": spec.seed, "sample_seed": spec.sample_seed}
    row |= {WEIGHT + n: float(spec.weights.get(n, 0.0)) for n in mix.names}
    row |= {TOKENS + n: s["realised"]["tokens"] for n, s in manifest["sources"].items()}
    row |= {"epochs." + n: round(s["epochs"], 4) for n, s in manifest["sources"].items()}
    row |= _evaluate(mix, cfg, train_cfg)
    row |= {
        "train_loss": last.get("loss"),
        "steps": train_cfg.max_steps,
        "proxy_tokens": tokens,
        "scale": scale,
        "wall_s": round(time.perf_counter() - t0, 2),
        "cpu_s": round(_cpu_s() - cpu0, 2),
        "config": json.dumps(to_dict(train_cfg)),
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    _tidy(out, cfg)
    return row


def _cpu_s() -> float:
    """CPU seconds of this process and its finished children (a `launcher` run trains in a child): a
    run's cost where other work shares the machine and wall time says little."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def proxy_tokens(cfg) -> int:
    p = cfg.proxy
    return (
        int(p.get("max_steps", 1000))
        * int(p.get("batch_size", 16))
        * int(p.get("grad_accum", 1))
        * int(p.get("seq_len", 256))
    )


def _train_config(cfg, out: str, seed: int):
    from train.config import load_train_config

    data = {
        "progress": False,
        "eval_every": 10**9,
        "ckpt_every": 10**9,
        "log_every": 10**9,
        "eval_batches": 4,
        "cpu_threads": 1,
    } | dict(cfg.proxy)
    data |= {"data": os.path.join(out, "data"), "out_dir": os.path.join(out, "train"), "seed": seed}
    steps = int(data.get("max_steps", 1000))
    # one log line and one checkpoint, at the end (the proxy is too short to be worth resuming)
    data["log_every"], data["ckpt_every"] = min(data["log_every"], steps), min(data["ckpt_every"], steps)
    data["ckpt_every"] = data["log_every"] * max(1, data["ckpt_every"] // data["log_every"])
    return load_train_config(data=data)


def _train(train_cfg, launcher: str) -> dict:
    if not launcher:
        from train.loop import train

        return train(train_cfg)
    import shlex
    import subprocess

    import yaml

    from train.loop import read_log

    path = os.path.join(os.path.dirname(train_cfg.out_dir), "train.yaml")
    with open(path, "w") as f:
        yaml.safe_dump(to_dict(train_cfg), f)
    subprocess.run(shlex.split(launcher) + ["train", "-c", path], check=True, stdout=subprocess.DEVNULL)
    return read_log(train_cfg.out_dir)[-1]


def _evaluate(mix: Mixture, cfg, train_cfg) -> dict:
    from train import checkpoint
    from train.evaluate import eval_mc_task, source_losses

    model = checkpoint.load_model(checkpoint.latest(train_cfg.out_dir))
    row = {}
    for src, r in source_losses(model, train_cfg.data, train_cfg.seq_len, max_tokens=cfg.eval_tokens).items():
        row[LOSS + src], row[BPB + src] = r["loss"], r["bpb"]
    mc = [t for t in mix.targets if t.mc]
    if mc:
        from mixtures.pools import tokenizer_path
        from tokens.tokenizer import load

        sp = load(tokenizer_path(mix))
        for t in mc:
            r = eval_mc_task(model, sp, t.mc, shots=t.shots, lang=t.lang, sample=t.sample, seed=mix.seed)
            row[ACC + t.name], row["acc_norm." + t.name] = r["acc"], r["acc_norm"]
    return row


def _tidy(out: str, cfg) -> None:
    """Shards are rebuilt from the mixture and seed at will; checkpoints are kept only when asked."""
    shutil.rmtree(os.path.join(out, "data"), ignore_errors=True)
    if not cfg.keep_checkpoints:
        shutil.rmtree(os.path.join(out, "train", "ckpt"), ignore_errors=True)


def _worker_init() -> None:
    from corpus.core.executors import die_with_parent

    die_with_parent()


def run_many(mix: Mixture, cfg, runs_dir: str, specs: list) -> Iterator[dict]:
    """Rows as runs finish (in order when sequential, in completion order in parallel)."""
    if cfg.workers <= 1:
        for spec in specs:
            yield run_one(mix, cfg, runs_dir, spec)
        return
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from multiprocessing import get_context

    with ProcessPoolExecutor(cfg.workers, mp_context=get_context("spawn"), initializer=_worker_init) as pool:
        futures = [pool.submit(run_one, mix, cfg, runs_dir, s) for s in specs]
        for f in as_completed(futures):
            yield f.result()
