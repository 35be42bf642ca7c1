"""CLI commands of the heuristic family: `corpus calibrate` and `corpus refilter`."""

from __future__ import annotations

import json
from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    app.command()(calibrate)
    app.command()(refilter)


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def calibrate(
    out: str = typer.Argument(..., help="build output directory (an --annotate-all build sees every signal)"),
    percentile: float = typer.Option(5.0, "--percentile", "-p", help="min bounds at this percentile, max bounds at 100 - it"),
    sample: int = typer.Option(0, "--sample", help="documents sampled (0: all)"),
    seed: int = typer.Option(0, "--seed"),
    output: Optional[str] = typer.Option(None, "-o", "--output", help="write the YAML fragment here"),
    stats: Optional[str] = typer.Option(None, "--stats", help="write the percentile table (JSON) here"),
):
    """Per-language signal percentiles and thresholds proposed at a percentile (a config fragment)."""
    from corpus.calibrate import calibrate as run
    from corpus.refilter import effective_config
    from corpus.sql import format_table

    if not 0 < percentile < 50:
        _fail("--percentile must be within (0, 50)")
    try:
        cfg = effective_config(out)
        table, proposals, fragment = run(out, cfg, percentile, sample, seed)
    except (FileNotFoundError, ValueError) as e:
        _fail(str(e))
    rows = [(p.lang, p.key, p.bound, p.current, p.proposed, f"{p.removes:.1%}", p.docs) for p in proposals]
    typer.echo(format_table(["lang", "signal", "bound", "now", "proposed", "removes", "docs"], rows), err=True)
    if stats:
        with open(stats, "w", encoding="utf-8") as f:
            json.dump(table, f, indent=1, ensure_ascii=False)
    if output:
        with open(output, "w", encoding="utf-8") as f:
            f.write(fragment)
        typer.echo(f"config fragment: {output}", err=True)
    else:
        typer.echo(fragment, nl=False)


def refilter(
    out: str = typer.Argument(..., help="build output directory"),
    output: str = typer.Option(..., "-o", "--output", help="new output directory"),
    sets: Optional[list[str]] = typer.Option(None, "--set", help="RULE=VALUE, e.g. en.gopher_word_count.min=80"),
    config: Optional[str] = typer.Option(None, "-c", "--config", help="YAML config fragment (e.g. from calibrate)"),
    overwrite: bool = typer.Option(False, "--overwrite"),
):
    """Re-apply threshold rules to stored signals (no recompute); write kept/dropped/failed + funnel."""
    from corpus.cli import print_funnel
    from corpus.configlib import ConfigError
    from corpus.refilter import effective_config, refilter as run

    try:
        cfg = effective_config(out, config, tuple(sets or ()))
        result = run(out, output, cfg, overwrite=overwrite)
    except (ConfigError, FileNotFoundError, FileExistsError, ValueError) as e:
        _fail(str(e))
    print_funnel(result.funnel)
    typer.echo(f"refiltered in {result.seconds:.2f}s; output: {result.out}")
