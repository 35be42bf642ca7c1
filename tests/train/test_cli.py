import csv
import json

import yaml
from typer.testing import CliRunner

from corpus.cli import make_app

app = make_app(("mixtures.cli", "train.cli"))
runner = CliRunner()


def _tiny_mc_task(root):
    """Two subjects of two questions each, in the MMLU CSV layout."""
    rows = {
        "colours": [
            ("The sky on a clear day is", "blue", "green", "red", "black", 0),
            ("Grass is", "purple", "green", "white", "orange", 1),
        ],
        "sums": [
            ("Two plus two is", "three", "five", "four", "six", 2),
            ("Ten minus one is", "nine", "eight", "seven", "eleven", 0),
        ],
    }
    for split in ("test", "dev"):
        (root / split).mkdir(parents=True)
        for subject, items in rows.items():
            with open(root / split / f"{subject}_{split}.csv", "w", newline="") as f:
                w = csv.writer(f)
                w.writerow(["question", "choice0", "choice1", "choice2", "choice3", "answer"])
                w.writerows(items)
    return root


def invoke(*args):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def test_tokenizer_shards_train_eval_export_upscale_and_extend_context(shards, tmp_path):
    sample = shards.parent / "sample.jsonl"
    invoke(
        "tokenizer",
        "train",
        sample,
        "-o",
        tmp_path / "tok",
        "--vocab-size",
        1000,
        "--chars",
        200_000,
        "--coverage",
        0.98,
    )
    out = json.loads(
        invoke(
            "tokenize",
            sample,
            "-t",
            tmp_path / "tok",
            "-o",
            tmp_path / "sh",
            "--workers",
            1,
            "--val-fraction",
            0.05,
            "--json",
        )
        .strip()
        .splitlines()[-1]
    )
    assert out["train"]["tokens"] > 10 * out["val"]["tokens"] > 0
    run = {
        "data": str(tmp_path / "sh"),
        "out_dir": str(tmp_path / "run"),
        "seq_len": 32,
        "batch_size": 4,
        "model": {"preset": "tiny", "d_model": 64, "n_layers": 2, "max_seq_len": 32},
        "max_steps": 6,
        "log_every": 3,
        "eval_every": 6,
        "ckpt_every": 6,
        "eval_batches": 1,
        "progress": False,
        "cpu_threads": 1,
    }
    (tmp_path / "train.yaml").write_text(yaml.safe_dump(run))
    invoke("train", "-c", tmp_path / "train.yaml", "--set", "optim.warmup_steps=2")
    assert len((tmp_path / "run" / "log.jsonl").read_text().splitlines()) == 2

    mc = _tiny_mc_task(tmp_path / "quiz")
    result = runner.invoke(
        app,
        [
            "eval",
            str(tmp_path / "run"),
            "--data",
            str(tmp_path / "sh"),
            "--mc",
            str(mc),
            "--shots",
            "1",
            "-o",
            str(tmp_path / "eval.json"),
        ],
    )
    assert result.exit_code == 0, result.output + repr(result.exception)
    ev = json.loads((tmp_path / "eval.json").read_text())
    assert set(ev["val"]) == {"en", "zh"}  # the JSONL's source field
    assert all(0 < v["bpb"] < 20 and v["tokens"] > 0 for v in ev["val"].values())
    assert ev["quiz"]["n"] == 4 and set(ev["quiz"]["subjects"]) == {"colours", "sums"}
    assert ev["quiz"]["chance"] == 0.25  # four options
    # the terminal gets progress per task and a short table, not the JSON
    assert "validation: 2/2 sources" in result.stderr and "quiz: 2/2 subjects" in result.stderr
    table = result.stdout.splitlines()
    assert len(table) < 10 and not result.stdout.lstrip().startswith("{")
    assert any(line.startswith("val en ") for line in table)
    assert any(
        line.startswith("quiz ") and f"{ev['quiz']['acc']:.3f}" in line and "4 questions" in line for line in table
    )
    invoke("export", tmp_path / "run", "-o", tmp_path / "hf")
    assert {p.name for p in (tmp_path / "hf").iterdir()} == {"config.json", "model.safetensors", "tokenizer.model"}

    report = json.loads(
        invoke(
            "train",
            "upscale",
            tmp_path / "run",
            "-o",
            tmp_path / "up",
            "--start",
            0,
            "--end",
            1,
            "--data",
            tmp_path / "sh",
            "--seq-len",
            32,
            "--batches",
            1,
        )
    )
    assert report["layers_after"] == 3 and len(report["layer_cosine"]) == 2

    # Yi's context extension: the upscaled weights, a larger RoPE base, longer sequences
    ext = dict(
        run,
        out_dir=str(tmp_path / "ext"),
        init_from=str(tmp_path / "up"),
        seq_len=64,
        model={"rope_theta": 100000.0, "max_seq_len": 64},
        max_steps=3,
        log_every=3,
        ckpt_every=3,
    )
    (tmp_path / "ext.yaml").write_text(yaml.safe_dump(ext))
    invoke("train", "-c", tmp_path / "ext.yaml")
    model_json = json.loads(next((tmp_path / "ext" / "ckpt").glob("step_*/model.json")).read_text())
    assert (model_json["rope_theta"], model_json["max_seq_len"], model_json["n_layers"]) == (100000.0, 64, 3)

    bad = dict(ext, model={"d_model": 32})
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(bad))
    result = runner.invoke(app, ["train", "-c", str(tmp_path / "bad.yaml")])
    assert result.exit_code == 2 and "config key 'model'" in result.output
