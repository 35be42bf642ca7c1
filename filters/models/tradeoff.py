"""A learned scorer's cutoff as a point on a measured trade-off curve, chosen by a stated rule.

For every candidate cutoff the curve says what it costs and what it buys: the share of the crawl
sample it removes, the share of each good set (reference, articles, rated pages, per source) it
keeps, the share of each poor set (junk, crawl rejects, rated poor pages) it removes. The default
cutoff is the point of `KeepRule`: remove as much of the crawl as possible while every good set
keeps at least its floor. Both the curve and the rule go into the model's manifest.

Only a good set independent of the model's training positives may bound its cutoff: the held-out part
of a source the model learned as good text is scored like its training part (near 1 by quality, low
by perplexity), so a floor on it says nothing about web text. Such sets stay in the curve as
information. A floor is a claim about text like the set, not about the set's own documents, so it
must hold with `CONFIDENCE`: a set of n documents may lose k at the cutoff only where a one-sided
exact binomial test says the share kept is >= its floor (P(Binomial(n, 1 - floor) <= k) <= 1 -
CONFIDENCE; `allowed_losses`). A set too small to lose even none that way (floor^n > 1 - CONFIDENCE:
fewer than 45 documents at 95%, 114 at 98%, 11 at 80%) is pooled with the other small ones, and the
pool is judged the same way. Where no independent set is, the cutoff is off (None, with
`off_reason`): the signal is recorded, nothing is dropped by it.

`bound` is the side a document is removed on: "min" (quality, coherence: score below the cutoff)
or "max" (perplexity: above it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

CURVE_CRAWL_SHARES = tuple(round(0.05 * i, 2) for i in range(0, 11))  # curve rows: 0%, 5%, ... 50% of the crawl removed
CURVE_POOR_SHARES = tuple(round(0.1 * i, 1) for i in range(0, 11))  # without a crawl: 0%, 10%, ... of the poor sets
# a floor holds for text like the set with this confidence; with "n x (1 - floor) >= 1" instead, the 12 rated-3
# pages of the English train split set a cutoff at their 3rd lowest score and took rated 4-5 pages with it
CONFIDENCE = 0.9


@dataclass(frozen=True)
class KeepRule:
    """Remove as much of the crawl as possible while every independent good set keeps >= `min_kept` (a
    set named in `floors` keeps >= its own floor instead), with `CONFIDENCE`. A set too small for that
    (`adequate`) is pooled with the other small ones, and the pool is judged the same way."""

    min_kept: float = 0.95
    floors: dict = field(default_factory=dict)
    # the positives' held-out parts keep their floor too, once an independent set has turned the cutoff on
    # (they never turn it on): for a perplexity tail, which is meant to be far from *every* kind of good text
    positives_bound: bool = False

    def floor(self, name: str) -> float:
        return self.floors.get(name, self.min_kept)

    def describe(self) -> str:
        extra = "".join(f", {k} >= {v:.0%}" for k, v in sorted(self.floors.items()))
        also = ", and so does the held-out part of every training positive," if self.positives_bound else ""
        return (
            f"remove as much of the crawl sample as possible while every good set independent of the "
            f"training positives keeps >= {self.min_kept:.0%}{extra}{also} with {CONFIDENCE:.0%} confidence (a set "
            f"of n may lose k only if P(Binomial(n, 1 - floor) <= k) <= {1 - CONFIDENCE:.0%}; smaller sets are "
            f"pooled); no independent set: no cutoff"
        )


POOL = "(small sets pooled)"


def allowed_losses(n: int, floor: float) -> int | None:
    """The most of n documents a cutoff may remove while the share kept of text like them is >= floor with
    `CONFIDENCE`: the largest k with P(X <= k) <= 1 - CONFIDENCE, X ~ Binomial(n, 1 - floor); None when
    even k = 0 fails."""
    p, alpha = 1.0 - floor, 1.0 - CONFIDENCE
    if n <= 0 or p <= 0:
        return None
    if p >= 1:
        return n
    cdf, k = 0.0, -1
    while k < n:
        j = k + 1
        cdf += math.exp(
            math.lgamma(n + 1)
            - math.lgamma(j + 1)
            - math.lgamma(n - j + 1)
            + j * math.log(p)
            + (n - j) * math.log1p(-p)
        )
        if cdf > alpha + 1e-12:
            break
        k = j
    return None if k < 0 else k


def adequate(n: int, floor: float) -> bool:
    """Whether a set of n documents can bound a cutoff at `floor` (`allowed_losses`)."""
    return allowed_losses(n, floor) is not None


def needed(floor: float) -> int:
    """The fewest documents that can bound a cutoff at `floor`."""
    return math.ceil(math.log(1.0 - CONFIDENCE) / math.log(floor) - 1e-9)


def _clean(values) -> np.ndarray:
    return np.asarray(sorted(float(v) for v in values if v is not None and not math.isnan(v)), dtype=np.float64)


def removed_share(values, cutoff: float, bound: str) -> float | None:
    v = _clean(values)
    if not len(v):
        return None
    gone = np.count_nonzero(v < cutoff) if bound == "min" else np.count_nonzero(v > cutoff)
    return round(gone / len(v), 4)


def pooled(groups: dict[str, list], rule: KeepRule) -> tuple[dict[str, list], dict[str, float]]:
    """(sets the rule reads, their floors): each adequate set alone; the others as one pool, held to the
    highest floor among them, read only if the pool is adequate at that floor."""
    sizes = {k: len(_clean(v)) for k, v in groups.items()}
    big = {k: v for k, v in groups.items() if sizes[k] and adequate(sizes[k], rule.floor(k))}
    small = [k for k in groups if k not in big and sizes[k]]
    out, floors = dict(big), {k: rule.floor(k) for k in big}
    if small:
        floor = max(rule.floor(k) for k in small)
        pool = [x for k in small for x in groups[k]]
        if adequate(len(_clean(pool)), floor):
            out[POOL], floors[POOL] = pool, floor
    return out, floors


def _limit(values: np.ndarray, floor: float, bound: str) -> float:
    """The farthest cutoff that still keeps >= floor of `values` (sorted)."""
    n = len(values)
    k = allowed_losses(n, floor)  # documents this set may lose; only adequate sets get here
    if bound == "min":  # removed: x < cutoff; keeping values[k:] allows a cutoff up to values[k]
        return float(values[min(k, n - 1)]) if k < n else math.inf
    return float(values[n - 1 - k]) if k < n else -math.inf  # removed: x > cutoff


def choose(good: dict[str, list], bound: str, rule: KeepRule) -> tuple[float | None, str | None]:
    """The rule's cutoff and the set that binds it, over the sets given (the independent ones); (None,
    None) when none is adequate. The crawl share removed grows monotonically as the cutoff moves, so "as
    much as possible" is the farthest cutoff every set allows."""
    sets, floors = pooled(good, rule)
    limits = {name: _limit(_clean(v), floors[name], bound) for name, v in sets.items()}
    if not limits:
        return None, None
    pick = min if bound == "min" else max
    binding = pick(limits, key=limits.get)
    return limits[binding], binding


