"""k-means over document embeddings: fitted on a sample, then applied to every document in batches.

Language-mean subtraction: each language's mean embedding (over the sample) is taken off its
documents before normalising, so the direction shared by all documents of one language no longer
dominates the distances and clusters gather documents of every language by what they are about.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from labels.embed import normalise

OTHER_LANG = "*"  # documents of a language the sample did not hold take the overall mean off


@dataclass
class ClusterModel:
    centroids: np.ndarray  # (k, dim), rows L2-normalised
    lang_means: dict[str, np.ndarray]  # empty: no subtraction

    def center(self, emb: np.ndarray, langs: list[str | None]) -> np.ndarray:
        if not self.lang_means:
            return normalise(emb)
        other = self.lang_means[OTHER_LANG]
        means = np.stack([self.lang_means.get(lang or OTHER_LANG, other) for lang in langs]) if langs else emb[:0]
        return normalise(emb - means)

    def assign(self, emb: np.ndarray, langs: list[str | None]) -> tuple[np.ndarray, np.ndarray]:
        """(cluster id, cosine distance to its centroid) per row."""
        sims = self.center(emb, langs) @ self.centroids.T
        ids = sims.argmax(1)
        return ids.astype(np.int64), (1.0 - sims[np.arange(len(ids)), ids]).astype(np.float64)

    def save(self, path: str) -> None:
        langs = sorted(self.lang_means)
        np.savez(
            path,
            centroids=self.centroids,
            langs=np.array(langs, dtype=object),
            means=np.stack([self.lang_means[x] for x in langs]) if langs else np.zeros((0, 0)),
        )

    @classmethod
    def load(cls, path: str) -> "ClusterModel":
        z = np.load(path, allow_pickle=True)
        return cls(z["centroids"], {lang: m for lang, m in zip(z["langs"].tolist(), z["means"])})


def language_means(emb: np.ndarray, langs: list[str | None]) -> dict[str, np.ndarray]:
    out = {OTHER_LANG: emb.mean(0)}
    arr = np.array([lang or OTHER_LANG for lang in langs], dtype=object)
    for lang in sorted(set(arr.tolist()) - {OTHER_LANG}):
        out[lang] = emb[arr == lang].mean(0)
    return out


def fit(emb: np.ndarray, langs: list[str | None], k: int, seed: int, subtract: bool = True) -> ClusterModel:
    from sklearn.cluster import MiniBatchKMeans

    k = max(1, min(k, len(emb) // 4 or 1))
    means = language_means(emb, langs) if subtract else {}
    x = ClusterModel(np.zeros((0, emb.shape[1])), means).center(emb, langs)
    km = MiniBatchKMeans(n_clusters=k, random_state=seed, n_init=3, batch_size=2048, max_iter=200)
    km.fit(x)
    return ClusterModel(normalise(km.cluster_centers_), means)


# ---------------------------------------------------------------- what a cluster is about
def terms(text: str, max_chars: int = 2000) -> list[str]:
    """English words of 3+ letters; Chinese character bigrams (a word-like unit without a segmenter)."""
    from filters.models.common import tokens

    toks = tokens(text, max_chars)
    out, prev_han = [], None
    for t in toks:
        han = len(t) == 1 and "\u3400" <= t <= "\u9fff"
        if han and prev_han:
            out.append(prev_han + t)
        elif not han and t.isalpha() and len(t) >= 3:
            out.append(t)
        prev_han = t if han else None
    return out


STOP = frozenset(
    "the and for that with this from have has was were are not but his her its they you she him "
    "who will would been their said which about more than also into after over when what can "
    "all one out there our had how new".split()
)


def top_terms(texts: list[str], ids: np.ndarray, n: int) -> dict[int, list[str]]:
    """Per cluster, the terms most over-represented against the whole sample (document frequency
    ratio, smoothed), among terms in at least two of its documents."""
    df_all: Counter = Counter()
    df_by: dict[int, Counter] = {}
    size: Counter = Counter(ids.tolist())
    for text, c in zip(texts, ids.tolist()):
        ts = set(terms(text)) - STOP
        df_all.update(ts)
        df_by.setdefault(c, Counter()).update(ts)
    total = len(texts)
    out = {}
    for c, df in df_by.items():
        scored = [(df[t] / size[c]) * np.log((total + 1) / (df_all[t] + 1)) for t in df]
        order = sorted(zip(scored, df), key=lambda x: (-x[0], x[1]))
        out[c] = [t for s, t in order if df[t] >= 2][:n]
    return out
