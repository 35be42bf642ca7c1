"""The training loop on Accelerate: the same code on one CPU and under `accelerate launch` on GPUs.

Writes OUT/log.jsonl (one record per logged step: step, tokens, loss, lr, tokens_per_s; eval
records add val_loss), OUT/config.json, checkpoints under OUT/ckpt/ and OUT/loss.png at the end.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import time

import torch

from corpus.core.configlib import to_dict
from tokens.shards import read_index
from train import checkpoint
from train.config import OptimConfig, TrainConfig
from train.data import TokenWindows
from train.model import Transformer
from train.runlog import LOG_FILE, RunLog, read_log  # noqa: F401 (read_log: callers read a run's log from here)


def lr_at(step: int, o: OptimConfig, max_steps: int) -> float:
    if step < o.warmup_steps:
        return o.lr * (step + 1) / o.warmup_steps
    if o.schedule == "constant":
        return o.lr
    progress = (step - o.warmup_steps) / max(1, max_steps - o.warmup_steps)
    return o.min_lr + 0.5 * (o.lr - o.min_lr) * (1 + math.cos(math.pi * min(1.0, progress)))


def make_optimizer(model: torch.nn.Module, o: OptimConfig) -> torch.optim.AdamW:
    # weight decay on matrices only; norms' gains (1-D) are left alone, as in nanoGPT and Llama
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [
        {"params": [p for p in params if p.dim() >= 2], "weight_decay": o.weight_decay},
        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=o.lr, betas=(o.beta1, o.beta2), fused=None)


@torch.no_grad()
def evaluate(model, val: TokenWindows, cfg: TrainConfig, accelerator) -> float:
    model.eval()
    total = torch.zeros(2, device=accelerator.device)  # (sum of losses, batches)
    for x, y in val.sequential_batches(
        cfg.batch_size, cfg.eval_batches, accelerator.process_index, accelerator.num_processes
    ):
        _, loss = model(x.to(accelerator.device), y.to(accelerator.device))
        total += torch.stack([loss.float(), torch.ones((), device=loss.device)])
    model.train()
    total = accelerator.reduce(total, "sum")
    return (total[0] / total[1].clamp(min=1)).item()


def _build(cfg: TrainConfig, accelerator):
    torch.manual_seed(cfg.seed)
    model = Transformer(cfg.model)
    if cfg.init_from:  # weights only; rope buffers are rebuilt from the (possibly new) rope_theta
        model.load_state_dict(checkpoint.load_state(cfg.init_from)["model"])
    optimizer = make_optimizer(model, cfg.optim)
    resume = checkpoint.latest(cfg.out_dir)
    state = checkpoint.load_state(resume) if resume else {"step": 0}
    if resume:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
    raw = model  # the plain module: checkpoints and exports never see compile or DDP wrappers
    if cfg.compile:
        model = torch.compile(model)
    model, optimizer = accelerator.prepare(model, optimizer)
    if accelerator.scaler is not None and state.get("scaler"):  # fp16 loss scale continues too
        accelerator.scaler.load_state_dict(state["scaler"])
    return model, optimizer, state["step"], raw


def train(cfg: TrainConfig, stop_after: int | None = None) -> dict:
    """Run (or resume) to cfg.max_steps; stop_after ends early as a kill would (tests of resume)."""
    from accelerate import Accelerator
    from accelerate.state import AcceleratorState

    # one process may run several trainings (sweeps, tests); the process group itself is kept
    AcceleratorState._reset_state()
    accelerator = Accelerator(mixed_precision=cfg.mixed_precision)
    if cfg.cpu_threads:
        torch.set_num_threads(cfg.cpu_threads)
    main = accelerator.is_main_process
    if main:
        os.makedirs(cfg.out_dir, exist_ok=True)
        with open(os.path.join(cfg.out_dir, "config.json"), "w") as f:
            json.dump(to_dict(cfg), f, indent=2)
    model, optimizer, start, raw = _build(cfg, accelerator)
    data = TokenWindows(cfg.data, "train", cfg.seq_len)
    val = TokenWindows(cfg.data, "val", cfg.seq_len)
    log = RunLog(cfg.out_dir, start, main)
    tokens_per_step = cfg.tokens_per_step(accelerator.num_processes)
    extra = {"tokenizer": read_index(cfg.data)["tokenizer"]}
    if start >= cfg.max_steps:  # a finished run started again: its last record; the caller says so
        logged = read_log(cfg.out_dir) if os.path.exists(os.path.join(cfg.out_dir, LOG_FILE)) else []
        return {**(logged[-1] if logged else {}), "step": start, "max_steps": cfg.max_steps, "already_done": True}
    bar = StepProgress(start, cfg.max_steps, enabled=cfg.progress and main)
    losses, t0, last, done = [], time.perf_counter(), {}, start
    for step in range(start, cfg.max_steps):
        lr = lr_at(step, cfg.optim, cfg.max_steps)
        for group in optimizer.param_groups:
            group["lr"] = lr
        losses.append(_train_step(model, optimizer, data, cfg, step, accelerator))
        done = step + 1
        if done % cfg.log_every == 0 or done == cfg.max_steps:
            loss = accelerator.reduce(torch.stack(losses), "mean").mean().item()
            dt = time.perf_counter() - t0
            last = {
                "step": done,
                "tokens": done * tokens_per_step,
                "loss": loss,
                "lr": lr,
                "tokens_per_s": round(len(losses) * tokens_per_step / dt, 1),
            }
            if done % cfg.eval_every == 0 or done == cfg.max_steps:
                last["val_loss"] = evaluate(model, val, cfg, accelerator)
            log.write(last)
            bar.logged(last)
            losses, t0 = [], time.perf_counter()
        bar.update(done)
        if done % cfg.ckpt_every == 0 or done == cfg.max_steps:
            t_ck = time.perf_counter()
            accelerator.wait_for_everyone()
            if main:
                scaler = {"scaler": accelerator.scaler.state_dict()} if accelerator.scaler is not None else {}
                checkpoint.save(cfg.out_dir, done, raw, optimizer, extra | scaler, cfg.keep_checkpoints)
            t0 += time.perf_counter() - t_ck  # tokens/s counts training time only
        if stop_after is not None and done >= stop_after:
            break
    bar.close()
    if main and checkpoint.latest(cfg.out_dir) and done == cfg.max_steps:
        from train.plot import plot_run

        plot_run(cfg.out_dir)
    return last


class StepProgress:
    """A bar with the latest loss and validation loss on a terminal; elsewhere (a log file, CI) one plain line
    per logged step, as the build does, never a line of carriage returns."""

    def __init__(self, start: int, max_steps: int, enabled: bool, stream=None):
        import sys

        self.stream, self.start, self.max_steps, self.enabled = stream or sys.stderr, start, max_steps, enabled
        self.t0, self.val, self.bar = time.perf_counter(), None, None
        if enabled and self.stream.isatty():
            from tqdm.auto import tqdm

            self.bar = tqdm(total=max_steps, initial=start, unit="step", file=self.stream)
        elif enabled and start:
            print(f"resuming at step {start} of {max_steps}", file=self.stream, flush=True)

    def logged(self, record: dict) -> None:
        if "val_loss" in record:
            self.val = record["val_loss"]
        if self.bar is not None:
            self.bar.set_postfix(
                loss=f"{record['loss']:.3f}", **({"val_loss": f"{self.val:.3f}"} if self.val is not None else {})
            )
        elif self.enabled:
            step, elapsed = record["step"], time.perf_counter() - self.t0
            eta = elapsed * (self.max_steps - step) / max(1, step - self.start)
            val = f" val_loss {record['val_loss']:.4f}" if "val_loss" in record else ""
            print(
                f"step {step}/{self.max_steps} loss {record['loss']:.4f}{val} lr {record['lr']:.2e} "
                f"{record['tokens_per_s']:,.0f} tok/s elapsed {elapsed:.0f}s eta {eta:.0f}s",
                file=self.stream,
                flush=True,
            )

    def update(self, done: int) -> None:
        if self.bar is not None:
            self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _train_step(model, optimizer, data: TokenWindows, cfg: TrainConfig, step: int, accelerator) -> torch.Tensor:
    total = torch.zeros((), device=accelerator.device)
    for micro in range(cfg.grad_accum):
        x, y = data.random_batch(cfg.batch_size, cfg.seed, step, micro, accelerator.process_index)
        x, y = x.to(accelerator.device), y.to(accelerator.device)
        # gradients are all-reduced only on the last micro-batch of a step
        sync = micro == cfg.grad_accum - 1
        with contextlib.nullcontext() if sync else accelerator.no_sync(model):
            _, loss = model(x, y)
            accelerator.backward(loss / cfg.grad_accum)
        total += loss.detach().float()
    if cfg.optim.grad_clip > 0:
        accelerator.clip_grad_norm_(model.parameters(), cfg.optim.grad_clip)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return total / cfg.grad_accum
