"""Funnel (documents, characters and payload bytes in/out per stage x language x reason) and shard accounting.

Characters count a document's text (after extraction once it ran); bytes count its input payload (the
HTTP body of a WARC record, the UTF-8 text of a JSONL or Parquet row). Before extraction a document has
no text yet, so the front stages (read, content, extract) are measured in bytes in and, for extract,
text out: the HTML-to-text step."""

from __future__ import annotations

import glob
import json
from collections import defaultdict

from corpus.core import vocab
from corpus.core.charset import printable
from corpus.core.layout import Layout

FRONT_STAGES = (vocab.READ, vocab.CONTENT, vocab.EXTRACT)
UNKNOWN_LANG = "unknown"


def compute_funnel(out: str, stages: tuple[str, ...]) -> dict:
    order = list(FRONT_STAGES) + [s for s in stages if s not in FRONT_STAGES]
    ended = defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))  # (stage, lang) -> reason -> [docs, chars, bytes]
    reach = defaultdict(lambda: [0, 0, 0])  # lang -> [docs, chars, bytes] of every document
    totals = dict.fromkeys(vocab.FATES, 0)
    for (fate, stage, lang, why), counts in count_groups(out).items():
        reach[lang] = [a + b for a, b in zip(reach[lang], counts)]
        totals[fate] += counts[0]
        if fate == vocab.FATE_KEPT:
            continue
        key = why if fate == vocab.FATE_DROPPED else f"failed:{why}"
        ended[(stage, lang)][key] = [a + b for a, b in zip(ended[(stage, lang)][key], counts)]
    unknown_stages = {s for s, _ in ended} - set(order)
    order += sorted(unknown_stages)  # stages of an earlier config that refilter no longer runs
    table = []
    for stage in order:
        for lang in sorted(reach):
            docs_in, chars_in, bytes_in = reach[lang]
            reasons = ended.get((stage, lang), {})
            gone, gone_chars, gone_bytes = (sum(v[i] for v in reasons.values()) for i in range(3))
            if docs_in == 0 and gone == 0:
                continue
            table.append(
                {
                    "stage": stage,
                    "lang": lang,
                    "docs_in": docs_in,
                    "docs_out": docs_in - gone,
                    "chars_in": chars_in,
                    "chars_out": chars_in - gone_chars,
                    "bytes_in": bytes_in,
                    "bytes_out": bytes_in - gone_bytes,
                    "removed": {r: {"docs": v[0], "chars": v[1], "bytes": v[2]} for r, v in sorted(reasons.items())},
                }
            )
            reach[lang] = [docs_in - gone, chars_in - gone_chars, bytes_in - gone_bytes]
    return {"totals": totals, "stages": table}


# what the funnel and the shard accounting read of each row
_COUNTED = (
    vocab.STAGE_COL,
    vocab.LANG,
    vocab.REASON_COL,
    vocab.ERROR_CLASS,
    vocab.EXTRACT_CHARS,
    vocab.TEXT,
    vocab.SOURCE_FILE,
    vocab.PAYLOAD_BYTES,
)


