"""The runs table of a mixture search: RUNS/runs.jsonl (one line per finished run, appended and
fsynced) and RUNS/runs.parquet (rewritten atomically after each run) for `corpus sql RUNS`.

A run that was killed before its line was written simply is not in the table and is redone; a
half-written last line (a kill during the write) is ignored.
"""

from __future__ import annotations

import json
import os

import pyarrow as pa
import pyarrow.parquet as pq

JSONL = "runs.jsonl"
PARQUET = "runs.parquet"
WEIGHT = "w."  # column prefixes: mixture weight, validation loss / bits per byte, task accuracy, tokens
LOSS, BPB, ACC, TOKENS = "loss.", "bpb.", "acc.", "tokens."


def read_runs(runs_dir: str) -> list[dict]:
    path = os.path.join(runs_dir, JSONL)
    if not os.path.exists(path):
        return []
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:  # the write a kill interrupted
                continue
    return rows


def append_run(runs_dir: str, row: dict) -> None:
    os.makedirs(runs_dir, exist_ok=True)
    path = os.path.join(runs_dir, JSONL)
    _drop_torn_tail(path)
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(row, ensure_ascii=False) + "\n")
        f.flush()
        os.fsync(f.fileno())
    write_parquet(runs_dir, read_runs(runs_dir))


def rewrite_runs(runs_dir: str, rows: list[dict]) -> None:
    """The whole table rewritten (a recomputed column): a new file fsynced, then swapped in."""
    path = os.path.join(runs_dir, JSONL)
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        f.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        f.flush()
        os.fsync(f.fileno())
    os.replace(path + ".tmp", path)
    write_parquet(runs_dir, rows)


def _drop_torn_tail(path: str) -> None:
    """A line cut by a kill would glue itself to the next one: cut the file back to its last newline."""
    if not os.path.exists(path) or not os.path.getsize(path):
        return
    with open(path, "rb+") as f:
        data = f.read()
        if not data.endswith(b"\n"):
            f.truncate(data.rfind(b"\n") + 1)


def write_parquet(runs_dir: str, rows: list[dict]) -> None:
    if not rows:
        return
    columns = list(dict.fromkeys(k for r in rows for k in r))  # union, first-seen order
    table = pa.table({c: [_cell(r.get(c)) for r in rows] for c in columns})
    tmp = os.path.join(runs_dir, PARQUET + ".tmp")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, os.path.join(runs_dir, PARQUET))


def _cell(v):
    return json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v


def weights_of(row: dict, names: list[str]) -> list[float]:
    return [float(row.get(WEIGHT + n, 0.0)) for n in names]
