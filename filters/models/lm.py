"""SentencePiece + 5-gram KenLM per language (the CCNet recipe) and its per-document perplexity.

Estimation runs KenLM's own `lmplz` and `build_binary` (built by scripts/build_kenlm.sh into the
virtualenv); scoring uses the `kenlm` query module. Perplexity follows CCNet: every non-empty
line is normalised, cut into pieces, scored with sentence boundaries, and the document's
perplexity is 10 ** (-sum(log10 p) / sum(pieces + 1)).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from filters.models.common import normalize_line

SP_MODEL = "sp.model"
LM_BINARY = "lm.bin"
PERCENTILES = (5, 10, 25, 30, 50, 60, 75, 90, 95, 99)


def kenlm_tool(name: str) -> str:
    """lmplz / build_binary next to the running interpreter first, then on PATH."""
    here = Path(sys.executable).parent / name
    found = str(here) if here.exists() else shutil.which(name)
    if not found:
        raise FileNotFoundError(f"KenLM's {name} is missing: run scripts/build_kenlm.sh (part of `make install`)")
    return found


def doc_lines(text: str) -> list[str]:
    return [n for n in (normalize_line(line) for line in text.split("\n")) if n]


def train_sentencepiece(lines: list[str], out_path: str, vocab_size: int, seed: int, threads: int) -> str:
    import io

    import sentencepiece as spm

    spm.set_random_generator_seed(seed)
    # every character kept by character_coverage needs its own piece: never ask for fewer
    vocab_size = max(vocab_size, len({c for line in lines for c in line}) + 16)
    buf = io.BytesIO()  # model_writer, not model_prefix: the prefix (a temp path) would land in the model
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines),
        model_writer=buf,
        vocab_size=vocab_size,
        model_type="unigram",
        character_coverage=0.9995,
        hard_vocab_limit=False,  # tiny corpora cannot fill a large vocabulary
        num_threads=threads,
        input_sentence_size=0,
        shuffle_input_sentence=False,
        minloglevel=2,
    )
    Path(out_path).write_bytes(buf.getvalue())
    return out_path


def train_kenlm(pieces_file: str, out_binary: str, order: int, memory: str, tmp: str) -> None:
    arpa = os.path.join(tmp, "lm.arpa")
    with open(pieces_file, "rb") as fin, open(arpa, "wb") as fout:
        # --discount_fallback: small corpora lack the counts-of-counts modified Kneser-Ney needs
        subprocess.run(
            [kenlm_tool("lmplz"), "-o", str(order), "-S", memory, "-T", tmp, "--discount_fallback"],
            stdin=fin,
            stdout=fout,
            stderr=subprocess.DEVNULL,
            check=True,
        )
    subprocess.run(
        [kenlm_tool("build_binary"), "-s", "trie", arpa, out_binary],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
    )


def train_lm(
    train_docs: list[str], out_dir: str, vocab_size: int, order: int, seed: int, threads: int, memory: str = "1G"
) -> None:
    import sentencepiece as spm

    lines = [line for d in train_docs for line in doc_lines(d)]
    with tempfile.TemporaryDirectory(prefix="kenlm-") as tmp:
        model = train_sentencepiece(lines, os.path.join(out_dir, SP_MODEL), vocab_size, seed, threads)
        sp = spm.SentencePieceProcessor(model_file=model)
        pieces_file = os.path.join(tmp, "pieces.txt")
        with open(pieces_file, "w", encoding="utf-8") as f:
            for pieces in sp.encode(lines, out_type=str):
                f.write(" ".join(pieces) + "\n")
        train_kenlm(pieces_file, os.path.join(out_dir, LM_BINARY), order, memory, tmp)


class Perplexity:
    """Loaded SentencePiece + KenLM pair; `__call__` scores a batch of documents."""

    def __init__(self, model_dir: str):
        import kenlm
        import sentencepiece as spm

        self.sp = spm.SentencePieceProcessor(model_file=os.path.join(model_dir, SP_MODEL))
        self.lm = kenlm.Model(os.path.join(model_dir, LM_BINARY))

    def __call__(self, texts: list[str]) -> list[float | None]:
        per_doc = [doc_lines(t) for t in texts]
        flat = [line for lines in per_doc for line in lines]
        pieces = iter(self.sp.encode(flat, out_type=str)) if flat else iter(())
        out = []
        for lines in per_doc:
            log10, length = 0.0, 0
            for _ in lines:
                p = next(pieces)
                log10 += self.lm.score(" ".join(p), bos=True, eos=True)
                length += len(p) + 1  # pieces plus </s>
            out.append(10.0 ** (-log10 / length) if length else None)
        return out


def percentiles(values: list[float]) -> dict[str, float]:
    arr = np.asarray([v for v in values if v is not None], dtype=np.float64)
    return {f"p{p}": float(np.percentile(arr, p)) for p in PERCENTILES} if arr.size else {}


def median(values: list[float | None]) -> float | None:
    arr = [v for v in values if v is not None]
    return float(np.median(arr)) if arr else None
