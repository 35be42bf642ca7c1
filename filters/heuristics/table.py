"""The table of the heuristic signals that docs/heuristics.md refers to, generated from their declarations in
corpus.core.vocab rather than written by hand, so it cannot fall behind them:

    python -m filters.heuristics.table
"""

from __future__ import annotations

from corpus.core import vocab
from filters.heuristics.families import FAMILIES


def _reason(code: str | None) -> str:
    return f"`{code}`: {vocab.REASONS[code].doc}" if code else ""


def markdown(stages: tuple[str, ...] = tuple(FAMILIES)) -> str:
    """One row per signal of `stages`, in declaration order (the Parquet columns' order)."""
    rows = ["| signal | stage | type | what | drops below min | drops above max |", "|---|---|---|---|---|---|"]
    for k in vocab.KEYS.values():
        if k.stage in stages:
            cells = (f"`{k.name}`", k.stage, k.dtype, k.doc, _reason(k.below), _reason(k.above))
            rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown())
