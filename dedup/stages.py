"""Corpus-level stage builders: each runs its chain of datatrove pipelines on the configured
executor, reading survivors from input_dir and writing survivors to output_dir. Each is given its
StageConfig: the `dedup` section, the seed and the executor."""

from __future__ import annotations

from corpus.core import vocab
from corpus.core.executors import run_pipeline
from corpus.core.steps import Stage, StageConfig, StageContext
from corpus.core.writers import FateWriter
from dedup import exact, fuzzy, paragraph
from dedup.config import DedupConfig
from dedup.layout import DedupPlan, make_plan, row_count, text_bytes
from dedup.steps import DecisionFilter, RankReader
from dedup.survivors import Clusters, DuplicateClusterAnnotator

DedupStageConfig = StageConfig[DedupConfig]


def _run(cfg: DedupStageConfig, ctx: StageContext, part: str, steps: list, tasks: int) -> None:
    run_pipeline(cfg.executor, steps, DedupPlan.logging_dir(ctx.layout, ctx.segment, part), tasks)


def _finish(
    cfg: DedupStageConfig, ctx: StageContext, plan: DedupPlan, stage: str, middle: list, output_dir: str
) -> None:
    """Last pipeline of every chain: read, annotate/rewrite, drop what was decided against, write."""
    steps = [
        RankReader(plan, ctx),
        *middle,
        DecisionFilter(ctx, stage),
        FateWriter(ctx.layout, vocab.FATE_KEPT, segment=ctx.segment, output_dir=output_dir),
    ]
    _run(cfg, ctx, f"{stage}-filter", steps, plan.input_tasks)


def dedup_paragraph(cfg: DedupStageConfig, ctx: StageContext, input_dir: str, output_dir: str) -> None:
    p = cfg.section.paragraph
    shortest = max(1, min(p.min_chars.values()))  # every record is a line of at least this many bytes
    plan = make_plan(
        ctx.layout,
        ctx.segment,
        "paragraph",
        input_dir,
        lambda fs: text_bytes(fs) // shortest,
        paragraph.RECORD.itemsize,
        cfg.section.memory_mb,
    )
    if not plan.files:
        return
    _run(cfg, ctx, "paragraph-hash", [paragraph.ParagraphHashes(plan, p)], plan.input_tasks)
    _run(cfg, ctx, "paragraph-repeats", [paragraph.ParagraphRepeats(plan, p.max_repeats)], plan.shards)
    _finish(
        cfg, ctx, plan, vocab.DEDUP_PARAGRAPH, [paragraph.ParagraphRemover(plan, p.max_removed_fraction)], output_dir
    )


def dedup_minhash(cfg: DedupStageConfig, ctx: StageContext, input_dir: str, output_dir: str) -> None:
    m, key = cfg.section.minhash, cfg.section.survivor_key
    plan = make_plan(
        ctx.layout,
        ctx.segment,
        "minhash",
        input_dir,
        lambda fs: row_count(fs) * m.bands,
        fuzzy.RECORD.itemsize,
        cfg.section.memory_mb,
    )
    if not plan.files:
        return
    _run(cfg, ctx, "minhash-signatures", [fuzzy.MinhashSignatures(plan, m, cfg.seed, key)], plan.input_tasks)
    threshold = m.verify_threshold if m.verify else None
    _run(cfg, ctx, "minhash-pairs", [fuzzy.CandidatePairs(plan, threshold)], plan.shards)
    _run(cfg, ctx, "minhash-clusters", [Clusters(plan, key)], 1)
    annotate = DuplicateClusterAnnotator(
        plan, vocab.DEDUP_CLUSTER_ID, vocab.DEDUP_CLUSTER_SIZE, vocab.R_DUPLICATE_FUZZY
    )
    _finish(cfg, ctx, plan, vocab.DEDUP_MINHASH, [annotate], output_dir)


def dedup_exact(cfg: DedupStageConfig, ctx: StageContext, input_dir: str, output_dir: str) -> None:
    key = cfg.section.survivor_key
    plan = make_plan(
        ctx.layout, ctx.segment, "exact", input_dir, row_count, fuzzy.RECORD.itemsize, cfg.section.memory_mb
    )
    if not plan.files:
        return
    _run(cfg, ctx, "exact-hash", [exact.TextHashes(plan, cfg.seed, key)], plan.input_tasks)
    _run(cfg, ctx, "exact-groups", [exact.ExactGroups(plan)], plan.shards)
    _run(cfg, ctx, "exact-clusters", [Clusters(plan, key)], 1)
    annotate = DuplicateClusterAnnotator(plan, None, vocab.DEDUP_EXACT_COPIES, vocab.R_DUPLICATE_EXACT)
    _finish(cfg, ctx, plan, vocab.DEDUP_EXACT, [annotate], output_dir)


def run_standalone(stage: str, cfg, input_dir: str, segment: int = 1, output: str | None = None) -> str:
    """Runs one dedup stage on a folder of survivors Parquet outside a build (benchmarks, tests); `cfg` is a
    build config or the stage's StageConfig. Survivors land in work_dir(segment) and dropped rows in the
    dropped table under `output` (default: the build config's)."""
    from corpus.core.layout import Layout

    layout = Layout(output or cfg.output)
    layout.ensure()
    out = layout.work_dir(segment)
    DECLARED[stage].run(cfg, StageContext(layout, segment), input_dir, out)
    return out


STAGES = tuple(
    Stage(name, build, corpus_level=True, section=("dedup", DedupConfig))
    for name, build in (
        (vocab.DEDUP_MINHASH, dedup_minhash),
        (vocab.DEDUP_EXACT, dedup_exact),
        (vocab.DEDUP_PARAGRAPH, dedup_paragraph),
    )
)
DECLARED = {s.name: s for s in STAGES}
