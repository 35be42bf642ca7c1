"""Runs exchanged in Olmix's shape: `ratios.csv` (run, one column per domain, rows summing to 1) and
`metrics.csv` (run, one column per metric), joined on `run` (Olmix also accepts `run_id`; an
optional `name` column labels runs). Our metric columns keep their runs-table names
(loss.SOURCE, bpb.SOURCE, acc.TASK, metric)."""

from __future__ import annotations

import csv
import os

from mixtures.runs import ACC, BPB, LOSS, WEIGHT, append_run, read_runs

RATIOS, METRICS = "ratios.csv", "metrics.csv"
METRIC_PREFIXES = (LOSS, BPB, ACC, "acc_norm.")


def export_runs(runs_dir: str, out: str) -> dict:
    rows = read_runs(runs_dir)
    if not rows:
        raise FileNotFoundError(f"{runs_dir} holds no finished runs (runs.jsonl)")
    domains = list(dict.fromkeys(k for r in rows for k in r if k.startswith(WEIGHT)))
    metrics = list(dict.fromkeys(k for r in rows for k in r if k.startswith(METRIC_PREFIXES) or k == "metric"))
    os.makedirs(out, exist_ok=True)
    _write(
        os.path.join(out, RATIOS),
        ["run", "name"] + [d[len(WEIGHT) :] for d in domains],
        [[r["run"], r.get("kind", "")] + [r.get(d, 0.0) for d in domains] for r in rows],
    )
    _write(os.path.join(out, METRICS), ["run"] + metrics, [[r["run"]] + [r.get(m, "") for m in metrics] for r in rows])
    return {"runs": len(rows), "domains": len(domains), "metrics": len(metrics)}


def _write(path: str, header: list[str], rows: list[list]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def _read(path: str) -> tuple[str, dict[str, dict]]:
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path} does not exist")
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    key = next((k for k in ("run", "run_id") if rows and k in rows[0]), None)
    if key is None:
        raise ValueError(f"{path}: needs a 'run' or 'run_id' column")
    return key, {r[key]: r for r in rows}


def import_runs(src: str, runs_dir: str) -> dict:
    """Olmix CSVs into a runs table; weights renormalised where they do not sum to 1, metrics parsed as numbers."""
    rkey, ratios = _read(os.path.join(src, RATIOS))
    mkey, metrics = _read(os.path.join(src, METRICS))
    done = {r["run"] for r in read_runs(runs_dir)}
    added = 0
    for run, rrow in ratios.items():
        if run in done or run not in metrics:
            continue
        weights = {k: float(v) for k, v in rrow.items() if k not in (rkey, "name") and v != ""}
        total = sum(weights.values())
        total = 1.0 if abs(total - 1.0) < 1e-4 or not total else total  # CSV rounding is not a different mixture
        row = {"run": run, "kind": rrow.get("name") or "imported"}
        row |= {WEIGHT + k: v / total for k, v in weights.items()}
        row |= {k: _number(v) for k, v in metrics[run].items() if k not in (mkey, "name")}
        append_run(runs_dir, row)
        added += 1
    return {"imported": added, "skipped": len(ratios) - added}


def _number(v: str):
    try:
        return float(v)
    except ValueError:
        return v if v else None
