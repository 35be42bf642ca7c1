"""Packed token shards: documents -> token ids + end-of-document token, concatenated into flat binary
files of one fixed dtype, with an index.

OUT/
  index.json            dtype, vocab size, eos id, tokenizer checksum, shards per split with token counts
  docs.parquet          one row per document: split, shard, offset, tokens, bytes, source, id
  train/00000.bin ...   raw little-endian uint16 (vocab <= 65,536) or uint32 token ids
  val/00000.bin ...     the held-out split (chosen by a hash of each document's text)

A document never straddles two shards, so (shard, offset, tokens) locates it. Memory stays bounded
by one shard buffer per split plus one batch of documents in flight per worker.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from corpus.core.files import file_sha256
from tokens.sources import SourceDoc, check_inputs, iter_docs, split_of
from tokens.tokenizer import EOS_ID, load

INDEX_FILE = "index.json"
DOCS_FILE = "docs.parquet"
SPLITS = ("train", "val")
DOCS_PER_TASK = 256


def token_dtype(vocab_size: int) -> np.dtype:
    return np.dtype("<u2") if vocab_size <= 2**16 else np.dtype("<u4")


def shard_path(out: str, split: str, n: int) -> str:
    return os.path.join(out, split, f"{n:05d}.bin")


@dataclass(frozen=True)
class TokenizeConfig:
    val_fraction: float = 0.01
    shard_tokens: int = 50_000_000  # ~100 MB per uint16 shard
    workers: int = 2
    append_eos: bool = True


_SP = None


def _init_worker(model_path: str) -> None:
    global _SP
    _SP = load(model_path)


def _encode(texts: list[str]) -> list[list[int]]:
    return _SP.encode(texts)


class ShardWriter:
    def __init__(self, out: str, split: str, dtype: np.dtype, shard_tokens: int):
        self.out, self.split, self.dtype, self.limit = out, split, dtype, shard_tokens
        self.n, self.buf, self.size, self.shards = 0, [], 0, []
        os.makedirs(os.path.join(out, split), exist_ok=True)

    def add(self, ids: np.ndarray) -> tuple[int, int]:
        """Append one document; returns (shard number, offset in that shard)."""
        if self.size and self.size + len(ids) > self.limit:
            self.flush()
        offset = self.size
        self.buf.append(ids.astype(self.dtype))
        self.size += len(ids)
        return self.n, offset

    def flush(self) -> None:
        if not self.size:
            return
        path = shard_path(self.out, self.split, self.n)
        arr = np.concatenate(self.buf)
        arr.tofile(path + ".tmp")
        os.replace(path + ".tmp", path)  # a killed run never leaves a half-written shard under the real name
        self.shards.append({"file": os.path.relpath(path, self.out), "tokens": int(self.size)})
        self.n, self.buf, self.size = self.n + 1, [], 0


def _batches(docs: Iterator[SourceDoc], size: int) -> Iterator[list[SourceDoc]]:
    batch = []
    for d in docs:
        batch.append(d)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def tokenize(
    inputs: list[str],
    tokenizer_dir: str,
    out: str,
    cfg: TokenizeConfig,
    where: str = "",
    source_expr: str | None = None,
) -> dict:
    check_inputs(inputs, where)
    model_path = os.path.join(tokenizer_dir, "tokenizer.model") if os.path.isdir(tokenizer_dir) else tokenizer_dir
    vocab = load(model_path).get_piece_size()
    dtype = token_dtype(vocab)
    writers = {s: ShardWriter(out, s, dtype, cfg.shard_tokens) for s in SPLITS}
    rows = DocIndex(os.path.join(out, DOCS_FILE))
    batches = _batches(iter_docs(inputs, where, source_expr), DOCS_PER_TASK)
    for batch, encoded in _encoded(batches, model_path, cfg.workers):
        _write_batch(batch, encoded, writers, rows, cfg)
    for w in writers.values():
        w.flush()
    rows.close()
    index = {
        "dtype": dtype.name,
        "vocab_size": vocab,
        "eos_id": EOS_ID if cfg.append_eos else None,
        "tokenizer": os.path.abspath(model_path),
        "tokenizer_sha256": file_sha256(model_path),
        "inputs": list(inputs),
        "where": where,
        "val_fraction": cfg.val_fraction,
        "splits": {
            s: {"shards": w.shards, "tokens": sum(x["tokens"] for x in w.shards), "docs": rows.count[s]}
            for s, w in writers.items()
        },
    }
    with open(os.path.join(out, INDEX_FILE), "w") as f:
        json.dump(index, f, indent=2, ensure_ascii=False)
    return index


class DocIndex:
    """docs.parquet written in row groups as documents arrive (memory bounded by one row group)."""

    SCHEMA = pa.schema(
        [
            ("id", pa.string()),
            ("source", pa.string()),
            ("split", pa.string()),
            ("shard", pa.int32()),
            ("offset", pa.int64()),
            ("tokens", pa.int64()),
            ("bytes", pa.int64()),
        ]
    )

    def __init__(self, path: str, group_rows: int = 100_000):
        self.writer = pq.ParquetWriter(path, self.SCHEMA, compression="zstd")
        self.rows = {f.name: [] for f in self.SCHEMA}
        self.count = {s: 0 for s in SPLITS}
        self.group_rows = group_rows

    def add(self, **row) -> None:
        for k, v in row.items():
            self.rows[k].append(v)
        self.count[row["split"]] += 1
        if len(self.rows["id"]) >= self.group_rows:
            self._flush()

    def _flush(self) -> None:
        self.writer.write_table(pa.table(self.rows, schema=self.SCHEMA))
        self.rows = {k: [] for k in self.rows}

    def close(self) -> None:
        self._flush()
        self.writer.close()


def _encoded(
    batches: Iterator[list[SourceDoc]], model_path: str, workers: int
) -> Iterator[tuple[list[SourceDoc], list]]:
    """(batch, token ids) in input order, whatever the worker count; at most 2 batches per worker in flight."""
    if workers <= 1:
        _init_worker(model_path)
        yield from ((b, _encode([d.text for d in b])) for b in batches)
        return
    # an executor, not a Pool: a worker that dies (or a script without a __main__ guard, whose spawned
    # workers die starting up) ends the run with BrokenProcessPool where a Pool waits forever
    spawn = get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=spawn, initializer=_init_worker, initargs=(model_path,)) as pool:
        window: list = []
        for b in batches:
            window.append((b, pool.submit(_encode, [d.text for d in b])))
            if len(window) > 2 * workers:
                batch, result = window.pop(0)
                yield batch, result.result()
        for batch, result in window:
            yield batch, result.result()


def _write_batch(batch: list[SourceDoc], encoded: list[list[int]], writers, rows, cfg: TokenizeConfig) -> None:
    for doc, ids in zip(batch, encoded):
        if cfg.append_eos:
            ids = ids + [EOS_ID]
        split = split_of(doc.text, cfg.val_fraction)
        shard, offset = writers[split].add(np.asarray(ids))
        rows.add(
            id=doc.id,
            source=doc.source,
            split=split,
            shard=shard,
            offset=offset,
            tokens=len(ids),
            bytes=len(doc.text.encode("utf-8")),
        )


def read_index(out: str) -> dict:
    with open(os.path.join(out, INDEX_FILE)) as f:
        return json.load(f)


def open_split(out: str, split: str) -> list[np.ndarray]:
    """Memory-mapped shards of one split (read-only)."""
    index = read_index(out)
    return [
        np.memmap(os.path.join(out, s["file"]), dtype=np.dtype(index["dtype"]), mode="r")
        for s in index["splits"][split]["shards"]
    ]
