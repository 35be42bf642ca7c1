import csv
import json
import random

import pytest
import torch

from tokens.shards import TokenizeConfig, read_index, tokenize
from tokens.tokenizer import load
from train.config import load_train_config
from train.evaluate import eval_mc_task, read_mc_csv
from train.loop import train
from train.checkpoint import latest, load_model
from train.model import ModelConfig, Transformer


@pytest.mark.parametrize("layout,name", [("mmlu", "test/astronomy_test.csv.gz"), ("cmmlu", "test/astronomy.csv.gz")])
def test_reads_mmlu_and_cmmlu_layouts(shared_data, layout, name):
    items = read_mc_csv(str(shared_data / "eval" / layout / name))
    assert len(items) > 100
    assert all(len(i["choices"]) == 4 and 0 <= i["answer"] <= 3 for i in items)
    assert {i["answer"] for i in items} == {0, 1, 2, 3}


def test_untrained_model_scores_near_chance_over_all_subjects(shared_data, shards):
    torch.manual_seed(0)
    sp = load(read_index(str(shards))["tokenizer"])
    model = Transformer(
        ModelConfig(vocab_size=sp.get_piece_size(), d_model=64, n_layers=2, n_heads=4, n_kv_heads=2, max_seq_len=256)
    ).eval()
    n, acc = 0, 0.0
    for task, lang in (("mmlu", "en"), ("cmmlu", "zh")):
        r = eval_mc_task(model, sp, str(shared_data / "eval" / task), shots=1, lang=lang, sample=2)
        assert len(r["subjects"]) == {"mmlu": 57, "cmmlu": 67}[task]
        n, acc = n + r["n"], acc + r["acc_norm"] * r["n"]
    # 248 questions: one standard error of a 25% rate is 2.7 points; allow about three
    assert n == 248
    assert abs(acc / n - 0.25) < 0.08, acc / n


FACTS = [
    ("Mira", "turquoise"),
    ("Tobin", "saffron"),
    ("Quill", "crimson"),
    ("Asha", "olive"),
    ("Bram", "indigo"),
    ("Cato", "amber"),
    ("Dara", "silver"),
    ("Evin", "maroon"),
]


def test_planted_answers_are_scored_correctly(shards, tmp_path):
    """A model trained on text stating the answers picks them (CSV in the CMMLU letter layout)."""
    rng = random.Random(0)
    with open(tmp_path / "planted.jsonl", "w") as f:
        for _ in range(200):  # documents of three facts each, so that texts differ and the split is not empty
            facts = [rng.choice(FACTS) for _ in range(3)]
            text = "\n\n".join(f"Question: What is the favourite colour of {n}?\nAnswer: {c}" for n, c in facts)
            f.write(json.dumps({"text": text}) + "\n")
    index = read_index(str(shards))
    tokenize(
        [str(tmp_path / "planted.jsonl")],
        index["tokenizer"],
        str(tmp_path / "shards"),
        TokenizeConfig(val_fraction=0.1, workers=1),
    )
    cfg = load_train_config(
        data={
            "data": str(tmp_path / "shards"),
            "out_dir": str(tmp_path / "run"),
            "seq_len": 64,
            "batch_size": 8,
            "model": {"preset": "tiny", "d_model": 64, "n_layers": 2, "max_seq_len": 64},
            "max_steps": 120,
            "log_every": 10,
            "eval_every": 120,
            "ckpt_every": 120,
            "eval_batches": 1,
            "progress": False,
            "optim": {"lr": 5e-3, "warmup_steps": 5, "schedule": "constant"},
        }
    )
    train(cfg)
    (tmp_path / "task" / "test").mkdir(parents=True)
    with open(tmp_path / "task" / "test" / "colours.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["", "Question", "A", "B", "C", "D", "Answer"])
        for i, (name, colour) in enumerate(FACTS):
            others = [c for _, c in FACTS if c != colour]
            options = rng.sample(others, 3) + [colour]
            rng.shuffle(options)
            w.writerow([i, f"What is the favourite colour of {name}?", *options, "ABCD"[options.index(colour)]])
    model = load_model(latest(cfg.out_dir)).eval()
    r = eval_mc_task(model, load(index["tokenizer"]), str(tmp_path / "task"), shots=0)
    assert r["n"] == len(FACTS)
    assert r["acc"] == 1.0, r
