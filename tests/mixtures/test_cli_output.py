"""What `corpus tokenizer train`, `corpus tokenize` and `corpus mix build` print (a summary; JSON with
--json), and how `corpus mix search|build` end on Ctrl-C."""

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from tests.clirun import corpus
from tokens.tokenizer import TokenizerConfig, train_tokenizer


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    """A build-shaped kept table, a text-file source, a tokenizer and a mixture over them."""
    root = tmp_path_factory.mktemp("cli_output")
    docs = [(f"en-{i}", f"The river rose {i} feet in the spring flood and the valley filled.", "en") for i in range(60)]
    docs += [(f"zh-{i}", f"今天的天气很好，我们在第{i}天去公园散步。", "zh") for i in range(30)]
    (root / "kept").mkdir()
    pq.write_table(pa.table(dict(zip(("id", "text", "lang"), map(list, zip(*docs))))), root / "kept" / "00000.parquet")
    (root / "notes.txt").write_text("\n".join(f"Short note number {i} about lobsters." for i in range(40)))
    train_tokenizer([str(root / "kept"), str(root / "notes.txt")], str(root / "tok"), TokenizerConfig(vocab_size=400))
    mix = {
        "tokenizer": str(root / "tok"),
        "total_tokens": 3000,
        "seed": 0,
        "cache": str(root / "cache"),
        "sources": [
            {"name": "en", "inputs": [str(root / "kept")], "where": "lang = 'en'", "weight": 0.5},
            {"name": "zh", "inputs": [str(root / "kept")], "where": "lang = 'zh'", "weight": 0.3},
            {"name": "notes", "inputs": [str(root / "notes.txt")], "weight": 0.2},
        ],
    }
    (root / "mix.yaml").write_text(yaml.safe_dump(mix))
    return root


# command (given the inputs and an output directory), lines the summary holds, the JSON's keys
CASES = {
    "tokenizer train": (
        lambda root, out: ("tokenizer", "train", root / "kept", root / "notes.txt", "-o", out, "--vocab-size", 400),
        ["tokenizer: ", "/tokenizer.model (vocab 400, sha256 ", "trained on ", "bytes per token: 00000 ", ", notes "],
        {"trained_on", "bytes_per_token", "sha256"},
    ),
    "tokenize": (
        lambda root, out: ("tokenize", root / "kept", "-t", root / "tok", "-o", out, "--workers", 1),
        ["wrote ", "train: 8", " documents, ", " tokens in 1 shard"],
        {"train", "val"},
    ),
    "mix build": (
        lambda root, out: ("mix", "build", root / "mix.yaml", "-o", out),
        ["wrote ", "(seed 0, budget 3,000 tokens)", "train: ", "source | weight | docs | tokens | epochs", "notes "],
        {"en", "zh", "notes"},
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_summary_by_default_and_the_same_json_with_a_flag(inputs, tmp_path, name):
    command, lines, keys = CASES[name]
    r = corpus(*command(inputs, tmp_path / "summary"))
    assert r.returncode == 0, r.stderr
    for line in lines:
        assert line in r.stdout, (line, r.stdout)
    assert str(tmp_path / "summary") in r.stdout  # says where it wrote
    with pytest.raises(json.JSONDecodeError):
        json.loads(r.stdout)
    r = corpus(*command(inputs, tmp_path / "json"), "--json")
    assert r.returncode == 0, r.stderr
    assert set(json.loads(r.stdout)) == keys


def test_mix_build_json_is_the_manifests_realised_counts(inputs, tmp_path):
    r = corpus("mix", "build", inputs / "mix.yaml", "-o", tmp_path / "out", "--json")
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert json.loads(r.stdout) == {n: s["realised"] for n, s in manifest["sources"].items()}
    summary = corpus("mix", "build", inputs / "mix.yaml", "-o", tmp_path / "again").stdout
    for n, s in manifest["sources"].items():
        row = next(line for line in summary.splitlines() if line.startswith(n + " "))
        assert f" {s['realised']['tokens']} " in row + " " and f"{s['realised']['tokens'] / s['available']:.2f}" in row


@pytest.mark.parametrize(
    "command,patched", [("search", "mixtures.search.run_search"), ("build", "mixtures.build.build")]
)
def test_ctrl_c_ends_with_one_line_and_exit_130(inputs, tmp_path, monkeypatch, command, patched):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(patched, interrupted)
    r = corpus("mix", command, inputs / "mix.yaml", "-o", tmp_path / "out")
    assert (r.returncode, r.stdout, r.stderr) == (130, "", "interrupted: rerun the same command to resume\n")
