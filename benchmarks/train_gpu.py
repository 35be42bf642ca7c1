"""Tokens/s and model FLOPs utilisation (MFU) of a ~100M-parameter config on one CUDA GPU, bf16.

  python -m benchmarks.train_gpu [--batch 32]      # on a GPU machine: records the claim gpu_mfu
  python -m benchmarks.train_gpu --smoke           # a few CPU steps of a tiny shape: does it run? (not recorded)

Two measurements, each printed as a JSON line:
  bare  - the model (train/model.py) with AdamW in a minimal loop, torch.compile, bf16 autocast
  loop  - `corpus train`'s own loop (Accelerate bf16, compile from the config) on random-token shards
MFU = tokens/s x FLOPs per token / the card's peak dense bf16 FLOP/s, where FLOPs per token =
6 x (non-embedding parameters + output matrix) + 12 x layers x seq_len x d_model (PaLM, appendix B).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

import torch

from benchmarks.results import record

# dense bf16 tensor-core peaks from the vendors' data sheets (no sparsity)
PEAK_BF16 = {
    "H200": 989e12,
    "H100 SXM": 989e12,
    "H100 PCIe": 756e12,
    "H100 NVL": 835e12,
    "H100": 989e12,
    "A100": 312e12,
    "L40S": 362e12,
    "A10G": 70e12,
    "L4": 121e12,
    "4090": 165e12,
}
FLOP_FORMULA = "6*(N_nonembedding + N_lm_head) + 12*n_layers*seq_len*d_model per token"


def peak_flops(name: str) -> float | None:
    for key, value in PEAK_BF16.items():
        if key in name:
            return value
    return None


def bench_bare(model_cfg, seq_len: int, batch: int, steps: int, device: str, compile_: bool, bf16: bool) -> dict:
    from train.model import Transformer

    torch.manual_seed(0)
    model = Transformer(model_cfg).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4, betas=(0.9, 0.95), weight_decay=0.1, fused=device == "cuda")
    step_model = torch.compile(model) if compile_ else model
    x = torch.randint(0, model_cfg.vocab_size, (batch, seq_len + 1), device=device)
    inp, tgt = x[:, :-1], x[:, 1:]
    ctx = torch.autocast(device_type=device, dtype=torch.bfloat16, enabled=bf16)
    warmup = 3
    for i in range(warmup + steps):
        if i == warmup:
            sync(device)
            t0 = time.perf_counter()
        with ctx:
            _, loss = step_model(inp, tgt)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
    sync(device)
    dt = time.perf_counter() - t0
    return {
        "tokens_per_s": steps * batch * seq_len / dt,
        "flops_per_token": model.flops_per_token(seq_len),
        "params": sum(p.numel() for p in model.parameters()),
        "final_loss": loss.item(),
    }


def bench_loop(model_cfg, seq_len: int, batch: int, steps: int, compile_: bool, bf16: bool) -> dict:
    from benchmarks.train_throughput import write_random_shards
    from train.config import load_train_config
    from train.loop import read_log, train

    tmp = tempfile.mkdtemp(prefix="train-gpu-")
    shards = write_random_shards(os.path.join(tmp, "shards"), model_cfg.vocab_size, 20_000_000)
    log_every = max(1, steps // 4)
    model_section = {
        k: getattr(model_cfg, k) for k in ("vocab_size", "d_model", "n_layers", "n_heads", "n_kv_heads", "max_seq_len")
    }
    cfg = load_train_config(
        data={
            "data": shards,
            "out_dir": os.path.join(tmp, "run"),
            "model": model_section,
            "seq_len": seq_len,
            "batch_size": batch,
            "max_steps": 4 * log_every,
            "log_every": log_every,
            "eval_every": 10**6,
            "ckpt_every": 10**6 * log_every,
            "eval_batches": 1,
            "progress": False,
            "compile": compile_,
            "mixed_precision": "bf16" if bf16 else "no",
            "optim": {"lr": 3e-4, "warmup_steps": 0},
        }
    )
    train(cfg)
    log = read_log(cfg.out_dir)[1:]  # the first interval includes compilation
    tps = sum(r["tokens_per_s"] for r in log) / len(log)
    return {
        "tokens_per_s": tps,
        "flops_per_token": _meta_model(model_cfg).flops_per_token(seq_len),
        "final_loss": log[-1]["loss"],
    }


def _meta_model(cfg):
    from train.model import Transformer

    with torch.device("meta"):
        return Transformer(cfg)


def sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--smoke", action="store_true", help="CPU, tiny shape, few steps, no compile: a run check")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--seq-len", type=int, default=1024)
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--no-compile", action="store_true")
    ap.add_argument("--only", choices=["bare", "loop"], default=None)
    args = ap.parse_args()
    from train.config import model_config

    if args.smoke:
        device, bf16, compile_ = "cpu", False, False
        cfg = model_config({"preset": "tiny", "d_model": 64, "n_layers": 2, "max_seq_len": 64}, vocab_size=512)
        seq_len, batch, steps = 64, 4, 4
    else:
        if not torch.cuda.is_available():
            sys.exit("no CUDA device: run with --smoke on CPU")
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        device, bf16, compile_ = "cuda", True, not args.no_compile
        cfg = model_config({"preset": "proxy-100m", "max_seq_len": args.seq_len}, vocab_size=32000)
        seq_len, batch, steps = args.seq_len, args.batch, args.steps
    card = torch.cuda.get_device_name() if device == "cuda" else "cpu"
    peak = peak_flops(card) if device == "cuda" else None
    mfus = {}
    for kind in ("bare", "loop"):
        if args.only and kind != args.only:
            continue
        if kind == "bare":
            r = bench_bare(cfg, seq_len, batch, steps, device, compile_, bf16)
        else:
            r = bench_loop(cfg, seq_len, batch, steps, compile_, bf16)
        mfu = r["tokens_per_s"] * r["flops_per_token"] / peak if peak else None
        mfus[kind] = {"mfu": mfu, "tokens_per_s": r["tokens_per_s"]}
        print(
            json.dumps(
                {
                    "measure": kind,
                    "card": card,
                    "tokens_per_s": round(r["tokens_per_s"], 1),
                    "mfu": round(mfu, 4) if mfu else None,
                    "peak_flops": peak,
                    "flops_per_token": r["flops_per_token"],
                    "flop_formula": FLOP_FORMULA,
                    "params": r.get("params"),
                    "seq_len": seq_len,
                    "batch": batch,
                    "steps": steps,
                    "bf16": bf16,
                    "compile": compile_,
                    "final_loss": round(r["final_loss"], 4),
                    "torch": torch.__version__,
                }
            ),
            flush=True,
        )
    if not args.smoke and peak and "bare" in mfus:
        value = {("model" if k == "bare" else "full loop"): round(100 * v["mfu"], 1) for k, v in mfus.items()}
        record(
            "gpu_mfu",
            value,
            40,
            f"% MFU ({card}, batch {batch}, seq {seq_len}, bf16)",
            value["model"] >= 40,
            {"runs": mfus, "peak_flops": peak, "flop_formula": FLOP_FORMULA},
        )


if __name__ == "__main__":
    main()
