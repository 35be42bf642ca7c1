"""Each source and text target tokenised once into a cached shard directory (a "pool").

The cache key is the tokenizer's checksum, the inputs' checksums, the predicate and the validation
fraction: change any of them and the pool is rebuilt; plan, build and every proxy run of a search
reuse it. A pool is written under a temporary name and renamed when complete, so a killed run
never leaves half a pool behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil

import duckdb

from corpus.core.files import file_sha256
from corpus.core.sql import sql_literal
from mixtures.mixture import Mixture, Source, Target
from tokens.shards import DOCS_FILE, INDEX_FILE, TokenizeConfig, read_index, tokenize
from tokens.sources import check_inputs
from tokens.tokenizer import MODEL_FILE

_CHECKSUMS: dict[tuple, str] = {}


def _checksum(path: str) -> str:
    """file_sha256 once per file version: a search checks the same inputs on every proxy run."""
    st = os.stat(path)
    key = (os.path.realpath(path), st.st_size, st.st_mtime_ns)
    if key not in _CHECKSUMS:
        _CHECKSUMS[key] = file_sha256(path)
    return _CHECKSUMS[key]


def tokenizer_path(mix: Mixture) -> str:
    return os.path.join(mix.tokenizer, MODEL_FILE) if os.path.isdir(mix.tokenizer) else mix.tokenizer


def input_checksums(inputs: tuple[str, ...], where: str) -> dict[str, str]:
    files = check_inputs(list(inputs), where)
    return {os.path.abspath(p): _checksum(p) for p in files}


def pool_key(mix: Mixture, item: Source | Target) -> str:
    val = item.val_fraction if isinstance(item, Source) else 1.0  # a target is validation text only
    spec = {
        "tokenizer": _checksum(tokenizer_path(mix)),
        "inputs": input_checksums(item.inputs, item.where),
        "where": item.where,
        "val_fraction": val,
    }
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]


def pool(mix: Mixture, item: Source | Target) -> str:
    """The pool's directory, tokenised now unless cached."""
    key = pool_key(mix, item)
    path = os.path.join(mix.cache, f"{item.name}-{key}")
    if os.path.exists(os.path.join(path, INDEX_FILE)):
        return path
    tmp = path + f".tmp{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    val = item.val_fraction if isinstance(item, Source) else 1.0
    tokenize(
        list(item.inputs),
        tokenizer_path(mix),
        tmp,
        TokenizeConfig(val_fraction=val, workers=1),
        where=item.where,
        source_expr=sql_literal(item.name),
    )
    os.makedirs(mix.cache, exist_ok=True)
    if os.path.exists(path):  # another process finished the same pool first
        shutil.rmtree(tmp)
    else:
        os.replace(tmp, path)
    return path


def pool_docs(path: str, split: str) -> list[tuple[str, int, int, int, int]]:
    """(id, shard, offset, tokens, bytes) of one split, in the pool's (input) order."""
    return duckdb.sql(
        f'select id, shard, "offset", tokens, bytes from {sql_literal(os.path.join(path, DOCS_FILE))} '
        f"where split = {sql_literal(split)}"
    ).fetchall()


def pool_counts(path: str) -> dict:
    index = read_index(path)
    return {s: {"docs": v["docs"], "tokens": v["tokens"]} for s, v in index["splits"].items()}
