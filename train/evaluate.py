"""Evaluation: per-source validation loss and bits per byte, and multiple-choice tasks scored by the
log-likelihood of each option (the lm-evaluation-harness way), from MMLU / CMMLU / C-Eval CSVs."""

from __future__ import annotations

import glob
import math
import os
import random
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from train.model import Transformer


# ---------------------------------------------------------------- validation loss per source
@torch.no_grad()
def source_losses(
    model: Transformer,
    shard_dir: str,
    seq_len: int,
    max_tokens: int = 200_000,
    batch_size: int = 16,
    on_source: Callable[[str], None] | None = None,
) -> dict[str, dict]:
    """Loss per token (nats) and bits per byte for each source of the validation split.

    Bits per byte divide the total loss by the UTF-8 bytes the tokens encode, so numbers stay
    comparable across tokenizers (a coarser tokenizer has fewer, harder tokens).
    """
    import duckdb

    from tokens.shards import DOCS_FILE, open_split

    shards = open_split(shard_dir, "val")
    docs = duckdb.sql(
        f"select source, shard, \"offset\", tokens, bytes from '{os.path.join(shard_dir, DOCS_FILE)}' "
        "where split = 'val' order by source, shard, \"offset\""
    ).fetchall()
    by_source: dict[str, list] = {}
    for src, shard, off, n, b in docs:
        by_source.setdefault(src, []).append((shard, off, n, b))
    out = {}
    model.eval()
    for src, rows in by_source.items():
        stream, n_tok, n_bytes = [], 0, 0
        for shard, off, n, b in rows:
            if n_tok >= max_tokens:
                break
            stream.append(np.asarray(shards[shard][off : off + n], dtype=np.int64))
            n_tok, n_bytes = n_tok + n, n_bytes + b
        nll, count = _stream_nll(model, np.concatenate(stream), seq_len, batch_size)
        loss = nll / max(1, count)
        # tokens/bytes of the covered documents convert the per-token loss into bits per byte
        out[src] = {
            "loss": loss,
            "bpb": loss * n_tok / max(1, n_bytes) / math.log(2),
            "tokens": n_tok,
            "bytes": n_bytes,
            "docs": len(stream),
        }
        if on_source:
            on_source(src)
    return out


def val_sources(shard_dir: str) -> list[str]:
    import duckdb

    from tokens.shards import DOCS_FILE

    return [
        r[0]
        for r in duckdb.sql(
            f"select distinct source from '{os.path.join(shard_dir, DOCS_FILE)}' where split = 'val' order by source"
        ).fetchall()
    ]


def _stream_nll(model: Transformer, ids: np.ndarray, seq_len: int, batch_size: int) -> tuple[float, int]:
    """Summed next-token loss over non-overlapping windows of a token stream."""
    device = next(model.parameters()).device
    windows = [ids[i : i + seq_len + 1] for i in range(0, len(ids) - 1, seq_len)]
    total, count = 0.0, 0
    for b in range(0, len(windows), batch_size):
        group = windows[b : b + batch_size]
        width = max(len(w) for w in group)
        x = torch.full((len(group), width), -1, dtype=torch.long)
        for i, w in enumerate(group):
            x[i, : len(w)] = torch.from_numpy(w)
        inp, tgt = x[:, :-1].clamp(min=0).to(device), x[:, 1:].to(device)  # padding targets are -1: ignored
        logits, _ = model(inp)
        total += F.cross_entropy(logits.float().flatten(0, 1), tgt.flatten(), ignore_index=-1, reduction="sum").item()
        count += int((tgt >= 0).sum())
    return total, count


# ---------------------------------------------------------------- multiple choice
LETTERS = "ABCD"


def read_mc_csv(path: str) -> list[dict]:
    """Questions from the MMLU layout (question, choice0..choice3, answer 0-3) or the CMMLU / C-Eval
    layout (Question or question, A, B, C, D, Answer letter)."""
    import csv

    from corpus.core.files import open_text

    with open_text(path, newline="") as f:
        rows = list(csv.DictReader(f))
    cols = {c.lower(): c for c in (rows[0].keys() if rows else ())}
    if "choice0" in cols:
        opts, ans = [cols[f"choice{i}"] for i in range(4)], lambda v: int(v)
    elif all(k in cols for k in ("a", "b", "c", "d")):
        opts, ans = [cols[k] for k in "abcd"], lambda v: LETTERS.index(v.strip().upper())
    else:
        raise ValueError(f"{path}: neither the MMLU nor the CMMLU/C-Eval column layout: {list(cols.values())}")
    q, a = cols["question"], cols["answer"]
    return [{"question": r[q], "choices": [r[o] for o in opts], "answer": ans(r[a])} for r in rows]