def off_reason(good: dict[str, list], independent, rule: KeepRule, lang: str) -> str:
    """Why no cutoff: no independent good set, or none (nor their pool) large enough."""
    mine = {k: len(_clean(v)) for k, v in good.items() if k in independent and len(_clean(v))}
    what = f"no good set independent of the training positives for {lang or 'this language'}"
    if not mine:
        return what
    sizes = ", ".join(
        f"{k} n={n} (needs {needed(rule.floor(k))} at {rule.floor(k):.0%})" for k, n in sorted(mine.items())
    )
    return f"{what} large enough: {sizes}, pooled too"


def point(cutoff: float, crawl, good: dict[str, list], poor: dict[str, list], bound: str) -> dict:
    return {
        "cutoff": cutoff,
        "crawl_removed": removed_share(crawl, cutoff, bound),
        "good_kept": {
            k: None if (r := removed_share(v, cutoff, bound)) is None else round(1 - r, 4) for k, v in good.items()
        },
        "poor_removed": {k: removed_share(v, cutoff, bound) for k, v in poor.items()},
    }


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


def tradeoff(
    crawl, good: dict[str, list], poor: dict[str, list], bound: str, rule: KeepRule, *, independent, lang: str = ""
) -> dict:
    """The manifest's record: the rule, its cutoff (None when off, with `off_reason`) and the set that binds
    it, that point and the curve. Every good set is in the curve; only those named in `independent` (not
    drawn from a source the model was trained on as a positive) may turn the cutoff on; with
    `rule.positives_bound` every good set then keeps its floor."""
    bounding = {k: v for k, v in good.items() if k in set(independent)}
    cut, binding = choose(bounding, bound, rule)
    if cut is not None and rule.positives_bound:
        cut, binding = choose(good, bound, rule)
    docs = {"crawl": len(_clean(crawl)), **{k: len(_clean(v)) for k, v in {**good, **poor}.items()}}
    return {
        "rule": rule.describe(),
        "bound": bound,
        "min_kept": rule.min_kept,
        "floors": dict(rule.floors),
        "cutoff": cut,
        "binding_set": binding,
        **({"off_reason": off_reason(good, bounding, rule, lang)} if cut is None else {}),
        "independent": sorted(bounding),
        "positives_bound": rule.positives_bound,
        "information_only": [] if rule.positives_bound else sorted(k for k in good if k not in bounding),
        "docs": docs,
        "chosen": None if cut is None else point(cut, crawl, good, poor, bound),
        "curve": curve(crawl, good, poor, bound),
    }


