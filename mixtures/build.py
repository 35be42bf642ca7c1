"""`corpus mix plan` and `corpus mix build`: a mixture's budget per source, then its token shards.

Sampling is deterministic: a source's documents are ordered by a hash of (seed, source, id);
downsampling takes a prefix of that order, upsampling repeats the whole source and then a prefix,
each copy recorded with its epoch. The shards are the layout `corpus tokenize` writes (index.json,
docs.parquet, train/, val/), so `corpus train` and `corpus eval` read them unchanged; the
validation split holds every source's held-out documents and every text target, each under its
own name, so per-source and per-target losses come out of one evaluation.

A proxy run scales the build down (`scale` = proxy tokens / target budget): each source is first
subsampled to the same fraction, so it is repeated as often in the proxy as in the run it stands
for. Small proxies mis-rank mixtures when a scarce source repeats in the real run but not in theirs.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import asdict

import numpy as np
import pyarrow as pa

from corpus.core.configlib import to_dict
from corpus.core.files import file_sha256
from mixtures.mixture import Allocation, Mixture, allocate
from mixtures.pools import input_checksums, pool, pool_counts, pool_docs, tokenizer_path
from tokens.shards import DOCS_FILE, INDEX_FILE, SPLITS, DocIndex, ShardWriter, open_split, read_index
from tokens.tokenizer import EOS_ID

MANIFEST_FILE = "manifest.json"


def order_key(seed: int, source: str, doc_id: str) -> bytes:
    return hashlib.blake2b(f"{seed}\x00{source}\x00{doc_id}".encode(), digest_size=8).digest()


def ordered(docs: list[tuple], seed: int, source: str) -> list[tuple]:
    return sorted(docs, key=lambda d: order_key(seed, source, d[0]))


def prefix(docs: list[tuple], tokens: float) -> list[tuple]:
    """The shortest prefix holding at least `tokens` tokens (a document is never cut)."""
    out, n = [], 0
    for d in docs:
        if n >= tokens:
            break
        out.append(d)
        n += d[3]
    return out


def _token_sum(docs: list[tuple]) -> int:
    return sum(d[3] for d in docs)


def source_docs(mix: Mixture, scale: float = 1.0) -> dict[str, tuple[str, list[tuple]]]:
    """Per source: (pool dir, its training documents in sampling order, subsampled to `scale`)."""
    out = {}
    for s in mix.sources:
        path = pool(mix, s)
        docs = ordered(pool_docs(path, "train"), mix.seed, s.name)
        if scale < 1.0:
            docs = prefix(docs, scale * _token_sum(docs))
        out[s.name] = (path, docs)
    return out


def plan(mix: Mixture, tokens: int | None = None, scale: float = 1.0) -> list[dict]:
    """Per source: documents, tokens available, asked, implied epochs, a warning where needed."""
    docs = source_docs(mix, scale)
    allocs = allocate(
        {n: _token_sum(d) for n, (_, d) in docs.items()},
        mix.weights(),
        tokens or mix.total_tokens,
        {s.name: s.max_epochs for s in mix.sources},
    )
    return [
        {
            "source": a.source,
            "weight": round(mix.weights()[a.source], 6),
            "docs": len(docs[a.source][1]),
            **{k: v for k, v in asdict(a).items() if k != "source"},
        }
        for a in allocs
    ]


class _MixDocIndex(DocIndex):
    SCHEMA = DocIndex.SCHEMA.append(pa.field("epoch", pa.int32()))


def _copies(docs: list[tuple], granted: int) -> list[tuple[int, tuple]]:
    """(epoch, doc) for whole repetitions of the source, then a prefix for the fractional epoch."""
    total = _token_sum(docs)
    if not total:
        return []
    full, rest = divmod(granted, total)
    out = [(e, d) for e in range(full) for d in docs]
    return out + [(full, d) for d in prefix(docs, rest)] if rest else out


def _write(writer: ShardWriter, rows: _MixDocIndex, shards, doc: tuple, source: str, split: str, epoch: int) -> int:
    doc_id, shard, offset, n, n_bytes = doc
    ids = np.asarray(shards[shard][offset : offset + n])
    s, o = writer.add(ids)
    rows.add(id=doc_id, source=source, split=split, shard=s, offset=o, tokens=n, bytes=n_bytes, epoch=epoch)
    return n


def _prepare_out(out: str) -> None:
    if os.path.isdir(out) and os.listdir(out):
        if not os.path.isfile(os.path.join(out, MANIFEST_FILE)) or not os.path.isfile(os.path.join(out, INDEX_FILE)):
            raise FileExistsError(f"{out} exists and is not a mixture build: refusing to overwrite it")
        shutil.rmtree(out)
    elif os.path.exists(out) and not os.path.isdir(out):
        raise FileExistsError(f"{out} is a file")


def build(mix: Mixture, out: str, tokens: int | None = None, scale: float = 1.0) -> dict:
    """Write the mixture's shards to `out`; returns the manifest (also OUT/manifest.json)."""
    _prepare_out(out)
    budget = tokens or mix.total_tokens
    docs = source_docs(mix, scale)
    allocs = {
        a.source: a
        for a in allocate(
            {n: _token_sum(d) for n, (_, d) in docs.items()},
            mix.weights(),
            budget,
            {s.name: s.max_epochs for s in mix.sources},
        )
    }
    tmp = out.rstrip("/") + ".partial"
    shutil.rmtree(tmp, ignore_errors=True)
    index = read_index(next(iter(docs.values()))[0])
    writers = {s: ShardWriter(tmp, s, np.dtype(index["dtype"]), mix.shard_tokens) for s in SPLITS}
    rows = _MixDocIndex(os.path.join(tmp, DOCS_FILE))
    realised = _write_train(docs, allocs, writers["train"], rows)
    val = _write_val(mix, docs, writers["val"], rows)
    for w in writers.values():
        w.flush()
    rows.close()
    _write_index(tmp, index, writers, rows, mix)
    manifest = _manifest(mix, budget, scale, allocs, realised, val, docs)
    with open(os.path.join(tmp, MANIFEST_FILE), "w") as f:
        json.dump(manifest, f, indent=2, ensure_ascii=False)
    os.replace(tmp, out)
    return manifest


