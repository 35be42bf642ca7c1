import gzip
import json
from pathlib import Path

import pytest
import torch

from mixtures.shards import TokenizeConfig, tokenize
from mixtures.tokenizer import TokenizerConfig, train_tokenizer
from train.config import load_train_config


def _sample_jsonl(shared: Path, out: Path, per_file: int) -> Path:
    """A small bilingual sample of the reference text (first lines of each file), one doc a line."""
    with open(out, "w") as f:
        for name in ("en-wikitext2.txt.gz", "zh-csl-abstracts.txt.gz"):
            with gzip.open(shared / "reference" / name, "rt", encoding="utf-8") as src:
                n = 0
                for line in src:
                    if len(line.strip()) > 20:
                        f.write(json.dumps({"text": line.strip(), "source": name.split("-")[0]}, ensure_ascii=False) + "\n")
                        n += 1
                    if n >= per_file:
                        break
    return out


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny models on a shared 2-core machine: one thread avoids oversubscription stalls."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def shards(shared_data, tmp_path_factory) -> Path:
    """Tokenizer + token shards from ~0.5 MB of real English and Chinese reference text."""
    root = tmp_path_factory.mktemp("shards")
    sample = _sample_jsonl(shared_data, root / "sample.jsonl", 1500)
    train_tokenizer([str(sample)], str(root / "tok"), TokenizerConfig(vocab_size=1000, char_budget=400_000,
                                                                     character_coverage=0.995))
    tokenize([str(sample)], str(root / "tok"), str(root / "shards"), TokenizeConfig(val_fraction=0.05, workers=1))
    return root / "shards"


@pytest.fixture
def run_config(shards, tmp_path):
    def make(**overrides):
        data = {"data": str(shards), "out_dir": str(tmp_path / "run"), "model": {"preset": "tiny", "d_model": 64,
                "n_layers": 2, "max_seq_len": 64}, "seq_len": 64, "batch_size": 8, "max_steps": 20,
                "log_every": 5, "eval_every": 10, "ckpt_every": 10, "eval_batches": 2, "progress": False,
                "optim": {"lr": 3e-3, "warmup_steps": 5}}
        return load_train_config(data=data, overrides=overrides)
    return make
