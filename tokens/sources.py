"""Documents for tokenizer training and tokenization, streamed from Parquet, JSONL or text files.

Parquet (a build's `kept/*.parquet` or any file with a `text` column) is read through DuckDB so a
source is a SQL predicate over its columns (`lang = 'zh' and quality_score > 0.5`). JSONL needs a
`text` field. Plain text (optionally .gz) holds one document per non-blank line.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
from dataclasses import dataclass
from typing import Iterator

from corpus.core import remote
from corpus.core.files import open_text
from corpus.core.sql import sql_literal

PARQUET_BATCH_ROWS = 2048  # bounded memory: DuckDB hands over this many rows at a time


@dataclass(frozen=True)
class SourceDoc:
    id: str
    text: str
    source: str


def expand(inputs: list[str] | tuple[str, ...]) -> list[str]:
    """Files from paths, directories (their *.parquet / *.jsonl* / *.txt* files) and globs, sorted; one in
    object storage is read from its local copy (corpus.core.remote.readable)."""
    files: list[str] = []
    for item in map(remote.readable, inputs):
        if os.path.isdir(item):
            found = [
                p
                for p in glob.glob(os.path.join(item, "**", "*"), recursive=True)
                if os.path.isfile(p) and _kind(p) != "unknown"
            ]
            if not found:
                raise FileNotFoundError(f"input {item} holds no .parquet, .jsonl or .txt files")
        else:
            found = glob.glob(item) or [item]
        for p in sorted(found):
            if not os.path.isfile(p):
                raise FileNotFoundError(f"input {p} does not exist")
            files.append(p)
    return files


def check_inputs(inputs: list[str] | tuple[str, ...], where: str = "") -> list[str]:
    """The input files, after checking that they exist and that --where applies to them: said in one
    line before anything is written (iter_docs would only fail half-way)."""
    import duckdb

    files = expand(inputs)
    if not files:
        raise FileNotFoundError("no input files")
    parquet = [os.path.abspath(p) for p in files if _kind(p) == "parquet"]
    if where and len(parquet) < len(files):
        raise ValueError("a SQL predicate (--where) applies to Parquet inputs only")
    if where:
        try:
            duckdb.connect().execute(
                f"describe select * from read_parquet({_path_list(parquet)}, union_by_name = true) where ({where})"
            )
        except duckdb.Error as e:
            raise ValueError(f"--where {where!r}: {str(e).strip().splitlines()[0]}") from None
    return files


def _kind(path: str) -> str:
    name = path[:-3] if path.endswith(".gz") else path
    for ext, kind in ((".parquet", "parquet"), (".jsonl", "jsonl"), (".json", "jsonl"), (".txt", "text")):
        if name.endswith(ext):
            return kind
    return "unknown"


def source_name(path: str) -> str:
    """The file name without extensions: `en-wikitext2.txt.gz` -> `en-wikitext2`."""
    return os.path.basename(path).split(".")[0]


def _text_docs(path: str) -> Iterator[SourceDoc]:
    src = source_name(path)
    with open_text(path) as f:
        for i, line in enumerate(f):
            if line.strip():
                yield SourceDoc(f"{src}:{i}", line.rstrip("\n"), src)


def _jsonl_docs(path: str) -> Iterator[SourceDoc]:
    src = source_name(path)
    with open_text(path) as f:
        for i, line in enumerate(f):
            if not line.strip():
                continue
            rec = json.loads(line)
            text = rec.get("text")
            if text:
                yield SourceDoc(str(rec.get("id", f"{src}:{i}")), text, str(rec.get("source", src)))


def _parquet_docs(files: list[str], where: str, source_expr: str | None) -> Iterator[SourceDoc]:
    import duckdb

    con = duckdb.connect()
    rel = f"read_parquet({_path_list(os.path.abspath(p) for p in files)}, filename = true, union_by_name = true)"
    cols = {r[0] for r in con.execute(f"describe select * from {rel}").fetchall()}
    if source_expr is None:  # a build's output has `lang`; otherwise the file is the source
        source_expr = "coalesce(lang, 'unknown')" if "lang" in cols else "regexp_extract(filename, '[^/]*$')"
    id_expr = "cast(id as varchar)" if "id" in cols else "filename || ':' || cast(file_row_number as varchar)"
    if "id" not in cols:
        rel = rel.replace("filename = true", "filename = true, file_row_number = true")
    query = (
        f"select {id_expr} as id, text, cast({source_expr} as varchar) as source from {rel} "
        f"where text is not null and length(text) > 0 and ({where or 'true'}) order by filename, id"
    )
    reader = con.sql(query).to_arrow_reader(PARQUET_BATCH_ROWS)
    for batch in reader:
        d = batch.to_pydict()
        for i, t, s in zip(d["id"], d["text"], d["source"]):
            yield SourceDoc(i, t, s)


def iter_docs(
    inputs: list[str] | tuple[str, ...], where: str = "", source_expr: str | None = None
) -> Iterator[SourceDoc]:
    """All documents of all inputs in a fixed order (files sorted; Parquet rows by file, id)."""
    files = expand(inputs)
    parquet = [p for p in files if _kind(p) == "parquet"]
    if where and len(parquet) < len(files):
        raise ValueError("a SQL predicate (--where) applies to Parquet inputs only")
    if parquet:
        yield from _parquet_docs(parquet, where, source_expr)
    for p in files:
        kind = _kind(p)
        if kind == "text":
            yield from _text_docs(p)
        elif kind == "jsonl":
            yield from _jsonl_docs(p)
        elif kind != "parquet":
            raise ValueError(f"{p}: unknown format (expected .parquet, .jsonl or .txt, optionally .gz)")


def split_of(text: str, val_fraction: float) -> str:
    """'val' or 'train' from a hash of the text: exact duplicates always land in the same split."""
    h = int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big")
    return "val" if h < val_fraction * 2**64 else "train"


def _path_list(paths) -> str:
    """A DuckDB list of path literals, quoted the one way the project quotes SQL strings (sql_literal)."""
    return "[" + ", ".join(sql_literal(p) for p in paths) + "]"