def _write_train(docs, allocs: dict[str, Allocation], writer, rows) -> dict[str, dict]:
    realised = {}
    for name, (path, source) in docs.items():
        shards = open_split(path, "train")
        copies = _copies(source, allocs[name].granted)
        n = sum(_write(writer, rows, shards, d, name, "train", e) for e, d in copies)
        realised[name] = {"tokens": n, "docs": len(copies), "unique_docs": len(source)}
    return realised


def _write_val(mix: Mixture, docs, writer, rows) -> dict[str, int]:
    """Each source's held-out documents and each text target, once, in a fixed order."""
    counts = {}
    items = [(s.name, docs[s.name][0]) for s in mix.sources] + [(t.name, pool(mix, t)) for t in mix.targets if t.inputs]
    for name, path in items:
        if not pool_counts(path)["val"]["docs"]:
            counts[name] = 0
            continue
        shards = open_split(path, "val")
        counts[name] = sum(_write(writer, rows, shards, d, name, "val", 0) for d in pool_docs(path, "val"))
    return counts


def _write_index(out: str, pool_index: dict, writers, rows, mix: Mixture) -> None:
    index = {k: pool_index[k] for k in ("dtype", "vocab_size", "tokenizer", "tokenizer_sha256")}
    index |= {
        "eos_id": EOS_ID,
        "inputs": [],
        "where": "",
        "val_fraction": None,
        "splits": {
            s: {"shards": w.shards, "tokens": sum(x["tokens"] for x in w.shards), "docs": rows.count[s]}
            for s, w in writers.items()
        },
    }
    with open(os.path.join(out, INDEX_FILE), "w") as f:
        json.dump(index, f, indent=2, ensure_ascii=False)


def _manifest(mix: Mixture, budget: int, scale: float, allocs, realised, val, docs) -> dict:
    return {
        "mixture": to_dict(mix) | {"search": None},
        "weights": mix.weights(),
        "seed": mix.seed,
        "budget_tokens": budget,
        "scale": scale,
        "tokenizer_sha256": file_sha256(tokenizer_path(mix)),
        "sources": {
            s.name: asdict(allocs[s.name])
            | {
                "realised": realised[s.name],
                "pool": os.path.basename(docs[s.name][0]),
                "inputs": input_checksums(s.inputs, s.where),
            }
            for s in mix.sources
        },
        "val_tokens": val,
    }


def read_manifest(out: str) -> dict:
    with open(os.path.join(out, MANIFEST_FILE)) as f:
        return json.load(f)
