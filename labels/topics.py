"""fastText topic and format classifiers: training on the labelled sets, held-out metrics, labelling.

One bilingual model per label family. Chinese is tokenised one Han character at a time
(filters.models.common.tokens), so wordNgrams=2 gives character bigrams there; English gets
word bigrams plus subword character n-grams. Held-out splits are by content hash, per set.
"""

from __future__ import annotations

import os
import random
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from filters.models.common import ensure_dir, model_checksum, sha256_texts, split, write_manifest
from filters.models.common import ft_line
from labels import sources
from labels.sources import LabelledSet

TOPIC_FILE, FORMAT_FILE = "topic.ftz", "format.ftz"
PREFIX = "__label__"
MAX_CHARS = 2000  # a document's label is read from its first characters


@dataclass(frozen=True)
class TopicParams:
    seed: int = 0
    threads: int = 1  # 1 keeps fastText deterministic
    heldout: float = 0.2
    # chosen on the held-out splits among epoch 10-30, dim 32-100, lr 0.3-1.0, word 2-3-grams:
    # differences were within a point; quantising cost about a point on THUCNews
    fasttext: dict = field(
        default_factory=lambda: {
            "epoch": 10,
            "lr": 0.5,
            "wordNgrams": 2,
            "dim": 32,
            "minCount": 1,
            "bucket": 400_000,
            "minn": 0,
            "maxn": 0,
            "loss": "softmax",
        }
    )
    quantize: bool = False
    # the smallest format sets are repeated up to this many rows so the model does not ignore them
    min_rows_per_label: int = 2000
    max_rows_per_set: int = 0  # 0: every row; else an evenly spaced subset (quick models for tests)


def topics_dir(root: str | Path) -> Path:
    return Path(root) / "topics"


def has_topic_model(root: str | Path) -> bool:
    return (topics_dir(root) / "manifest.json").exists()


