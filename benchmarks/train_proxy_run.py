"""End-to-end proxy run on CPU from the reference text: tokenizer -> shards -> training -> eval.

  python -m benchmarks.train_proxy_run [--data ../shared/data] [-o out/proxy] [--steps 1000]

Writes OUT/tok, OUT/shards, OUT/run (log.jsonl, loss.png, checkpoints) and OUT/run/proxy_results.json:
training/validation loss against the unigram entropy of the training tokens (the loss of a model
that ignores context), per-source bits per byte, and MMLU / CMMLU accuracy (sampled per subject).
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

from benchmarks.results import add_data_arg


def unigram_entropy(shard_dir: str) -> float:
    """Entropy (nats/token) of the training split's token frequencies."""
    from tokens.shards import open_split, read_index

    counts = np.zeros(read_index(shard_dir)["vocab_size"], dtype=np.int64)
    for shard in open_split(shard_dir, "train"):
        counts += np.bincount(shard, minlength=len(counts))
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log(p)).sum())


def main() -> None:
    ap = argparse.ArgumentParser()
    add_data_arg(ap)
    ap.add_argument("-o", "--out", default="out/proxy")
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--vocab", type=int, default=2048)
    ap.add_argument("--preset", default="tiny")
    ap.add_argument("--d-model", type=int, default=96, help="override the preset's width (0: keep it)")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--mc-sample", type=int, default=8, help="questions per subject")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()

    from tokens.shards import TokenizeConfig, tokenize
    from tokens.tokenizer import TokenizerConfig, load, train_tokenizer
    from train.checkpoint import latest, load_model
    from train.config import load_train_config
    from train.evaluate import eval_mc_task, source_losses
    from train.loop import read_log, train
    from train.plot import plot_run

    ref = os.path.join(args.data, "reference")
    inputs = [
        os.path.join(ref, f) for f in ("en-wikitext2.txt.gz", "zh-csl-abstracts.txt.gz", "zh-chid-passages.txt.gz")
    ]
    t0 = time.time()
    tok_dir, shard_dir, run_dir = (os.path.join(args.out, d) for d in ("tok", "shards", "run"))
    manifest = train_tokenizer(
        inputs, tok_dir, TokenizerConfig(vocab_size=args.vocab, char_budget=3_000_000, character_coverage=0.98)
    )
    index = tokenize(inputs, tok_dir, shard_dir, TokenizeConfig(val_fraction=0.01, workers=2))
    t_data = time.time() - t0
    cfg = load_train_config(
        data={
            "data": shard_dir,
            "out_dir": run_dir,
            "model": {"preset": args.preset, **({"d_model": args.d_model} if args.d_model else {})},
            "seq_len": 128,
            "batch_size": args.batch,
            "max_steps": args.steps,
            "log_every": 10,
            "eval_every": 100,
            "ckpt_every": 500,
            "eval_batches": 20,
            "cpu_threads": args.threads,
            "optim": {"lr": 2e-3, "min_lr": 2e-4, "warmup_steps": 50},
        }
    )
    t1 = time.time()
    train(cfg)
    t_train = time.time() - t1
    h = unigram_entropy(shard_dir)
    plot_run(run_dir, reference={"unigram entropy": h})
    model = load_model(latest(run_dir))
    sp = load(tok_dir)
    log = read_log(run_dir)
    evals = [r for r in log if "val_loss" in r]
    result = {
        "tokenizer": {k: manifest[k] for k in ("trained_on", "bytes_per_token")},
        "tokens": {s: index["splits"][s]["tokens"] for s in ("train", "val")},
        "model": {
            "preset": args.preset,
            "params": model.num_params(non_embedding=False),
            "non_embedding_params": model.num_params(),
        },
        "steps": args.steps,
        "tokens_seen": log[-1]["tokens"],
        "unigram_entropy": h,
        "first_loss": log[0]["loss"],
        "final_train_loss": log[-1]["loss"],
        "final_val_loss": evals[-1]["val_loss"],
        "val_per_source": source_losses(model, shard_dir, 128),
        "mmlu": _mc_summary(
            eval_mc_task(model, sp, os.path.join(args.data, "eval", "mmlu"), shots=0, sample=args.mc_sample)
        ),
        "cmmlu": _mc_summary(
            eval_mc_task(model, sp, os.path.join(args.data, "eval", "cmmlu"), shots=0, lang="zh", sample=args.mc_sample)
        ),
        "seconds": {"tokenizer_and_shards": round(t_data, 1), "training": round(t_train, 1)},
        "mean_tokens_per_s": round(sum(r["tokens_per_s"] for r in log) / len(log), 1),
    }
    with open(os.path.join(run_dir, "proxy_results.json"), "w") as f:
        json.dump(result, f, indent=2, ensure_ascii=False)
    print(json.dumps(result, indent=2, ensure_ascii=False))


def _mc_summary(r: dict) -> dict:
    return {
        "questions": r["n"],
        "subjects": len(r["subjects"]),
        "acc": round(r["acc"], 4),
        "acc_norm": round(r["acc_norm"], 4),
        "chance": 0.25,
    }


if __name__ == "__main__":
    main()