def count_groups(out: str, by_source: bool = False) -> dict[tuple, list[int]]:
    """(fate, stage, lang, reason or error class) -> [documents, characters, payload bytes] over every table
    file, or (source file, fate) -> [documents, characters, payload bytes] with by_source. One row group is
    read at a time, so
    the build process's memory does not grow with the corpus (DuckDB views over all the files, used
    before, took about 200 KB per file to bind: 137 MiB for 344 files at 50x, BENCHMARKS.md "Scale")."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    layout, groups = Layout(out), defaultdict(lambda: [0, 0, 0])
    keys = [vocab.SOURCE_FILE] if by_source else [vocab.STAGE_COL, vocab.LANG, "why"]
    for fate in vocab.FATES:
        for path in sorted(glob.glob(layout.fate_glob(fate))):
            f = pq.ParquetFile(path)
            for i in range(f.num_row_groups):
                rows = f.read_row_group(i, columns=_columns_needed(f, i), use_threads=False)
                table = (
                    _counted_columns(rows, pc)
                    .group_by(keys, use_threads=False)
                    .aggregate([("chars", "sum"), ("chars", "count", pc.CountOptions(mode="all")), ("bytes", "sum")])
                )
                for row in table.to_pylist():
                    g = groups[(fate, *(row[k] for k in keys)) if not by_source else (row[keys[0]], fate)]
                    g[0] += row["chars_count"]
                    g[1] += row["chars_sum"] or 0
                    g[2] += row["bytes_sum"] or 0
    return dict(groups)


def _columns_needed(f, row_group: int) -> list[str]:
    """The text is read only where some row has no extract_chars (the statistics say): decompressing it
    is most of the memory a file takes, and after extraction every row has the count."""
    names = f.schema_arrow.names
    present = [c for c in _COUNTED if c in names]
    if vocab.EXTRACT_CHARS in names:
        col = f.metadata.row_group(row_group).column(names.index(vocab.EXTRACT_CHARS))
        stats = col.statistics
        if stats is not None and stats.has_null_count and stats.null_count == 0 and vocab.TEXT in present:
            present.remove(vocab.TEXT)
    return present


def _counted_columns(rows, pc):
    import pyarrow as pa

    def col(name, dtype=pa.string()):
        i = rows.schema.get_field_index(name)
        return rows.column(i) if i >= 0 else pa.nulls(rows.num_rows, dtype)

    # characters a document carries into a stage: extracted text once extraction ran, else raw text
    chars = pc.coalesce(col(vocab.EXTRACT_CHARS, pa.int64()), pc.utf8_length(col(vocab.TEXT)).cast(pa.int64()))
    return pa.table(
        {
            vocab.STAGE_COL: col(vocab.STAGE_COL),
            vocab.LANG: pc.fill_null(col(vocab.LANG), UNKNOWN_LANG),
            "why": pc.coalesce(col(vocab.REASON_COL), col(vocab.ERROR_CLASS)),
            vocab.SOURCE_FILE: col(vocab.SOURCE_FILE),
            "chars": chars,
            "bytes": col(vocab.PAYLOAD_BYTES, pa.int64()),
        }
    )


def shard_accounting(out: str) -> dict:
    """Per input file: records read vs rows in kept + dropped + failed."""
    layout = Layout(out)
    records: dict[str, dict] = {}
    for path in sorted(glob.glob(f"{layout.accounting_dir()}/*.json")):
        with open(path) as f:
            records.update(json.load(f))
    counts = defaultdict(lambda: dict.fromkeys(vocab.FATES, 0))
    for (src, fate), (n, *_) in count_groups(out, by_source=True).items():
        counts[src][fate] = n
    shards = {}
    for src in sorted(set(records) | set(counts)):
        info = records.get(src, {"records": counts[src][vocab.FATE_FAILED], "shard_errors": 1, "missing": True})
        c = counts[src]
        shards[src] = {**info, **c, "balanced": info["records"] == sum(c.values())}
    return shards


def write_json(path: str, data: dict) -> None:
    # an input path from a non-UTF-8 file system holds lone surrogates: written as JSON's own \udcxx escapes
    with open(path, "w", encoding="utf-8", errors="backslashreplace") as f:
        json.dump(data, f, ensure_ascii=False, indent=1, sort_keys=False)


REASONS_WIDTH = 60  # the terminal funnel's reason column wraps here, between reasons, never inside one


def format_funnel(funnel: dict) -> str:
    """All languages summed per stage; funnel.json keeps the stage x language x reason detail. The front
    stages show the payload bytes they took in and extraction the text it gave out; the stages after it
    the text left. Every reason is printed whole, wrapped onto continuation lines."""
    from collections import Counter

    from corpus.core.sql import format_table

    stages: dict[str, list] = {}
    for r in funnel["stages"]:
        row = stages.setdefault(r["stage"], [0, 0, 0, 0, Counter()])
        row[0] += r["docs_in"]
        row[1] += r["docs_out"]
        row[2] += r.get("bytes_in", 0)
        row[3] += r["chars_out"]
        row[4].update({k: v["docs"] for k, v in r["removed"].items()})
    rows = []
    for s, (docs_in, docs_out, bytes_in, chars_out, removed) in stages.items():
        front = s in FRONT_STAGES
        # stage names and error classes of an older build are printed too: nothing raw reaches the terminal
        lines = wrap_items([printable(f"{k}={n}") for k, n in sorted(removed.items())], REASONS_WIDTH)
        text_out = chars_out if not front or s == vocab.EXTRACT else ""  # no text before extraction
        rows.append((printable(s), docs_in, docs_out, bytes_in if front else "", text_out, lines[0]))
        rows += [("", "", "", "", "", more) for more in lines[1:]]
    t = funnel["totals"]
    return (
        format_table(
            ["stage", "docs_in", "docs_out", "bytes_in", "chars_out", "removed"],
            rows,
            max_width=REASONS_WIDTH + 40,
            footer=False,
        )
        + f"\nrecords: {sum(t.values())}  kept: {t['kept']}  dropped: {t['dropped']}  failed: {t['failed']}"
        + "\n(bytes_in: input payload bytes, before extraction; chars_out: characters of text)"
    )


def wrap_items(items: list[str], width: int) -> list[str]:
    """'a, b, c' split into lines of at most `width` characters between items (an item longer than the
    width gets a line of its own, whole)."""
    lines = [""]
    for item in items:
        joined = f"{lines[-1]}, {item}" if lines[-1] else item
        if len(joined) <= width or not lines[-1]:
            lines[-1] = joined
        else:
            lines[-1] += ","
            lines.append(item)
    return lines
