"""SentencePiece BPE tokenizer trained the way Yi describes its own.

Numbers split into single digits, byte fallback for rare characters (no unknown tokens), identity
normalisation (no NFKC: full-width Chinese punctuation stays as written), no dummy prefix, and
whitespace kept as is. Saved as `DIR/tokenizer.model` with `DIR/manifest.json`.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from typing import Iterator

from corpus.core.configlib import check
from corpus.core.files import file_sha256
from tokens.sources import SourceDoc, check_inputs, expand, iter_docs, source_name

MODEL_FILE = "tokenizer.model"
MANIFEST_FILE = "manifest.json"
# special ids fixed so that shards and the exported Llama config agree on them
PAD_ID, UNK_ID, BOS_ID, EOS_ID = 0, 1, 2, 3


@dataclass(frozen=True)
class TokenizerConfig:
    vocab_size: int = 64000  # Yi's full-scale vocabulary; proxies use a few thousand
    char_budget: int = 20_000_000  # characters of training text, shared evenly by the inputs
    character_coverage: float = 0.9999
    max_line_chars: int = 4096  # SentencePiece trains on lines; longer ones are cut into pieces
    threads: int = 2

    def __post_init__(self):
        check(self.vocab_size >= 300, "vocab_size", "must be at least 300 (256 byte pieces + specials)")
        check(self.char_budget > 0, "char_budget", "must be positive")


def _lines(docs: Iterator[SourceDoc], budget: int, max_chars: int) -> Iterator[str]:
    used = 0
    for doc in docs:
        for line in doc.text.split("\n"):
            for i in range(0, len(line), max_chars):
                piece = line[i : i + max_chars]
                if piece.strip():
                    yield piece
                    used += len(piece)
                    if used >= budget:
                        return


def training_lines(inputs: list[str], cfg: TokenizerConfig, where: str = "") -> Iterator[str]:
    """Each input file gets an equal share of the budget, so a bilingual mix stays bilingual."""
    files = expand(inputs)
    per_file = max(1, cfg.char_budget // max(1, len(files)))
    for f in files:
        yield from _lines(iter_docs([f], where=where if f.endswith(".parquet") else ""), per_file, cfg.max_line_chars)


def train_tokenizer(inputs: list[str], out_dir: str, cfg: TokenizerConfig, where: str = "") -> dict:
    import itertools

    import sentencepiece as spm

    check_inputs(inputs, where)
    stats = {"lines": 0, "chars": 0}

    def counted():
        for line in training_lines(inputs, cfg, where):
            stats["lines"] += 1
            stats["chars"] += len(line)
            yield line

    lines = counted()
    first = next(lines, None)
    if first is None:
        raise ValueError("the inputs hold no text to train on" + (f" where {where}" if where else ""))
    os.makedirs(out_dir, exist_ok=True)
    try:
        spm.SentencePieceTrainer.train(
            sentence_iterator=itertools.chain([first], lines),
            model_prefix=os.path.join(out_dir, "tokenizer"),
            model_type="bpe",
            vocab_size=cfg.vocab_size,
            character_coverage=cfg.character_coverage,
            split_digits=True,
            byte_fallback=True,
            normalization_rule_name="identity",
            add_dummy_prefix=False,
            remove_extra_whitespaces=False,
            allow_whitespace_only_pieces=True,
            split_by_whitespace=True,
            max_sentence_length=cfg.max_line_chars * 4,
            num_threads=cfg.threads,
            pad_id=PAD_ID,
            unk_id=UNK_ID,
            bos_id=BOS_ID,
            eos_id=EOS_ID,
            input_sentence_size=0,
            minloglevel=2,
        )
    except RuntimeError as e:  # SentencePiece's own checks (e.g. a vocabulary smaller than the characters seen)
        first_line = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ValueError(f"SentencePiece refused the training: {first_line.split('] ')[-1]}") from None
    model_path = os.path.join(out_dir, MODEL_FILE)
    manifest = {
        "model": MODEL_FILE,
        "sha256": file_sha256(model_path),
        "inputs": [os.path.abspath(p) for p in expand(inputs)],
        "where": where,
        "params": asdict(cfg),
        "trained_on": stats,
        "special_ids": {"pad": PAD_ID, "unk": UNK_ID, "bos": BOS_ID, "eos": EOS_ID},
        "bytes_per_token": _bytes_per_token(model_path, inputs),
    }
    with open(os.path.join(out_dir, MANIFEST_FILE), "w") as f:
        json.dump(manifest, f, indent=2, ensure_ascii=False)
    return manifest


def _bytes_per_token(model_path: str, inputs: list[str], sample_docs: int = 200) -> dict[str, float]:
    """Compression per input (its first documents): the usual way to compare tokenizers."""
    sp = load(model_path)
    out = {}
    for f in expand(inputs):
        n_bytes = n_tok = 0
        for i, doc in enumerate(iter_docs([f])):
            if i >= sample_docs:
                break
            n_bytes += len(doc.text.encode("utf-8"))
            n_tok += len(sp.encode(doc.text))
        out[source_name(f)] = round(n_bytes / max(1, n_tok), 3)
    return out


def load(path: str):
    """A SentencePieceProcessor from a tokenizer directory or a .model file."""
    import sentencepiece as spm

    if os.path.isdir(path):
        path = os.path.join(path, MODEL_FILE)
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"tokenizer {path!r} not found (a directory made by `corpus tokenizer train`, or a .model file)"
        )
    return spm.SentencePieceProcessor(model_file=path)