def columns(t: dict) -> tuple[list[str], list[str]]:
    """(good set names, poor set names) of a trade-off record, in the order recorded."""
    row = t["chosen"] or (t["curve"][0] if t["curve"] else {"good_kept": {}, "poor_removed": {}})
    return list(row["good_kept"]), list(row["poor_removed"])


def format_table(t: dict, label: str = "cutoff") -> list[str]:
    """The curve as text lines for the terminal: one row per cutoff, the chosen one marked."""
    rows = [*t["curve"], *([{**t["chosen"], "chosen": True}] if t["chosen"] else [])]
    rows.sort(key=lambda r: r["cutoff"], reverse=t["bound"] == "max")  # from removing least to most
    good, poor = columns(t)
    head = [f"{label:>10}", "crawl-", *[f"{_short(g)}+" for g in good], *[f"{_short(p)}-" for p in poor]]
    out = ["  " + " ".join(f"{h:>10}" for h in head)]
    for r in rows:
        cells = [
            _fmt(r["crawl_removed"]),
            *[_fmt(r["good_kept"][g]) for g in good],
            *[_fmt(r["poor_removed"][p]) for p in poor],
        ]
        mark = " <- rule" if r.get("chosen") else ""
        out.append("  " + " ".join(f"{c:>10}" for c in [f"{r['cutoff']:.4g}", *cells]) + mark)
    return out


def legend(t: dict) -> list[str]:
    """What the short column names stand for, and which good sets are training positives' held-out parts."""
    good, poor = columns(t)
    info, indep = set(t.get("information_only") or ()), set(t.get("independent") or ())
    note = {n: " (a training positive's held-out part: information, no floor)" for n in info}
    if t.get("positives_bound"):
        note.update(
            {
                n: " (a training positive's held-out part: keeps its floor once a cutoff is on)"
                for n in good
                if n not in indep
            }
        )
    return [f"    {_short(n)} = {n}{note.get(n, '')}" for n in [*good, *poor] if _short(n) != n or n in note]


def _short(name: str) -> str:
    base = name.split(" (", 1)[0].rsplit("/", 1)[-1]
    for suffix in (".jsonl.gz", ".txt.gz", ".csv.gz", ".gz", ".jsonl"):
        base = base.removesuffix(suffix)
    return base[:9]


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"
