"""Builders of the `topic` stage (per document) and the `cluster` stage (corpus level).

topic: the fastText labeller annotates topic/format, then LabelSampler draws from a hash of the
id and drops what the keep probabilities say (reason downsampled_<label>).

cluster: (1) an evenly spaced sample of the survivors is embedded and k-means is fitted on it
(one process; its memory is bounded by cluster.sample_size); (2) every input file is embedded in
batches and each document's nearest centroid saved (one task per file, memory bounded by the
batch); (3) the files are read again and annotated with cluster_id, cluster_distance,
cluster_size and cluster_weight; clusters weighted 0 are dropped (cluster_dropped). The per-cluster
table (size, top terms, sample ids) goes to OUT/clusters/clusters.parquet for the `clusters` view.
"""

from __future__ import annotations

import json
import os
from typing import Mapping

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from corpus.core import vocab
from corpus.core.steps import ANY_LANG, Rule, Scorer, Stage, StageConfig, StageContext, ThresholdFilter
from labels.config import ClusterConfig, TopicConfig
from labels.sampling import LabelSampler, label_rules


# ---------------------------------------------------------------- topic
def topic_models_root(cfg: StageConfig) -> str:
    """topic.models_dir, else scorers.models_dir (a stage config that reads both: topic's or cluster's)."""
    from labels.topics import has_topic_model

    root = cfg.sections["topic"].models_dir or cfg.sections["scorers"].models_dir
    if not root or not has_topic_model(root):
        raise FileNotFoundError(
            f"no topic model under {root or '(topic.models_dir unset)'}: train one with "
            "`corpus models train topics --data DATA -o MODELS` and set topic.models_dir"
        )
    return root


class TopicScorer(Scorer):
    name = "topic and format labels"

    def __init__(self, models_root: str, batch_size: int):
        super().__init__()
        self.models_root, self.batch_size, self._labeller = models_root, batch_size, None

    def score(self, doc: Document) -> dict:
        return self.score_batch([doc])[0]

    def score_batch(self, docs: list[Document]) -> list[dict]:
        if self._labeller is None:
            from labels.topics import Labeller

            self._labeller = Labeller(self.models_root)
        return [
            {vocab.TOPIC_LABEL: t, vocab.TOPIC_SCORE: round(ts, 6), vocab.FORMAT: f, vocab.FORMAT_SCORE: round(fs, 6)}
            for t, ts, f, fs in self._labeller([d.text for d in docs])
        ]


def topic_rules(cfg: StageConfig[TopicConfig], models: dict | None = None) -> dict:
    return label_rules(cfg.section.keep, cfg.section.min_score)


def topic_model_records(cfg: StageConfig[TopicConfig]) -> dict:
    """{"*": {path, sha256}}: the one bilingual pair of label models, recorded in manifest.json."""
    from filters.models.common import model_checksum
    from labels.topics import topics_dir

    path = topics_dir(topic_models_root(cfg))
    return {ANY_LANG: {"path": str(path), "sha256": model_checksum(path), "cutoffs": {}}}


def topic(cfg: StageConfig[TopicConfig], ctx: StageContext) -> list:
    return [TopicScorer(topic_models_root(cfg), cfg.section.batch_size), LabelSampler(ctx, cfg.seed, topic_rules(cfg))]


# ---------------------------------------------------------------- cluster
class MemberRule(Rule):
    """Fires when the signal is one of `members` (cluster ids weighted 0)."""

    def __init__(self, key: str, reason: str, members: tuple[int, ...]):
        super().__init__(key, reason)  # no bound: the report draws no threshold line for it
        object.__setattr__(self, "members", tuple(sorted(members)))

    def __post_init__(self):
        if self.key not in vocab.KEYS or self.reason not in vocab.REASONS:
            raise ValueError(f"rule on undeclared signal {self.key!r} or reason {self.reason!r}")

    def fires(self, value) -> bool:
        return value is not None and value in self.members

    def sql_fires(self) -> str:
        return f"({self.key} in ({', '.join(map(str, self.members))}))"

    def describe(self) -> str:
        return f"none of {', '.join(map(str, self.members))} (clusters weighted 0)"


def cluster_rules(cfg: StageConfig[ClusterConfig], models: dict | None = None) -> dict:
    dropped = tuple(c for c, w in cfg.section.weights.items() if w == 0)
    return {ANY_LANG: (MemberRule(vocab.CLUSTER_ID, vocab.R_CLUSTER_DROPPED, dropped),) if dropped else ()}


