"""CLI command of the reports package: `corpus report`."""

from __future__ import annotations

from typing import Optional

import typer

from corpus.core.clierrors import fail


def register(app: typer.Typer) -> None:
    app.command()(report)


def report(
    out: str = typer.Argument(..., help="build (or refilter) output directory"),
    output: Optional[str] = typer.Option(None, "-o", "--output", help="HTML file (default OUT/report.html)"),
):
    """One self-contained HTML page: funnel, drop reasons with samples, thresholds on histograms, failed, config."""
    from reports.report import write_report

    try:
        path = write_report(out, output)
    except FileNotFoundError as e:
        fail(str(e))
    typer.echo(f"report: {path}")
