"""Funnel (documents and characters in/out per stage x language x reason) and shard accounting."""

from __future__ import annotations

import glob
import json
from collections import defaultdict

from corpus import vocab
from corpus.layout import Layout
from corpus.sql import connect

FRONT_STAGES = (vocab.READ, vocab.CONTENT, vocab.EXTRACT)
UNKNOWN_LANG = "unknown"
# characters a document carries into a stage: extracted text once extraction ran, else raw text
_CHARS = f"coalesce({vocab.EXTRACT_CHARS}, length({vocab.TEXT}))"


def compute_funnel(out: str, stages: tuple[str, ...]) -> dict:
    con = connect(out)
    order = list(FRONT_STAGES) + [s for s in stages if s not in FRONT_STAGES]
    ended = defaultdict(lambda: defaultdict(lambda: [0, 0]))  # (stage, lang) -> reason -> [docs, chars]
    rows = con.execute(f"""
        select fate, stage, coalesce({vocab.LANG}, '{UNKNOWN_LANG}') as lang,
               coalesce(reason, error_class) as why, count(*), coalesce(sum({_CHARS}), 0)
        from docs where fate <> 'kept' group by all""").fetchall()
    for fate, stage, lang, why, n, chars in rows:
        key = why if fate == vocab.FATE_DROPPED else f"failed:{why}"
        ended[(stage, lang)][key][0] += n
        ended[(stage, lang)][key][1] += chars
    reach = {lang: [n, c] for lang, n, c in con.execute(
        f"select coalesce({vocab.LANG}, '{UNKNOWN_LANG}'), count(*), coalesce(sum({_CHARS}), 0) from docs group by all").fetchall()}
    unknown_stages = {s for s, _ in ended} - set(order)
    order += sorted(unknown_stages)  # stages of an earlier config that refilter no longer runs
    table = []
    for stage in order:
        for lang in sorted(reach):
            docs_in, chars_in = reach[lang]
            reasons = ended.get((stage, lang), {})
            gone = sum(v[0] for v in reasons.values())
            gone_chars = sum(v[1] for v in reasons.values())
            if docs_in == 0 and gone == 0:
                continue
            table.append({"stage": stage, "lang": lang, "docs_in": docs_in, "docs_out": docs_in - gone,
                          "chars_in": chars_in, "chars_out": chars_in - gone_chars,
                          "removed": {r: {"docs": v[0], "chars": v[1]} for r, v in sorted(reasons.items())}})
            reach[lang] = [docs_in - gone, chars_in - gone_chars]
    totals = dict(con.execute("select fate, count(*) from docs group by fate").fetchall())
    return {"totals": {f: totals.get(f, 0) for f in vocab.FATES}, "stages": table}


def shard_accounting(out: str) -> dict:
    """Per input file: records read vs rows in kept + dropped + failed."""
    layout = Layout(out)
    records: dict[str, dict] = {}
    for path in sorted(glob.glob(f"{layout.accounting_dir()}/*.json")):
        with open(path) as f:
            records.update(json.load(f))
    con = connect(out)
    counts = defaultdict(lambda: dict.fromkeys(vocab.FATES, 0))
    for src, fate, n in con.execute(f"select {vocab.SOURCE_FILE}, fate, count(*) from docs group by all").fetchall():
        counts[src][fate] = n
    shards = {}
    for src in sorted(set(records) | set(counts)):
        info = records.get(src, {"records": counts[src][vocab.FATE_FAILED], "shard_errors": 1, "missing": True})
        c = counts[src]
        shards[src] = {**info, **c, "balanced": info["records"] == sum(c.values())}
    return shards


def write_json(path: str, data: dict) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=1, sort_keys=False)


def format_funnel(funnel: dict) -> str:
    """All languages summed per stage; funnel.json keeps the stage x language x reason detail."""
    from collections import Counter

    from corpus.sql import format_table

    stages: dict[str, list] = {}
    for r in funnel["stages"]:
        row = stages.setdefault(r["stage"], [0, 0, 0, Counter()])
        row[0] += r["docs_in"]
        row[1] += r["docs_out"]
        row[2] += r["chars_out"]
        row[3].update({k: v["docs"] for k, v in r["removed"].items()})
    rows = [(s, a, b, c, ", ".join(f"{k}={n}" for k, n in sorted(d.items())))
            for s, (a, b, c, d) in stages.items()]
    t = funnel["totals"]
    return (format_table(["stage", "docs_in", "docs_out", "chars_out", "removed"], rows, max_width=90)
            + f"\nrecords: {sum(t.values())}  kept: {t['kept']}  dropped: {t['dropped']}  failed: {t['failed']}")
