"""`corpus dedup ...` commands."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Optional

import typer

from corpus.core.clierrors import fail

if TYPE_CHECKING:
    from dedup.config import DedupConfig


def parse_curve(spec: str) -> tuple[int, int]:
    """'20x5' -> (20, 5): bands x rows, both >= 1."""
    m = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", spec)
    if not m or min(int(m.group(1)), int(m.group(2))) < 1:
        raise ValueError(f"--compare {spec!r}: expected BANDSxROWS with positive numbers, e.g. 20x5")
    return int(m.group(1)), int(m.group(2))


def dedup_section(config: str | None) -> DedupConfig:
    """The `dedup` section of a build's YAML config (the rest of it is the build's business)."""
    from corpus.core.configlib import check, from_dict, load_yaml
    from dedup.config import DedupConfig

    section = (load_yaml(config) if config else {}).get("dedup") or {}
    check(isinstance(section, dict), "dedup", f"expected a mapping, got {section!r}")
    return from_dict(DedupConfig, section, "dedup")


def register(app: typer.Typer) -> None:
    dedup = typer.Typer(no_args_is_help=True, help="Deduplication: explain LSH parameters.")
    app.add_typer(dedup, name="dedup")

    @dedup.command("explain")
    def explain_cmd(
        config: Optional[str] = typer.Option(None, "-c", "--config", help="YAML config (dedup.minhash bands/rows)"),
        bands: Optional[int] = typer.Option(None, "--bands", help="override dedup.minhash.bands"),
        rows: Optional[int] = typer.Option(None, "--rows", help="override dedup.minhash.rows"),
        threshold: Optional[float] = typer.Option(
            None, "--threshold", help="similarity to catch (default dedup.minhash.verify_threshold)"
        ),
        plot_path: Optional[str] = typer.Option(None, "--plot", help="write the S-curve as a PNG here"),
        compare: list[str] = typer.Option(
            [],
            "--compare",
            help="other BANDSxROWS curves, e.g. 20x5: a column each in the table, and a curve each on the --plot",
        ),
    ):
        """Probability that a pair is caught, by Jaccard similarity, for the configured bands x rows."""
        from corpus.core.configlib import ConfigError
        from corpus.core.sql import format_table
        from dedup.explain import explain, plot

        try:
            m = dedup_section(config).minhash
            others = tuple(parse_curve(c) for c in compare)
        except (ConfigError, ValueError) as e:
            fail(str(e))
        b = bands if bands is not None else m.bands
        r = rows if rows is not None else m.rows
        t = threshold if threshold is not None else m.verify_threshold
        for name, value in (("--bands", b), ("--rows", r)):
            if value < 1:
                fail(f"{name} must be >= 1, not {value}")
        if not 0 < t < 1:
            fail(f"--threshold must be within (0, 1), not {t:g}")
        ex = explain(b, r, t)
        typer.echo(
            f"{b} bands x {r} rows = {b * r} permutations; caught with probability 1/2 at Jaccard ~{ex.midpoint:.3f}"
        )
        compared = [explain(ob, orows, t) for ob, orows in others]
        for o in compared:
            typer.echo(
                f"compared: {o.bands} bands x {o.rows} rows = {o.bands * o.rows} permutations; probability "
                f"1/2 at Jaccard ~{o.midpoint:.3f}"
            )
        columns = ["jaccard", "p_caught"] + [f"{o.bands}x{o.rows}" for o in compared]
        rows_out = [
            (f"{s:.2f}", f"{p:.4f}", *(f"{o.rows_table[i][1]:.4f}" for o in compared))
            for i, (s, p) in enumerate(ex.rows_table)
        ]
        typer.echo(format_table(columns, rows_out))
        typer.echo(
            f"threshold {t:g}: false-positive area {ex.false_positive_area:.4f}, false-negative area "
            f"{ex.false_negative_area:.4f}; datasketch's optimum for {b * r} permutations: "
            f"{ex.suggested[0]} bands x {ex.suggested[1]} rows"
        )
        if m.verify and threshold is None:
            typer.echo(
                f"candidates are then verified by true Jaccard >= {m.verify_threshold:g} "
                "(dedup.minhash.verify), which removes the false positives"
            )
        if plot_path:
            typer.echo(f"plot: {plot(plot_path, b, r, t, others)}")
