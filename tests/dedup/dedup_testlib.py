"""Running one dedup stage on inline documents and reading back what it kept and dropped."""

from __future__ import annotations

import glob
import os

import pyarrow.parquet as pq

from corpus.core import vocab
from corpus.config import BuildConfig, ExecutorConfig
from dedup.config import DedupConfig
from dedup.stages import run_standalone
from dedup.synth import Doc, write_parquet


def config(out, seed: int = 0, **dedup) -> BuildConfig:
    return BuildConfig(output=str(out), seed=seed, executor=ExecutorConfig(workers=1), dedup=DedupConfig(**dedup))


def run(stage: str, docs: list[Doc], out, files: int = 2, extra: dict | None = None, **dedup) -> dict[str, dict]:
    """{id: row} of every document after the stage, with fate 'kept' or 'dropped'."""
    write_parquet(docs, os.path.join(out, "in"), files=files, extra=extra)
    cfg = config(os.path.join(out, "build"), **dedup)
    kept_dir = run_standalone(stage, cfg, os.path.join(out, "in"))
    return read(kept_dir, cfg.output)


def read(kept_dir: str, build: str) -> dict[str, dict]:
    rows = {}
    for fate, pattern in (
        ("kept", os.path.join(kept_dir, "*.parquet")),
        ("dropped", os.path.join(build, "dropped", "*.parquet")),
    ):
        for f in sorted(glob.glob(pattern)):
            for r in pq.read_table(f).to_pylist():
                rows[r[vocab.ID]] = {**r, "fate": fate}
    return rows