def cluster_weight_sql(weights: Mapping[int, float]) -> str:
    """The cluster_weight column as SQL over the docs view, for cluster.weights (`corpus clusters apply`)."""
    w = {c: v for c, v in weights.items() if v != 1}
    if not w:
        return f"case when {vocab.CLUSTER_ID} is null then null else 1.0 end"
    whens = " ".join(f"when {c} then {float(v)!r}" for c, v in sorted(w.items()))
    return f"case when {vocab.CLUSTER_ID} is null then null else (case {vocab.CLUSTER_ID} {whens} else 1.0 end) end"


def cluster_config(cfg) -> StageConfig[ClusterConfig]:
    """The cluster stage's StageConfig, of a build config or as it is (helpers the benchmarks call too)."""
    return DECLARED[vocab.CLUSTER].config(cfg)


def _embedder(cfg: StageConfig[ClusterConfig]):
    from labels.embed import make_embedder

    c = cfg.section
    root = c.models_dir or (topic_models_root(cfg) if c.embedder == "static" else "")
    return make_embedder(c.embedder, root, c.model_path)


def read_sample(files: list[str], size: int) -> tuple[list[str], list[str], list[str | None]]:
    """ids, texts, langs of every step-th row over all files (the same rows on every run)."""
    total = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
    step = max(1, -(-total // size))
    ids, texts, langs, row = [], [], [], 0
    for f in files:
        pf = pq.ParquetFile(f)
        cols = [c for c in (vocab.ID, vocab.TEXT, vocab.LANG) if c in pf.schema_arrow.names]
        for batch in pf.iter_batches(batch_size=4096, columns=cols):
            d = batch.to_pydict()
            for i in range(batch.num_rows):
                if row % step == 0:
                    ids.append(d[vocab.ID][i])
                    texts.append(d[vocab.TEXT][i] or "")
                    langs.append(d.get(vocab.LANG, [None] * batch.num_rows)[i])
                row += 1
    return ids, texts, langs


class ClusterAssign(PipelineStep):
    """Task r embeds input file r in batches and saves (cluster id, distance) per row."""

    name = "cluster assignment"
    type = "🫂 - CLUSTER"

    def __init__(self, cfg, files: tuple[str, ...], work: str):
        super().__init__()
        self.cfg, self.files, self.work = cluster_config(cfg), files, work

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        from labels.clusters import ClusterModel

        model, embedder = ClusterModel.load(model_file(self.work)), _embedder(self.cfg)
        ids, dists = [], []
        pf = pq.ParquetFile(self.files[rank])
        cols = [c for c in (vocab.TEXT, vocab.LANG) if c in pf.schema_arrow.names]
        for batch in pf.iter_batches(batch_size=self.cfg.section.batch_size, columns=cols):
            d = batch.to_pydict()
            texts = [t or "" for t in d[vocab.TEXT]]
            with self.track_time():
                c, dist = model.assign(embedder.embed(texts), d.get(vocab.LANG, [None] * len(texts)))
            ids.append(c)
            dists.append(dist)
            self.stat_update("assigned", value=len(texts))
        np.savez(
            assignment_file(self.work, rank),
            ids=np.concatenate(ids) if ids else np.zeros(0, np.int64),
            dists=np.concatenate(dists) if dists else np.zeros(0),
        )
        yield from ()


class ClusterAnnotator(PipelineStep):
    name = "cluster signals"
    type = "📊 - SCORER"

    def __init__(self, weights: Mapping[int, float], work: str, sizes: dict[int, int]):
        super().__init__()
        self.work, self.sizes, self.weights = work, sizes, dict(weights)

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        from dedup.steps import IDX

        z = None
        for doc in data:
            z = np.load(assignment_file(self.work, rank)) if z is None else z
            i = doc.metadata[IDX]
            c = int(z["ids"][i])
            doc.metadata.update(
                {
                    vocab.CLUSTER_ID: c,
                    vocab.CLUSTER_DISTANCE: round(float(z["dists"][i]), 6),
                    vocab.CLUSTER_SIZE: self.sizes.get(c, 0),
                    vocab.CLUSTER_WEIGHT: float(self.weights.get(c, 1.0)),
                }
            )
            yield doc


def model_file(work: str) -> str:
    return os.path.join(work, "model.npz")


def assignment_file(work: str, rank: int) -> str:
    return os.path.join(work, "assign", f"{rank:05d}.npz")


def fit_on_sample(cfg, files: list[str], work: str) -> dict:
    """Fit and save the k-means; return the per-cluster description of the sample. `cfg`: the cluster
    stage's StageConfig, or a build config."""
    from labels.clusters import fit, top_terms

    cfg = cluster_config(cfg)
    c = cfg.section
    ids, texts, langs = read_sample(files, c.sample_size)
    emb = _embedder(cfg).embed(texts)
    model = fit(emb, langs, c.k, cfg.seed, c.subtract_language_mean)
    model.save(model_file(work))
    assigned, dist = model.assign(emb, langs)
    terms = top_terms(texts, assigned, c.top_terms)
    about = {}
    for k in range(len(model.centroids)):
        rows = np.flatnonzero(assigned == k)
        rows = rows[np.argsort(dist[rows], kind="stable")][: c.samples_per_cluster]
        about[k] = {"top_terms": " ".join(terms.get(k, [])), "sample_ids": [ids[i] for i in rows]}
    return about


def write_cluster_table(layout, about: dict, sizes: dict[int, int], meta: dict) -> None:
    os.makedirs(layout.clusters_dir(), exist_ok=True)
    ks = sorted(about)
    table = pa.table(
        {
            "cluster_id": pa.array(ks, pa.int64()),
            "assigned": pa.array([sizes.get(k, 0) for k in ks], pa.int64()),
            "top_terms": pa.array([about[k]["top_terms"] for k in ks], pa.string()),
            "sample_ids": pa.array([about[k]["sample_ids"] for k in ks], pa.list_(pa.string())),
        }
    )
    pq.write_table(table, layout.clusters_table())
    with open(os.path.join(layout.clusters_dir(), "model.json"), "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=1)


def cluster(cfg: StageConfig[ClusterConfig], ctx: StageContext, input_dir: str, output_dir: str) -> None:
    from corpus.core.executors import run_pipeline
    from corpus.core.writers import FateWriter
    from dedup.layout import make_plan, row_count
    from dedup.steps import RankReader

    c = cfg.section
    plan = make_plan(ctx.layout, ctx.segment, "cluster", input_dir, row_count, 16, cfg.sections["dedup"].memory_mb)
    if not plan.files:
        return
    work, sizes = plan.work, {}
    os.makedirs(os.path.join(work, "assign"), exist_ok=True)
    if row_count(plan.files):  # (empty survivor files are only carried forward)
        about = fit_on_sample(cfg, list(plan.files), work)
        run_pipeline(
            cfg.executor,
            [ClusterAssign(cfg, plan.files, work)],
            ctx.layout.logging_dir(ctx.segment, "cluster-assign"),
            plan.input_tasks,
        )
        counts = np.zeros(len(about), dtype=np.int64)
        for r in range(plan.input_tasks):
            counts += np.bincount(np.load(assignment_file(work, r))["ids"], minlength=len(about))
        sizes = {k: int(n) for k, n in enumerate(counts)}
        write_cluster_table(
            ctx.layout,
            about,
            sizes,
            {
                "embedder": c.embedder,
                "k": len(about),
                "sample_size": c.sample_size,
                "subtract_language_mean": c.subtract_language_mean,
            },
        )
    steps = [
        RankReader(plan, ctx),
        ClusterAnnotator(c.weights, work, sizes),
        ThresholdFilter(StageContext(ctx.layout, ctx.segment), vocab.CLUSTER, cluster_rules(cfg)),
        FateWriter(ctx.layout, vocab.FATE_KEPT, segment=ctx.segment, output_dir=output_dir),
    ]
    run_pipeline(cfg.executor, steps, ctx.layout.logging_dir(ctx.segment, "cluster-annotate"), plan.input_tasks)


STAGES = (
    # topic.models_dir falls back on scorers.models_dir
    Stage(
        vocab.TOPIC,
        topic,
        rules=topic_rules,
        models=topic_model_records,
        section=("topic", TopicConfig),
        reads=("scorers",),
    ),
    # the static embedder reads the topic models; dedup.memory_mb sizes the plan's work files
    Stage(
        vocab.CLUSTER,
        cluster,
        rules=cluster_rules,
        corpus_level=True,
        section=("cluster", ClusterConfig),
        reads=("topic", "scorers", "dedup"),
    ),
)
DECLARED = {s.name: s for s in STAGES}
