import math

import pytest

from corpus.core.configlib import ConfigError
from train.config import OptimConfig
from train.loop import lr_at, read_log, train


def test_resume_after_a_kill_gives_the_same_losses(run_config, tmp_path):
    straight = run_config(out_dir=str(tmp_path / "straight"))
    train(straight)
    killed = run_config(out_dir=str(tmp_path / "killed"))
    train(killed, stop_after=16)  # dies 6 steps after the step-10 checkpoint; steps 11-16 are redone
    assert [r["step"] for r in read_log(killed.out_dir)] == [5, 10, 15]
    train(killed)
    a, b = read_log(straight.out_dir), read_log(killed.out_dir)
    assert [r["step"] for r in a] == [r["step"] for r in b] == [5, 10, 15, 20]
    assert [r["loss"] for r in a] == [r["loss"] for r in b]  # bit for bit
    assert [r.get("val_loss") for r in a] == [r.get("val_loss") for r in b]
    assert a[-1]["loss"] < a[0]["loss"] - 0.5  # and it learns
    assert (tmp_path / "straight" / "loss.png").stat().st_size > 1000
    assert set(a[0]) >= {"step", "tokens", "loss", "lr", "tokens_per_s"}


def test_grad_accumulation_matches_one_big_batch(run_config, tmp_path):
    # 2 micro-batches of 4 draw different windows than 1 batch of 8, so compare the gradient math directly
    import torch

    from train.model import Transformer

    cfg = run_config()
    torch.manual_seed(0)
    model = Transformer(cfg.model)
    x = torch.randint(0, cfg.model.vocab_size, (8, 16))
    model(x, x)[1].backward()
    full = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    for half in (x[:4], x[4:]):
        (model(half, half)[1] / 2).backward()
    for g, p in zip(full, model.parameters()):
        torch.testing.assert_close(p.grad, g, atol=1e-6, rtol=1e-4)


def test_lr_schedule_warms_up_then_decays_to_min():
    o = OptimConfig(lr=1.0, min_lr=0.1, warmup_steps=10, schedule="cosine")
    assert lr_at(0, o, 100) == pytest.approx(0.1)
    assert lr_at(9, o, 100) == pytest.approx(1.0)
    assert lr_at(55, o, 100) == pytest.approx(0.55)
    assert lr_at(100, o, 100) == pytest.approx(0.1)
    assert lr_at(50, OptimConfig(lr=1.0, warmup_steps=10, schedule="constant"), 100) == 1.0


@pytest.mark.parametrize(
    "override,key",
    [
        ({"seq_len": 128}, "seq_len"),
        ({"ckpt_every": 7}, "ckpt_every"),
        ({"optim": {"schedule": "linear"}}, "optim.schedule"),
        ({"batch_sz": 3}, "batch_sz"),
    ],
)
def test_bad_run_config_names_the_key(run_config, override, key):
    with pytest.raises(ConfigError) as e:
        run_config(**override)
    assert e.value.key == key


def test_bf16_mixed_precision_runs_and_learns(run_config, tmp_path):
    cfg = run_config(out_dir=str(tmp_path / "bf16"), mixed_precision="bf16", max_steps=10, ckpt_every=10)
    last = train(cfg)
    log = read_log(cfg.out_dir)
    assert math.isfinite(last["loss"]) and log[-1]["loss"] < log[0]["loss"]


def test_train_step_accumulates_micro_batches(run_config):
    """_train_step with grad_accum 2 equals, by hand, the two micro-batches it draws, each loss
    halved and backpropagated, then one optimizer step (the clip runs but does not bind, so a wrong
    scale of the accumulated gradient shows)."""
    import copy

    import torch
    from accelerate import Accelerator
    from accelerate.state import AcceleratorState

    from train.data import TokenWindows
    from train.loop import _train_step
    from train.model import Transformer

    cfg = run_config(grad_accum=2, batch_size=4, optim={"lr": 3e-3, "warmup_steps": 5, "grad_clip": 1000.0})
    torch.manual_seed(0)
    model = Transformer(cfg.model)
    twin, initial = copy.deepcopy(model), copy.deepcopy(model)
    opt, twin_opt = (torch.optim.SGD(m.parameters(), lr=0.5) for m in (model, twin))
    data = TokenWindows(cfg.data, "train", cfg.seq_len)
    AcceleratorState._reset_state()
    loss = _train_step(model, opt, data, cfg, 3, Accelerator(cpu=True))

    losses = []
    batches = [data.random_batch(4, cfg.seed, 3, micro, 0) for micro in range(2)]
    assert not torch.equal(batches[0][0], batches[1][0])  # two different micro-batches, not one twice
    for x, y in batches:
        micro_loss = twin(x, y)[1]
        (micro_loss / 2).backward()
        losses.append(micro_loss.item())
    torch.nn.utils.clip_grad_norm_(twin.parameters(), 1000.0)
    twin_opt.step()
    assert loss.item() == pytest.approx(sum(losses) / 2, rel=1e-5)
    for p, q in zip(model.parameters(), twin.parameters()):
        torch.testing.assert_close(p, q, atol=1e-6, rtol=1e-5)
    assert any(not torch.equal(p, q) for p, q in zip(model.parameters(), initial.parameters()))  # it stepped
    assert all(p.grad is None for p in model.parameters())  # zeroed for the next step