def subject_of(path: str) -> str:
    name = os.path.basename(path).split(".")[0]
    for suffix in ("_test", "_dev", "_val"):
        name = name.removesuffix(suffix)
    return name


def format_question(item: dict, mode: str, lang: str) -> str:
    q_word, a_word = ("问题：", "答案：") if lang == "zh" else ("Question: ", "Answer:")
    text = q_word + item["question"].strip() + "\n"
    if mode == "letter":
        text += "".join(f"{L}. {c}\n" for L, c in zip(LETTERS, item["choices"]))
    return text + a_word


def continuation(item: dict, idx: int, mode: str) -> str:
    return " " + (LETTERS[idx] if mode == "letter" else str(item["choices"][idx]).strip())


@torch.no_grad()
def option_logprobs(model: Transformer, sp, context: str, options: list[str]) -> list[float]:
    """Sum of log p(option tokens | context) for each option, one padded batch per question."""
    device = next(model.parameters()).device
    ctx = sp.encode(context)
    conts = [sp.encode(o) for o in options]
    limit = model.cfg.max_seq_len
    seqs = [(ctx + c)[-(limit + 1) :] for c in conts]  # the context is cut from the left if too long
    width = max(len(s) for s in seqs) - 1
    x = torch.zeros((len(seqs), width), dtype=torch.long)
    for i, s in enumerate(seqs):
        x[i, : len(s) - 1] = torch.tensor(s[:-1])
    logp = torch.log_softmax(model(x.to(device))[0].float(), dim=-1)  # (n_options, T, V)
    scores = []
    for i, (s, c) in enumerate(zip(seqs, conts)):
        positions = range(len(s) - 1 - len(c), len(s) - 1)  # the logits that predict the option's tokens
        scores.append(sum(logp[i, p, s[p + 1]].item() for p in positions))
    return scores


def eval_mc_file(
    model, sp, test_path: str, dev_path: str | None, shots: int, mode: str, lang: str, sample: int, seed: int
) -> dict:
    items = read_mc_csv(test_path)
    if sample and len(items) > sample:
        items = random.Random(seed).sample(items, sample)
    header = ""
    if dev_path and shots:
        for ex in read_mc_csv(dev_path)[:shots]:
            header += format_question(ex, mode, lang) + continuation(ex, ex["answer"], mode) + "\n\n"
    correct = correct_norm = 0
    for item in items:
        opts = [continuation(item, i, mode) for i in range(len(item["choices"]))]
        scores = option_logprobs(model, sp, header + format_question(item, mode, lang), opts)
        normed = [s / max(1, len(o.encode("utf-8"))) for s, o in zip(scores, opts)]  # acc_norm: per byte
        correct += int(np.argmax(scores) == item["answer"])
        correct_norm += int(np.argmax(normed) == item["answer"])
    n = len(items)
    # guessing: one in the number of options, averaged over the questions
    chance = sum(1 / max(1, len(item["choices"])) for item in items) / max(1, n)
    return {"n": n, "acc": correct / max(1, n), "acc_norm": correct_norm / max(1, n), "chance": chance}


def mc_tests(root: str) -> list[str]:
    return sorted(glob.glob(os.path.join(root, "test", "*.csv*")))


def mc_test_files(root: str, subjects: list[str] | None = None) -> list[str]:
    tests = mc_tests(root)
    if not tests:
        raise FileNotFoundError(f"{root}/test/ holds no CSV files")
    return [p for p in tests if not subjects or subject_of(p) in subjects]


def eval_mc_task(
    model,
    sp,
    root: str,
    shots: int = 5,
    mode: str = "cloze",
    lang: str = "en",
    sample: int = 0,
    seed: int = 0,
    subjects: list[str] | None = None,
    on_subject: Callable[[str], None] | None = None,
) -> dict:
    """A task directory with test/ (and dev/ for few-shot examples) holding one CSV per subject."""
    tests = mc_test_files(root, subjects)
    dev = {subject_of(p): p for p in glob.glob(os.path.join(root, "dev", "*.csv*"))}
    per_subject = {}
    for path in tests:
        subject = subject_of(path)
        per_subject[subject] = eval_mc_file(model, sp, path, dev.get(subject), shots, mode, lang, sample, seed)
        if on_subject:
            on_subject(subject)
    n = sum(r["n"] for r in per_subject.values())
    overall = {k: sum(r[k] * r["n"] for r in per_subject.values()) / max(1, n) for k in ("acc", "acc_norm", "chance")}
    return {"n": n, **overall, "subjects": per_subject, "shots": shots, "mode": mode}
