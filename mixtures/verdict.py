"""Whether a search's proposal won, in plain words: the metric's definition, how well the fit ranks
mixtures it did not see, and the proposal against uniform weights and the best sampled mixture, each
trained with several seeds, against the spread of those seeds.

The seeds vary the sample of documents as well as the initialisation and batch order, so the band
(the widest max - min over the seeds of one mixture) is the whole noise of a proxy run. A difference
inside it is a tie.

A proposal is claimed only when the fit ranks the best quarter of the runs it did not see
(mixtures/search.py, `fit_and_propose`); otherwise the verdict recommends the best measured run and
reports the fitted optimum, trained all the same, as a check of that decision, never as a win.
"""

from __future__ import annotations

import numpy as np

MIN_RUNS, MIN_SPEARMAN = 10, 0.7  # below either, the fit cannot be trusted to rank mixtures
MIN_RANK_BEST = 0.7  # held-out Spearman among the best quarter below which the proposal is not claimed
LABELS = {"proposed": "proposal", "uniform": "uniform weights", "best": "best sampled mixture"}


def compare(rows: list[dict], prefixes: dict[str, str], columns: list[str], goal: str) -> dict:
    """Per compared mixture (kind -> run-id prefix): the metric over its seeds and the mean of every
    target column; the band."""
    groups = {}
    for kind, prefix in prefixes.items():
        rs = [r for r in rows if r.get("kind") == kind and str(r["run"]).startswith(prefix + "-")]
        if not rs:
            continue
        v = np.array([r["metric"] for r in rs], dtype=np.float64)
        groups[kind] = {
            "n": len(rs),
            "mean": float(v.mean()),
            "min": float(v.min()),
            "max": float(v.max()),
            "values": v.tolist(),
            "runs": [r["run"] for r in rs],
            "columns": {c: float(np.mean([r[c] for r in rs])) for c in columns if all(c in r for r in rs)},
        }
    spreads = [g["max"] - g["min"] for g in groups.values() if g["n"] > 1]
    return {"compared": groups, "band": max(spreads) if spreads else None}


def _gain(s: dict, other: str, kind: str = "proposed") -> float:
    """How much better kind's mean is than the other's (positive: kind is better)."""
    sign = 1.0 if s["goal"] == "min" else -1.0
    return sign * (s["compared"][other]["mean"] - s["compared"][kind]["mean"])


def verdict(s: dict) -> list[str]:
    """Plain lines for the terminal and the report, from `search.summary`."""
    lines = [s["definition"]]
    if "chosen_model" not in s:
        return lines + [f"no fit yet: {s['search_runs']} sampled runs finished"]
    rho, n = s["heldout_spearman"][s["chosen_model"]], s["search_runs"]
    lines.append(
        f"fit: {s['chosen_model']}, held-out Spearman {rho:.3f} over {n} sampled runs "
        f"({s['heldout_spearman_best'][s['chosen_model']]:.3f} among the best quarter)"
    )
    if n < MIN_RUNS or rho < MIN_SPEARMAN:
        lines.append(
            f"warning: this search cannot tell mixtures apart yet: add runs (held-out Spearman {rho:.2f} "
            f"over {n} runs; trust a fit from about {MIN_SPEARMAN} over {MIN_RUNS} or more runs)"
        )
    claimed = s.get("claimed", True)
    if not claimed:
        need = s.get("min_rank_best", MIN_RANK_BEST)
        lines.append(
            f"proposal not claimed: the fit ranks the best quarter of the runs it did not see at Spearman "
            f"{s['heldout_spearman_best'][s['chosen_model']]:.2f} (a claim needs {need}), "
            f"so its optimum (predicted {s['predicted']['proposed']:.4f}, against {s['predicted']['best']:.4f} for "
            f"the best run) may be its error, not a better mixture; recommended: the best sampled mixture "
            f"(run {s['best_seen']['run']}, metric {s['best_seen']['metric']:.4f})"
        )
    groups = s.get("compared", {})
    for kind, g in groups.items():
        cols = ", ".join(f"{c} {v:.4f}" for c, v in g["columns"].items())
        label = LABELS[kind] if claimed or kind != "proposed" else "fitted optimum (not claimed)"
        lines.append(
            f"{label}: metric {g['mean']:.4f} over {g['n']} seed{'s' * (g['n'] > 1)} "
            f"({g['min']:.4f} to {g['max']:.4f}; fit predicted {s['predicted'][kind]:.4f})"
            + (f"; {cols}" if cols else "")
        )
    if "proposed" not in groups or len(groups) < 2:
        return lines + [
            "no comparison yet: the proposal and the mixtures it is compared with are not trained "
            "(final_seeds: 0, or the search has not got there)"
        ]
    band = s["band"]
    if band is None:
        lines.append("seed band: unknown with one seed per mixture (set final_seeds: 2 or more)")
    else:
        lines.append(
            f"seed band: {band:.4f} (the widest max - min over the seeds of one mixture; the seeds vary "
            f"the sample and the training)"
        )
    outcome = [_outcome(s, "proposed", other, band) for other in ("uniform", "best") if other in groups]
    if not claimed:
        lines.append("fitted optimum (not claimed), trained as a check: it " + "; ".join(outcome))
        rec = (
            f"it {_outcome(s, 'best', 'uniform', band)}"
            if {"best", "uniform"} <= set(groups)
            else "not compared with uniform weights yet"
        )
        return lines + [f"verdict: no proposal claimed; the recommendation is the best sampled mixture: {rec}"]
    won = band is not None and all(_gain(s, o) > band for o in ("uniform", "best") if o in groups)
    lines.append(f"verdict: the proposal {'won' if won else 'did not win'}: it " + "; ".join(outcome))
    return lines


def _outcome(s: dict, kind: str, other: str, band: float | None) -> str:
    gain = _gain(s, other, kind)
    if band is None:
        word = "better than" if gain > 0 else "not better than"
        return f"{word} {LABELS[other]} by {abs(gain):.4f}, with no band to judge it"
    if gain > band:
        return f"beat {LABELS[other]} by {gain:.4f}, beyond the band"
    if gain < -band:
        return f"lost to {LABELS[other]} by {-gain:.4f}, beyond the band"
    return f"tied with {LABELS[other]} ({gain:+.4f}, within the band)"
