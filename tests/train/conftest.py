import json
from pathlib import Path

import pytest
import torch

from tokens.shards import TokenizeConfig, tokenize
from tokens.tokenizer import TokenizerConfig, train_tokenizer
from train.config import load_train_config


# the text the project ships for its demo: English and Chinese articles, reference paragraphs
DEMO_TEXT = [
    Path(__file__).resolve().parents[2] / p
    for p in (
        "corpus/data/demo/en_articles.txt",
        "corpus/data/demo/zh_articles.txt",
        "filters/data/demo/en_reference.txt",
        "filters/data/demo/zh_reference.txt",
    )
]


def _sample_jsonl(out: Path) -> Path:
    """The shipped demo text, one paragraph a document (about 30 KB of English and Chinese)."""
    with open(out, "w") as f:
        for path in DEMO_TEXT:
            source = path.name.split("_")[0]
            for line in path.read_text(encoding="utf-8").splitlines():
                if len(line.strip()) > 20 and not line.startswith("#"):
                    f.write(json.dumps({"text": line.strip(), "source": source}, ensure_ascii=False) + "\n")
    return out


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny models on a shared 2-core machine: one thread avoids oversubscription stalls."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def shards(tmp_path_factory) -> Path:
    """Tokenizer + token shards from the shipped demo text: self-contained, no shared data needed."""
    root = tmp_path_factory.mktemp("shards")
    sample = _sample_jsonl(root / "sample.jsonl")
    train_tokenizer(
        [str(sample)], str(root / "tok"), TokenizerConfig(vocab_size=1000, char_budget=400_000, character_coverage=0.98)
    )
    tokenize([str(sample)], str(root / "tok"), str(root / "shards"), TokenizeConfig(val_fraction=0.05, workers=1))
    return root / "shards"


@pytest.fixture
def run_config(shards, tmp_path):
    def make(**overrides):
        data = {
            "data": str(shards),
            "out_dir": str(tmp_path / "run"),
            "model": {"preset": "tiny", "d_model": 64, "n_layers": 2, "max_seq_len": 64},
            "seq_len": 64,
            "batch_size": 8,
            "max_steps": 20,
            "log_every": 5,
            "eval_every": 10,
            "ckpt_every": 10,
            "eval_batches": 2,
            "progress": False,
            "optim": {"lr": 3e-3, "warmup_steps": 5},
        }
        return load_train_config(data=data, overrides=overrides)

    return make
