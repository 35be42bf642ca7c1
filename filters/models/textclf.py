"""fastText supervised binary classifiers (quality, safety): training, scoring, held-out metrics."""

from __future__ import annotations

import math
import multiprocessing
import os
import random
import tempfile

import numpy as np

from filters.models.common import ft_line

POS, NEG = "__label__pos", "__label__neg"
MODEL_FILE = "model.ftz"
MIN_ROWS = 1000


def train_fasttext(
    pos: list[str],
    neg: list[str],
    out_path: str,
    params: dict,
    seed: int,
    threads: int,
    balance: bool = True,
    line_marks: bool = False,
) -> int:
    """Negatives are oversampled to the positives' count when `balance` (crawl negatives are scarce);
    `line_marks`: see common.ft_line (the classifier must be loaded with the same)."""
    rng = random.Random(seed)
    if balance and neg and len(neg) < len(pos):
        neg = neg + [rng.choice(neg) for _ in range(len(pos) - len(neg))]
    rows = [f"{POS} {ft_line(t, line_marks=line_marks)}" for t in pos] + [
        f"{NEG} {ft_line(t, line_marks=line_marks)}" for t in neg
    ]
    # a few dozen lines make fastText's learning-rate schedule jump in steps and, now and then,
    # diverge ("Encountered NaN"); repeating the data gives it MIN_ROWS lines (epochs scale down)
    repeat = max(1, -(-MIN_ROWS // max(1, len(rows))))
    rows = rows * repeat
    params = {**params, "epoch": max(1, round(params.get("epoch", 5) / repeat))}
    rng.shuffle(rows)
    with tempfile.TemporaryDirectory(prefix="ft-") as tmp:
        path = os.path.join(tmp, "train.txt")
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(rows) + "\n")
        # a fresh interpreter per training: in a process that has run other native trainers
        # (SentencePiece, KenLM) fastText was seen to diverge for seeds that train cleanly alone
        return in_fresh_process(_train, path, out_path, params, seed, threads)


def in_fresh_process(fn, *args):
    """fn(*args) in a spawned interpreter. A process, not a pool: a child that dies before answering (a
    script whose top level is not guarded re-runs itself in the child and fails there) ends the call with
    an error, where a pool would start a new child after each failed one and never return."""
    ctx = multiprocessing.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_answer, args=(send, fn, args))
    proc.start()
    send.close()
    try:
        ok, value = receive.recv()
    except EOFError:
        ok, value = False, None
    proc.join()
    if ok:
        return value
    if isinstance(value, BaseException):
        raise value
    if proc.exitcode < 0:
        raise RuntimeError(f"the training process was killed (signal {-proc.exitcode}) before it answered")
    raise RuntimeError(
        f"the training process ended (exit code {proc.exitcode}) before it trained: a script that trains "
        "models must put its top-level code under `if __name__ == '__main__':` (multiprocessing's spawn)"
    )


def _answer(send, fn, args) -> None:
    try:
        send.send((True, fn(*args)))
    except BaseException as e:  # noqa: BLE001 - the caller re-raises it
        send.send((False, e))
    finally:
        send.close()


def _train(path: str, out_path: str, params: dict, seed: int, threads: int) -> int:
    """thread=1 by default: fastText's Hogwild updates make multi-threaded training nondeterministic.
    A seed that still diverges ("Encountered NaN") is followed by the next; the seed used is returned."""
    import fasttext

    for used in range(seed, seed + 5):
        try:
            model = fasttext.train_supervised(input=path, seed=used, thread=threads, verbose=0, **params)
            break
        except RuntimeError as e:
            if "NaN" not in str(e) or used == seed + 4:
                raise
    model.save_model(out_path)
    return used


class Classifier:
    """`shift`: the log-odds subtracted from every probability (`shifted`); a quality model's manifest
    records the one that puts its language's cutoff at 0.5 (`from_dir`)."""

    def __init__(self, path: str, line_marks: bool = False, shift: float = 0.0):
        import fasttext

        self.model = fasttext.load_model(path)
        self.line_marks, self.shift = line_marks, shift

    @classmethod
    def from_dir(cls, model_dir) -> Classifier:
        """The model of a `corpus models train` folder, loaded as its manifest says."""
        from filters.models.common import read_manifest

        params = read_manifest(model_dir)["params"]
        return cls(os.path.join(model_dir, MODEL_FILE), bool(params.get("line_marks")), params.get("score_shift", 0.0))

    def __call__(self, texts: list[str]) -> list[float]:
        """Probability of the positive label per text (its log-odds less `shift`)."""
        labels, probs = self.model.predict([ft_line(t, line_marks=self.line_marks) for t in texts], k=2)
        out = []
        for lab, p in zip(labels, probs):
            d = dict(zip(lab, p))
            out.append(float(min(1.0, max(0.0, d.get(POS, 1.0 - d.get(NEG, 0.0))))))
        return shifted(out, self.shift)


def logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def shifted(scores: list, shift: float) -> list:
    """Each probability's log-odds less `shift` (a prior correction: the order within a language is
    unchanged); 0, 1 and None stay as they are."""
    if not shift:
        return list(scores)
    return [s if s is None or s <= 0.0 or s >= 1.0 else 1.0 / (1.0 + math.exp(shift - logit(s))) for s in scores]


def shift_note(params: dict) -> str:
    """' (probability P, score_shift S)' for a manifest whose scores are shifted: its 0.5 cutoff as the
    classifier's own probability; '' otherwise."""
    shift = params.get("score_shift")
    return f" (probability {shifted([0.5], -shift)[0]:.6g}, score_shift {shift:.4g})" if shift else ""


def auc(pos_scores: list[float], neg_scores: list[float]) -> float | None:
    from sklearn.metrics import roc_auc_score

    if not pos_scores or not neg_scores:
        return None
    y = np.r_[np.ones(len(pos_scores)), np.zeros(len(neg_scores))]
    return float(roc_auc_score(y, np.r_[pos_scores, neg_scores]))


def precision_recall(pos_scores: list[float], neg_scores: list[float], threshold: float) -> dict:
    tp = sum(s > threshold for s in pos_scores)
    fp = sum(s > threshold for s in neg_scores)
    fn = len(pos_scores) - tp
    return {
        "threshold": threshold,
        "precision": tp / (tp + fp) if tp + fp else None,
        "recall": tp / (tp + fn) if tp + fn else None,
        "positives": len(pos_scores),
        "negatives": len(neg_scores),
    }
