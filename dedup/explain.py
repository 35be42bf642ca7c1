"""How likely MinHash LSH is to catch a pair as a function of its Jaccard similarity.

With b bands of r rows, a pair of Jaccard similarity s shares one band with probability s^r,
so it becomes a candidate with probability P(s) = 1 - (1 - s^r)^b: an S-curve whose midpoint
is (1 - 2^(-1/b))^(1/r) (often approximated by (1/b)^(1/r)). The report calls `explain`; `corpus dedup explain`
prints it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SIMILARITIES = tuple(round(s, 2) for s in np.arange(0.1, 1.0001, 0.05))


def catch_probability(s, bands: int, rows: int):
    return 1.0 - (1.0 - np.asarray(s, dtype=np.float64) ** rows) ** bands


@dataclass(frozen=True)
class Explanation:
    bands: int
    rows: int
    threshold: float  # the similarity the user wants to catch
    rows_table: tuple[tuple[float, float], ...]  # (Jaccard, probability of being a candidate)
    midpoint: float  # similarity caught with probability 1/2
    false_positive_area: float  # integral of P(s) below the threshold (datasketch's measure)
    false_negative_area: float  # integral of 1 - P(s) above it
    suggested: tuple[int, int]  # (bands, rows) datasketch finds best for the same permutations


def explain(bands: int, rows: int, threshold: float = 0.8) -> Explanation:
    from datasketch.lsh import _false_negative_probability, _false_positive_probability, _optimal_param

    table = tuple((s, float(catch_probability(s, bands, rows))) for s in SIMILARITIES)
    return Explanation(
        bands,
        rows,
        threshold,
        table,
        (1.0 - 0.5 ** (1.0 / bands)) ** (1.0 / rows),
        float(_false_positive_probability(threshold, bands, rows)),
        float(_false_negative_probability(threshold, bands, rows)),
        tuple(_optimal_param(threshold, bands * rows, 0.5, 0.5)),
    )


def plot(path: str, bands: int, rows: int, threshold: float, others: tuple[tuple[int, int], ...] = ()) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = np.linspace(0, 1, 201)
    fig, ax = plt.subplots(figsize=(6, 4))
    for b, r in ((bands, rows), *others):
        ax.plot(
            s,
            catch_probability(s, b, r),
            lw=2 if (b, r) == (bands, rows) else 1,
            label=f"{b} bands x {r} rows ({b * r} permutations)",
        )
    ax.axvline(threshold, color="grey", ls="--", lw=1, label=f"threshold {threshold:g}")
    ax.set_xlabel("Jaccard similarity of the pair")
    ax.set_ylabel("probability of being a candidate")
    ax.set_title("MinHash LSH: probability of catching a pair")
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
