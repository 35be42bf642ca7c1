"""Coherence model: a logistic regression over drift features, trained on original vs spliced text.

Negatives are made from the positives themselves: the first part of one document followed by
the rest of an unrelated one, a block of one document inserted into another, and the segments
of two documents shuffled together. The model (weights, feature scaling, IDF table) is plain JSON +
NumPy, so scoring needs neither scikit-learn nor pickles.
"""

from __future__ import annotations

import json
import os
import random

import numpy as np

from filters.models.coherence_features import FEATURES, TextSegment, document_frequencies, features, segments
from filters.units import HAN

MODEL_FILE = "coherence.json"
IDF_FILE = "idf.npy"


def _join(segs: list[TextSegment], text: str) -> str:
    """Rejoin segments the way the source document separated them, so splices look like originals."""
    sep = "\n" if "\n" in text.strip() else ("" if _mostly_han(text) else " ")
    return sep.join(s.text for s in segs)


def _mostly_han(text: str) -> bool:
    han = len(HAN.findall(text[:500]))
    return han > 0.3 * max(1, len(text[:500]))


def make_negatives(docs: list[str], seed: int) -> list[str]:
    """One negative per document with at least two segments: splice, insertion or shuffled mix in turn."""
    rng = random.Random(seed)
    segged = [(d, segments(d)) for d in docs]
    segged = [(d, s) for d, s in segged if len(s) >= 2]
    out = []
    for i, (text, segs) in enumerate(segged):
        j = rng.randrange(len(segged) - 1) if len(segged) > 1 else 0
        j = j + 1 if j >= i else j
        other = segged[j][1] if len(segged) > 1 else segs
        kind = i % 3
        if kind == 0:  # head of this document, tail of another
            k, m = rng.randint(1, len(segs) - 1), rng.randint(0, len(other) - 1)
            mixed = segs[:k] + other[m:][: max(1, len(segs) - k)]
        elif kind == 1:  # a block of another document inside this one
            k = rng.randint(1, len(segs) - 1)
            m = rng.randint(0, len(other) - 1)
            mixed = segs[:k] + other[m : m + max(1, len(segs) // 3)] + segs[k:]
        else:  # pieces of both documents, shuffled together
            half = max(1, len(segs) // 2)
            mixed = segs[:half] + other[:half]
            rng.shuffle(mixed)
        out.append(_join(mixed, text))
    return out


class CoherenceModel:
    def __init__(self, model_dir: str):
        spec = json.loads(open(os.path.join(model_dir, MODEL_FILE), encoding="utf-8").read())
        self.coef = np.asarray(spec["coef"], dtype=np.float64)
        self.intercept = float(spec["intercept"])
        self.mean = np.asarray(spec["mean"], dtype=np.float64)
        self.scale = np.asarray(spec["scale"], dtype=np.float64)
        self.idf = np.load(os.path.join(model_dir, IDF_FILE))

    def __call__(self, text: str) -> tuple[float | None, int, float | None]:
        """(probability of coherent, character offset of the weakest boundary or -1, its similarity)."""
        segs = segments(text)
        got = features(segs, self.idf)
        if got is None:
            return None, -1, None
        f, right, sim = got
        z = float(((expand(f[None, :])[0] - self.mean) / self.scale) @ self.coef + self.intercept)
        return 1.0 / (1.0 + np.exp(-z)), segs[right].start, float(sim)


def expand(x: np.ndarray) -> np.ndarray:
    """Features plus their pairwise products (degree-2 terms): drift matters jointly with length.
    x: (N, F) -> (N, F + F(F+1)/2)."""
    i, j = np.triu_indices(x.shape[1])
    return np.hstack([x, x[:, i] * x[:, j]])


def feature_matrix(docs: list[str], idf: np.ndarray) -> np.ndarray:
    rows = [features(segments(d), idf) for d in docs]
    return np.asarray([r[0] for r in rows if r is not None]).reshape(-1, len(FEATURES))


def train_coherence(pos_docs: list[str], out_dir: str, seed: int) -> dict:
    from sklearn.linear_model import LogisticRegression

    idf = document_frequencies(pos_docs)
    xp = feature_matrix(pos_docs, idf)
    xn = feature_matrix(make_negatives(pos_docs, seed), idf)
    x = expand(np.vstack([xp, xn]))
    y = np.r_[np.ones(len(xp)), np.zeros(len(xn))]
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    clf = LogisticRegression(C=0.3, max_iter=5000, random_state=seed).fit((x - mean) / scale, y)
    spec = {
        "features": list(FEATURES),
        "coef": clf.coef_[0].tolist(),
        "intercept": float(clf.intercept_[0]),
        "mean": mean.tolist(),
        "scale": scale.tolist(),
    }
    with open(os.path.join(out_dir, MODEL_FILE), "w", encoding="utf-8") as f:
        json.dump(spec, f, indent=1)
    np.save(os.path.join(out_dir, IDF_FILE), idf)
    return {"train_positives": int(len(xp)), "train_negatives": int(len(xn))}


def evaluate(model: CoherenceModel, held_docs: list[str], seed: int) -> dict:
    from filters.models.textclf import auc

    pos = [s for s in (model(d)[0] for d in held_docs) if s is not None]
    neg = [s for s in (model(d)[0] for d in make_negatives(held_docs, seed + 1)) if s is not None]
    return {"auc_spliced_vs_original": auc(pos, neg), "heldout_original": len(pos), "heldout_spliced": len(neg)}
