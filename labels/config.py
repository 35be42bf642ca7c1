"""Config sections of the topic and cluster stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Literal

from corpus.core.configlib import DirPath, OnDisk, check
from labels.sources import FORMATS, TOPICS
from labels.topics import has_topic_model

EMBEDDERS = ("static", "e5", "sentence_transformers")
TopicModelsDir = Annotated[str, OnDisk("dir", holds=has_topic_model, what="topic model (`corpus models train topics`)")]


@dataclass(frozen=True)
class TopicConfig:
    # directory written by `corpus models train topics` (holds topics/); "": scorers.models_dir
    models_dir: TopicModelsDir = ""
    batch_size: int = 256
    # keep probability per topic or format label (1.0 for labels not listed); a document is kept
    # with the smallest probability among its two labels, drawn from a hash of its id and the seed
    keep: dict[str, float] = field(default_factory=dict)
    # a label below this score does not count for sampling (an unsure "ads" is not down-sampled)
    min_score: float = 0.0

    def __post_init__(self):
        check(self.batch_size >= 1, "topic.batch_size", "must be >= 1")
        check(0.0 <= self.min_score <= 1.0, "topic.min_score", "must be within [0, 1]")
        for label, p in self.keep.items():
            check(
                label in TOPICS + FORMATS,
                f"topic.keep.{label}",
                f"unknown label (topics: {', '.join(TOPICS)}; formats: {', '.join(FORMATS)})",
            )
            check(0.0 <= p <= 1.0, f"topic.keep.{label}", "a keep probability is within [0, 1]")


@dataclass(frozen=True)
class ClusterConfig:
    embedder: Literal["static", "e5", "sentence_transformers"] = "static"
    model_path: DirPath = ""  # sentence_transformers: a local model directory (never downloaded)
    # static embedder: directory written by `corpus models train topics` (its topic models embed); "": topic.models_dir
    models_dir: TopicModelsDir = ""
    k: int = 64  # clusters (fewer when the sample is smaller than 4 x k)
    sample_size: int = 20_000  # documents the k-means is fitted on (an evenly spaced sample)
    batch_size: int = 512  # documents embedded at once during assignment
    subtract_language_mean: bool = True  # so clusters hold every language instead of one each
    top_terms: int = 8
    samples_per_cluster: int = 5
    # per-cluster sampling weight written by `corpus clusters apply` (0 drops the cluster); clusters
    # not listed weigh 1. Cluster ids hold only for the build whose centroids made them.
    weights: dict[int, float] = field(default_factory=dict)

    def __post_init__(self):
        check(self.k >= 2, "cluster.k", "must be >= 2")
        check(self.sample_size >= self.k, "cluster.sample_size", "must be >= cluster.k")
        check(self.batch_size >= 1, "cluster.batch_size", "must be >= 1")
        check(self.top_terms >= 0, "cluster.top_terms", "must be >= 0")
        check(self.samples_per_cluster >= 0, "cluster.samples_per_cluster", "must be >= 0")
        check(
            self.embedder != "sentence_transformers" or bool(self.model_path),
            "cluster.model_path",
            "the sentence_transformers embedder needs a local model directory",
        )
        for cid, w in self.weights.items():
            check(w >= 0, f"cluster.weights.{cid}", "a weight is >= 0 (0 drops the cluster)")
