"""A learned scorer's cutoff as a point on a measured trade-off curve, chosen by a stated rule.

For every candidate cutoff the curve says what it costs and what it buys: the share of the crawl
sample it removes, the share of each good set (reference, articles, rated pages, per source) it
keeps, the share of each poor set (junk, crawl rejects, rated poor pages) it removes. The default
cutoff is the point of `KeepRule`: remove as much of the crawl as possible while every good set
keeps at least its floor. Both the curve and the rule go into the model's manifest.

`bound` is the side a document is removed on: "min" (quality, coherence: score below the cutoff)
or "max" (perplexity: above it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

CURVE_CRAWL_SHARES = tuple(round(0.05 * i, 2) for i in range(0, 11))  # curve rows: 0%, 5%, ... 50% of the crawl removed
CURVE_POOR_SHARES = tuple(round(0.1 * i, 1) for i in range(0, 11))  # without a crawl: 0%, 10%, ... of the poor sets


@dataclass(frozen=True)
class KeepRule:
    """Remove as much of the crawl as possible while every good set keeps >= `min_kept` (a set named
    in `floors` keeps >= its own floor instead). Sets with fewer than `min_docs` documents are
    pooled into one before the rule reads them: a percentile of 5 documents is noise."""

    min_kept: float = 0.95
    floors: dict = field(default_factory=dict)
    min_docs: int = 20

    def floor(self, name: str) -> float:
        return self.floors.get(name, self.min_kept)

    def describe(self) -> str:
        extra = "".join(f", {k} >= {v:.0%}" for k, v in sorted(self.floors.items()))
        return (f"remove as much of the crawl sample as possible while every good set keeps >= {self.min_kept:.0%}"
                f"{extra} (sets under {self.min_docs} documents pooled)")


def _clean(values) -> np.ndarray:
    return np.asarray(sorted(float(v) for v in values if v is not None and not math.isnan(v)), dtype=np.float64)


def removed_share(values, cutoff: float, bound: str) -> float | None:
    v = _clean(values)
    if not len(v):
        return None
    gone = np.count_nonzero(v < cutoff) if bound == "min" else np.count_nonzero(v > cutoff)
    return round(gone / len(v), 4)


def pooled(groups: dict[str, list], min_docs: int) -> dict[str, list]:
    big = {k: v for k, v in groups.items() if len([x for x in v if x is not None]) >= min_docs}
    small = [x for k, v in groups.items() if k not in big for x in v]
    return {**big, **({"(small sets pooled)": small} if small else {})}


def _limit(values: np.ndarray, floor: float, bound: str) -> float:
    """The farthest cutoff that still keeps >= floor of `values` (sorted)."""
    n = len(values)
    k = int(math.floor(n * (1.0 - floor) + 1e-9))  # documents this set may lose
    if bound == "min":  # removed: x < cutoff; keeping values[k:] allows a cutoff up to values[k]
        return float(values[min(k, n - 1)]) if k < n else math.inf
    return float(values[n - 1 - k]) if k < n else -math.inf  # removed: x > cutoff


def choose(good: dict[str, list], bound: str, rule: KeepRule) -> tuple[float, str]:
    """The rule's cutoff and the good set that binds it. The crawl share removed grows monotonically
    as the cutoff moves, so "as much as possible" is the farthest cutoff every good set allows."""
    limits = {}
    for name, values in pooled(good, rule.min_docs).items():
        v = _clean(values)
        if len(v):
            limits[name] = _limit(v, rule.floor(name), bound)
    if not limits:
        raise ValueError("no good set has a score: no cutoff can be chosen")
    pick = min if bound == "min" else max
    binding = pick(limits, key=limits.get)
    return limits[binding], binding


def point(cutoff: float, crawl, good: dict[str, list], poor: dict[str, list], bound: str) -> dict:
    return {"cutoff": cutoff, "crawl_removed": removed_share(crawl, cutoff, bound),
            "good_kept": {k: None if (r := removed_share(v, cutoff, bound)) is None else round(1 - r, 4)
                          for k, v in good.items()},
            "poor_removed": {k: removed_share(v, cutoff, bound) for k, v in poor.items()}}


def curve(crawl, good: dict[str, list], poor: dict[str, list], bound: str) -> list[dict]:
    """One row per share of the crawl removed (its cutoff is that quantile of the crawl's scores);
    without a crawl sample, one row per share of all poor sets' documents together (of all good ones
    when there are none either)."""
    base, shares = _clean(crawl), CURVE_CRAWL_SHARES
    if not len(base):
        base, shares = _clean([x for v in poor.values() for x in v]), CURVE_POOR_SHARES
    if not len(base):
        base = _clean([x for v in good.values() for x in v])
    if not len(base):
        return []
    rows = []
    for s in shares:
        q = s if bound == "min" else 1.0 - s
        cut = float(np.quantile(base, q)) if s > 0 else (float(base[0]) if bound == "min" else float(base[-1]))
        rows.append(point(round(cut, 6), crawl, good, poor, bound))
    return rows


def tradeoff(crawl, good: dict[str, list], poor: dict[str, list], bound: str, rule: KeepRule) -> dict:
    """The manifest's record: the rule, its cutoff and the set that binds it, that point and the curve."""
    cut, binding = choose(good, bound, rule)
    docs = {"crawl": len(_clean(crawl)), **{k: len(_clean(v)) for k, v in {**good, **poor}.items()}}
    return {"rule": rule.describe(), "bound": bound, "min_kept": rule.min_kept, "floors": dict(rule.floors),
            "cutoff": cut, "binding_set": binding, "docs": docs, "chosen": point(cut, crawl, good, poor, bound),
            "curve": curve(crawl, good, poor, bound)}


def format_table(t: dict, label: str = "cutoff") -> list[str]:
    """The curve as text lines for the terminal: one row per cutoff, the chosen one marked."""
    rows = [*t["curve"], {**t["chosen"], "chosen": True}]
    rows.sort(key=lambda r: r["cutoff"], reverse=t["bound"] == "max")  # from removing least to most
    good, poor = list(t["chosen"]["good_kept"]), list(t["chosen"]["poor_removed"])
    head = [f"{label:>10}", "crawl-", *[f"{_short(g)}+" for g in good], *[f"{_short(p)}-" for p in poor]]
    out = ["  " + " ".join(f"{h:>10}" for h in head)]
    for r in rows:
        cells = [_fmt(r["crawl_removed"]), *[_fmt(r["good_kept"][g]) for g in good],
                 *[_fmt(r["poor_removed"][p]) for p in poor]]
        mark = " <- rule" if r.get("chosen") else ""
        out.append("  " + " ".join(f"{c:>10}" for c in [f"{r['cutoff']:.4g}", *cells]) + mark)
    return out


def legend(t: dict) -> list[str]:
    """What the short column names stand for."""
    names = [*t["chosen"]["good_kept"], *t["chosen"]["poor_removed"]]
    return [f"    {_short(n)} = {n}" for n in names if _short(n) != n]


def _short(name: str) -> str:
    base = name.split(" (", 1)[0].rsplit("/", 1)[-1]
    for suffix in (".jsonl.gz", ".txt.gz", ".csv.gz", ".gz", ".jsonl"):
        base = base.removesuffix(suffix)
    return base[:9]


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"
