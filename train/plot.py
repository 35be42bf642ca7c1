"""OUT/loss.png: training and validation loss against tokens, from log.jsonl."""

from __future__ import annotations

import os


def plot_run(out_dir: str, reference: dict[str, float] | None = None) -> str:
    """reference: horizontal lines to draw (e.g. {"unigram entropy": 7.1}), in nats per token."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from train.runlog import read_log

    log = read_log(out_dir)
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot([r["step"] for r in log], [r["loss"] for r in log], label="train loss")
    ev = [r for r in log if "val_loss" in r]
    if ev:
        ax.plot([r["step"] for r in ev], [r["val_loss"] for r in ev], "o-", label="val loss")
    for name, value in (reference or {}).items():
        ax.axhline(value, linestyle="--", color="gray")
        ax.annotate(f"{name} {value:.2f}", (0, value), textcoords="offset points", xytext=(4, 4), fontsize=8)
    ax.set_xlabel("step")
    ax.set_ylabel("loss (nats/token)")
    ax.legend()
    ax.grid(alpha=0.3)
    path = os.path.join(out_dir, "loss.png")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