def _split_rows(s: LabelledSet, p: TopicParams) -> tuple[list, list]:
    rows = s.rows
    if p.max_rows_per_set and len(rows) > p.max_rows_per_set:
        rows = rows[:: -(-len(rows) // p.max_rows_per_set)]
    train, held = split([t for t, _ in rows], p.heldout, p.seed)
    label = dict(rows)
    return [(t, label[t]) for t in train], [(t, label[t]) for t in held]


def _upsample(rows: list[tuple[str, str]], n: int, seed: int) -> list[tuple[str, str]]:
    by: dict[str, list] = {}
    for r in rows:
        by.setdefault(r[1], []).append(r)
    rng, out = random.Random(seed), list(rows)
    for lab, rs in sorted(by.items()):
        if len(rs) < n:
            out += [rng.choice(rs) for _ in range(min(n, 10 * len(rs)) - len(rs))]
    return out


def train_model(rows: list[tuple[str, str]], out_path: str, p: TopicParams) -> int:
    from filters.models.textclf import in_fresh_process

    rows = list(rows)
    random.Random(p.seed).shuffle(rows)
    with tempfile.TemporaryDirectory(prefix="ft-topics-") as tmp:
        path = os.path.join(tmp, "train.txt")
        with open(path, "w", encoding="utf-8") as f:
            for text, lab in rows:
                f.write(f"{PREFIX}{lab} {ft_line(text, MAX_CHARS)}\n")
        raw = os.path.join(tmp, "model.bin")
        finish = _quantize if p.quantize else _copy
        # a fresh interpreter, as filters.models.textclf does
        return in_fresh_process(_train_and_finish, path, raw, out_path, p.fasttext, p.seed, p.threads, finish)


def _train_and_finish(path: str, raw: str, out_path: str, params: dict, seed: int, threads: int, finish) -> int:
    from filters.models.textclf import _train

    used = _train(path, raw, params, seed, threads)
    finish(raw, out_path, path)
    return used


def _quantize(raw: str, out_path: str, train_path: str) -> None:
    import fasttext

    m = fasttext.load_model(raw)
    m.quantize(input=train_path, qnorm=True, retrain=False, cutoff=200_000)
    m.save_model(out_path)


def _copy(raw: str, out_path: str, train_path: str) -> None:
    import shutil

    shutil.copyfile(raw, out_path)


class FtModel:
    def __init__(self, path: str | Path):
        import fasttext

        self.model = fasttext.load_model(str(path))
        self.labels = [lab[len(PREFIX) :] for lab in self.model.get_labels()]

    def proba(self, texts: list[str]) -> np.ndarray:
        """(n, labels) probabilities in the order of self.labels."""
        index = {PREFIX + lab: i for i, lab in enumerate(self.labels)}
        labs, probs = self.model.predict([ft_line(t, MAX_CHARS) for t in texts], k=-1)
        out = np.zeros((len(texts), len(self.labels)), dtype=np.float32)
        for i, (ls, ps) in enumerate(zip(labs, probs)):
            for lab, pr in zip(ls, ps):
                out[i, index[lab]] = pr
        return out

    def top(self, texts: list[str]) -> list[tuple[str, float]]:
        return self.top_lines([ft_line(t, MAX_CHARS) for t in texts])

    def top_lines(self, lines: list[str]) -> list[tuple[str, float]]:
        labs, probs = self.model.predict(lines, k=1)
        return [(ls[0][len(PREFIX) :], float(min(1.0, ps[0]))) for ls, ps in zip(labs, probs)]


class Labeller:
    """topic, topic_score, format, format_score for a batch of texts."""

    def __init__(self, root: str | Path):
        d = topics_dir(root)
        self.topic, self.format = FtModel(d / TOPIC_FILE), FtModel(d / FORMAT_FILE)

    def __call__(self, texts: list[str]) -> list[tuple[str, float, str, float]]:
        lines = [ft_line(t, MAX_CHARS) for t in texts]  # tokenising costs more than both predictions
        return [(t, ts, f, fs) for (t, ts), (f, fs) in zip(self.topic.top_lines(lines), self.format.top_lines(lines))]


# ---------------------------------------------------------------- held-out metrics
def macro_f1_within(model: FtModel, rows: list[tuple[str, str]], labels: list[str]) -> float:
    """Macro-F1 over a set's own labels: the prediction is the most probable of those labels."""
    from sklearn.metrics import f1_score

    cols = [model.labels.index(lab) for lab in labels]
    pred = np.asarray(labels)[model.proba([t for t, _ in rows])[:, cols].argmax(1)]
    return float(f1_score([y for _, y in rows], pred, labels=labels, average="macro"))


def promo_f1(model: FtModel, rows: list[tuple[str, str]]) -> dict:
    """ads/spam against the rest: positive when the top format is ads or spam."""
    from sklearn.metrics import f1_score, precision_score, recall_score

    y = [lab in sources.PROMO_FORMATS for _, lab in rows]
    pred = [lab in sources.PROMO_FORMATS for lab, _ in model.top([t for t, _ in rows])]
    return {
        "f1": float(f1_score(y, pred)),
        "precision": float(precision_score(y, pred)),
        "recall": float(recall_score(y, pred)),
        "positives": int(sum(y)),
        "rows": len(rows),
    }


def _set_inputs(sets: list[LabelledSet]) -> dict:
    return {
        s.name: {
            "path": s.path,
            "lang": s.lang,
            "rows": len(s.rows),
            "note": s.note,
            "labels": dict(sorted(_count(s.rows).items())),
            "sha256": sha256_texts([f"{lab}\t{t}" for t, lab in s.rows]),
        }
        for s in sets
    }


def _count(rows) -> dict:
    out: dict[str, int] = {}
    for _, lab in rows:
        out[lab] = out.get(lab, 0) + 1
    return out


def train_topics(data_root: str, models_root: str, p: TopicParams = TopicParams(), log=print) -> dict:
    """Both models into MODELS/topics/, with one manifest holding the held-out metrics per set."""
    t0 = time.time()
    out = ensure_dir(topics_dir(models_root))
    topic_sets = sources.load(data_root, sources.TOPIC_SETS)
    format_sets = sources.load(data_root, sources.FORMAT_SETS) + [sources.article_rows(topic_sets)]
    splits = {s.name: _split_rows(s, p) for s in topic_sets + format_sets}

    topic_train = [r for s in topic_sets for r in splits[s.name][0]]
    topic_seed = train_model(topic_train, os.path.join(out, TOPIC_FILE), p)
    format_train = _upsample([r for s in format_sets for r in splits[s.name][0]], p.min_rows_per_label, p.seed)
    format_seed = train_model(format_train, os.path.join(out, FORMAT_FILE), p)

    topic_model, format_model = FtModel(os.path.join(out, TOPIC_FILE)), FtModel(os.path.join(out, FORMAT_FILE))
    metrics = {"topic_macro_f1": {}, "format_promo_f1": {}, "heldout_rows": {}, "train_rows": {}}
    for s in topic_sets:
        held = splits[s.name][1]
        labels = sorted({lab for _, lab in s.rows})
        metrics["topic_macro_f1"][s.name] = round(macro_f1_within(topic_model, held, labels), 4)
    for s in format_sets:
        held = splits[s.name][1]
        if any(lab in sources.PROMO_FORMATS for _, lab in held):
            metrics["format_promo_f1"][s.name] = {
                k: round(v, 4) if isinstance(v, float) else v for k, v in promo_f1(format_model, held).items()
            }
    for s in topic_sets + format_sets:
        metrics["train_rows"][s.name], metrics["heldout_rows"][s.name] = map(len, splits[s.name])
    metrics["format_heldout_accuracy"] = round(
        _accuracy(format_model, [r for s in format_sets for r in splits[s.name][1]]), 4
    )
    params = {
        "fasttext": p.fasttext,
        "seed": p.seed,
        "fasttext_seeds": {"topic": topic_seed, "format": format_seed},
        "threads": p.threads,
        "heldout": p.heldout,
        "quantize": p.quantize,
        "max_chars": MAX_CHARS,
        "min_rows_per_label": p.min_rows_per_label,
        "topics": list(sources.TOPICS),
        "formats": list(sources.FORMATS),
        "split": "per set, by content hash of the text (filters.models.common.split)",
        "topic_metric": "macro-F1 over the set's own (mapped) labels; prediction = most probable of them",
        "promo_metric": "F1 of (top format in ads, spam) against the set's ads/spam labels",
    }
    manifest = write_manifest(
        out,
        "topics",
        "en+zh",
        _set_inputs(topic_sets + format_sets),
        params,
        metrics,
        t0,
        {"checksum": model_checksum(out)},
    )
    log(
        f"topics: {manifest['train_seconds']:.1f}s  topic macro-F1 {metrics['topic_macro_f1']}  "
        f"ads/spam F1 { {k: v['f1'] for k, v in metrics['format_promo_f1'].items()} }"
    )
    return manifest


def _accuracy(model: FtModel, rows) -> float:
    if not rows:
        return float("nan")
    return float(np.mean([lab == y for (lab, _), (_, y) in zip(model.top([t for t, _ in rows]), rows)]))
