"""What a runs directory of `corpus mix search` may be reused for.

A runs directory belongs to one mixture file (RUNS/search.json, the file as it was last run). Run
again with more `runs`, more `final_seeds` or another fit (`regression`, `metric`, `goal`, `folds`,
`candidates`, `top_k`) and the finished runs are reused: the sampled mixtures are drawn so that the
first n do not depend on `runs`, the proposal is refitted when the runs or the fit changed, and the
metric column is recomputed when its definition changed. A change that makes the finished runs
incomparable with new ones (the targets, the proxy, the tokenizer, the sources, the budget, the
sampling) is refused, naming the key that changed.
"""

from __future__ import annotations

import json
import os
from typing import Callable

from corpus.core.configlib import ConfigError, from_dict, to_dict
from mixtures.mixture import Mixture
from mixtures.runs import read_runs, rewrite_runs
from mixtures.searchconfig import SearchConfig, metric_of, search_config

SEARCH_FILE, PROPOSAL_FILE = "search.json", "proposal.json"
REUSABLE = {
    "search.runs",
    "search.final_seeds",
    "search.regression",
    "search.folds",
    "search.candidates",
    "search.top_k",
    "search.metric",
    "search.goal",
    "search.workers",
    "search.launcher",
    "search.keep_checkpoints",
    "shard_tokens",
    "cache",
}
FIT_KEYS = ("metric", "goal", "regression", "folds", "candidates", "top_k", "prior", "concentration")


def _write_json(path: str, data) -> None:
    with open(path + ".tmp", "w") as f:
        json.dump(data, f, indent=2, ensure_ascii=False)
    os.replace(path + ".tmp", path)


def _filled(raw: dict) -> dict:
    """A mixture file as a dict with the search section's defaults filled in (so writing a default
    out is no change); as it is where it no longer parses (a file written by an older version)."""
    try:
        mix = from_dict(Mixture, raw)
        return to_dict(mix) | {"search": to_dict(search_config(mix))}
    except ConfigError:
        return raw


def _flat(value, key: str = "") -> dict[str, object]:
    """Dotted keys; sources and targets by name (sources.en_web.where), other lists as one value."""
    if isinstance(value, dict):
        return {k2: v2 for k, v in value.items() for k2, v2 in _flat(v, f"{key}.{k}" if key else k).items()}
    if isinstance(value, list) and value and all(isinstance(v, dict) and "name" in v for v in value):
        return {k2: v2 for v in value for k2, v2 in _flat(v, f"{key}.{v['name']}").items()}
    return {key: json.dumps(value, sort_keys=True)}


def _reusable(key: str) -> bool:
    return key in REUSABLE or (key.startswith("sources.") and key.endswith(".weight"))  # the search sets weights


def open_runs_dir(mix: Mixture, cfg: SearchConfig, runs_dir: str) -> None:
    """Refuse a mixture file whose runs would not compare with the finished ones; record the file."""
    os.makedirs(runs_dir, exist_ok=True)
    path = os.path.join(runs_dir, SEARCH_FILE)
    new = to_dict(mix) | {"search": to_dict(cfg)}
    if os.path.exists(path):
        with open(path) as f:
            old = _flat(_filled(json.load(f)))
        now = _flat(new)
        changed = [k for k in sorted(set(old) | set(now)) if not _reusable(k) and old.get(k) != now.get(k)]
        if changed:
            k = changed[0]
            raise ConfigError(
                k,
                f"changed since the runs in {runs_dir} were made ({old.get(k, 'absent')} -> "
                f"{now.get(k, 'absent')}), so new runs would not compare with them: change it "
                f"back, or search into a new directory",
            )
    _write_json(path, new)
    rows = read_runs(runs_dir)
    fresh = [r | {"metric": metric_of(r, cfg)} if all(c in r for c in cfg.metric) else r for r in rows]
    if fresh != rows:  # the metric's definition changed: the column follows it
        rewrite_runs(runs_dir, fresh)


def read_proposal(runs_dir: str) -> dict:
    path = os.path.join(runs_dir, PROPOSAL_FILE)
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return json.load(f)


def cached_proposal(runs_dir: str, cfg: SearchConfig, rows: list[dict], make: Callable[[list[dict]], dict]) -> dict:
    """proposal.json, refitted when the sampled runs or the fit's settings differ from its own."""
    inputs = json.loads(
        json.dumps(
            {
                "search_runs": sorted(r["run"] for r in rows if r["kind"] == "search"),
                "fit": {k: to_dict(getattr(cfg, k)) for k in FIT_KEYS},
            }
        )
    )
    p = read_proposal(runs_dir)
    if p.get("inputs") == inputs:
        return p
    p = make(rows) | {"inputs": inputs}
    _write_json(os.path.join(runs_dir, PROPOSAL_FILE), p)
    return p
