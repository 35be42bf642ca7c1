"""What `corpus train` and `corpus eval` say: plain progress lines with the validation loss when stderr is
not a terminal, a finished run started again says where it stands and how to go on, and the evaluation
table labels its counts and shows the chance baseline."""

import yaml
from typer.testing import CliRunner

from corpus.cli import make_app
from train.cli import eval_summary

app = make_app(("train.cli",))


def test_progress_in_a_log_is_plain_lines_and_a_finished_run_says_so(shards, tmp_path):
    run = {
        "data": str(shards),
        "out_dir": str(tmp_path / "run"),
        "seq_len": 32,
        "batch_size": 4,
        "model": {"preset": "tiny", "d_model": 64, "n_layers": 2, "max_seq_len": 32},
        "max_steps": 4,
        "log_every": 2,
        "eval_every": 2,
        "ckpt_every": 4,
        "eval_batches": 1,
        "cpu_threads": 1,
    }
    (tmp_path / "train.yaml").write_text(yaml.safe_dump(run))
    r = CliRunner().invoke(app, ["train", "-c", str(tmp_path / "train.yaml")])
    assert r.exit_code == 0, r.output
    assert "\r" not in r.stderr
    steps = [line for line in r.stderr.splitlines() if line.startswith("step ")]
    assert [s.split()[1] for s in steps] == ["2/4", "4/4"] and all(" val_loss " in s for s in steps), r.stderr

    again = CliRunner().invoke(app, ["train", "-c", str(tmp_path / "train.yaml")])
    assert again.exit_code == 0, again.output
    assert again.stdout.strip() != "{}"
    assert "already at step 4" in again.stdout and "--set max_steps=8" in again.stdout


def test_eval_table_labels_counts_and_shows_chance():
    result = {
        "val": {"en": {"loss": 3.2, "bpb": 1.1, "tokens": 12000}},
        "mmlu": {"n": 57, "acc": 0.18, "acc_norm": 0.2, "chance": 0.25},
    }
    table = eval_summary(result)
    header, _, val, mmlu = table.splitlines()
    assert "chance" in header
    assert "12,000 tokens" in val and "57 questions" in mmlu and "0.250" in mmlu and "0.180" in mmlu
