"""Yi's model surgery: depth upscaling by duplicating a layer range, guided by how little each
layer changes its input (cosine similarity of a layer's input and output residual stream)."""

from __future__ import annotations

import copy
import dataclasses

import torch
import torch.nn.functional as F

from train.model import Transformer


@torch.no_grad()
def layer_cosines(model: Transformer, batches: list[torch.Tensor]) -> list[float]:
    """Mean cosine similarity between each layer's input and output over all token positions.
    Near 1: the layer barely changes the stream, so a copy of it is close to an identity map."""
    model.eval()
    sums = torch.zeros(model.cfg.n_layers)
    count = 0
    for x in batches:
        states = model.hidden_states(x)  # n_layers + 1 tensors (B, T, C)
        for i in range(model.cfg.n_layers):
            sums[i] += F.cosine_similarity(states[i], states[i + 1], dim=-1).sum()
        count += x.numel()
    return (sums / count).tolist()


def upscale(model: Transformer, start: int, end: int) -> Transformer:
    """Layers [0, end) + copies of [start, end) + [end, n): Yi-9B is Yi-6B with start=12, end=28."""
    n = model.cfg.n_layers
    if not 0 <= start < end <= n:
        raise ValueError(f"layer range [{start}, {end}) must lie within [0, {n})")
    order = list(range(end)) + list(range(start, end)) + list(range(end, n))
    cfg = dataclasses.replace(model.cfg, n_layers=len(order))
    deep = Transformer(cfg)
    deep.embed_tokens.load_state_dict(model.embed_tokens.state_dict())
    deep.norm.load_state_dict(model.norm.state_dict())
    if not cfg.tie_embeddings:
        deep.lm_head.load_state_dict(model.lm_head.state_dict())
    for new_i, old_i in enumerate(order):
        deep.layers[new_i].load_state_dict(copy.deepcopy(model.layers[old_i].state_dict()))
    return deep


NEAR_IDENTITY_COSINE = 0.95  # duplicated layers at or above this barely move the residual stream
LOSS_TOLERANCE = 0.05  # nats/token: "the upscaled model starts where the original was"


@torch.no_grad()
def mean_loss(model: Transformer, batches: list[tuple[torch.Tensor, torch.Tensor]]) -> float:
    model.eval()
    return sum(model(x, y)[1].item() for x, y in batches) / len(batches)


def upscale_report(
    model: Transformer,
    start: int,
    end: int,
    shard_dir: str,
    seq_len: int,
    n_batches: int,
    output: str | None = None,
    tokenizer: str | None = None,
) -> dict:
    """Upscale, measure on validation windows, optionally save as a checkpoint; the report says
    whether the copies were near-identity maps and how far the loss moved."""
    from train import checkpoint
    from train.data import TokenWindows

    seq_len = min(seq_len, model.cfg.max_seq_len)
    batches = list(TokenWindows(shard_dir, "val", seq_len).sequential_batches(8, n_batches))
    cos = layer_cosines(model, [x for x, _ in batches])
    deep = upscale(model, start, end)
    before, after = mean_loss(model, batches), mean_loss(deep, batches)
    dup = cos[start:end]
    near_identity = min(dup) >= NEAR_IDENTITY_COSINE
    within = abs(after - before) <= LOSS_TOLERANCE
    if near_identity and within:
        verdict = "duplicated layers are near-identity; the upscaled model keeps the original loss"
    elif near_identity:
        verdict = "duplicated layers look near-identity, yet the loss moved beyond tolerance: continue training"
    else:
        low = [i for i in range(start, end) if cos[i] < NEAR_IDENTITY_COSINE]
        verdict = (
            f"layers {low} change their input (cosine < {NEAR_IDENTITY_COSINE}); duplicating them moves "
            "the loss: prefer a range of high-cosine layers or continue training"
        )
    report = {
        "layers_before": model.cfg.n_layers,
        "layers_after": deep.cfg.n_layers,
        "duplicated": [start, end],
        "layer_cosine": [round(c, 4) for c in cos],
        "loss_before": before,
        "loss_after": after,
        "loss_delta": after - before,
        "tolerance": LOSS_TOLERANCE,
        "near_identity": near_identity,
        "within_tolerance": within,
        "verdict": verdict,
    }
    if output:
        checkpoint.save_to(output, deep, extra={"tokenizer": tokenizer, "upscale": report})
        report["checkpoint"] = output
    return report
