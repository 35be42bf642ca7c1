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
    """One HTML page: funnel, drop reasons with samples, thresholds on histograms, failed, config.

    Interactive charts (hover, zoom) drawn by plotly.min.js, written beside the page: nothing is fetched from a
    network. Progress on stderr while it works (a bar for the histograms on a terminal)."""
    from corpus.core.progress import counted
    from corpus.core.remote import is_remote
    from corpus.core.remote_cli import local
    from corpus.core.sql import UnreadableBuild
    from reports.report import NotABuild, write_report

    if output and is_remote(output):
        fail(f"-o {output}: the report is written to a local file (OUT may be in object storage)")
    out = local(out)  # a build in object storage: its read-only copy, where the page goes unless -o says
    try:
        path = write_report(out, output, say=lambda line: typer.echo(line, err=True), counted=counted)
    except (NotABuild, UnreadableBuild) as e:
        fail(str(e))
    except (FileNotFoundError, IsADirectoryError, PermissionError) as e:  # the -o path
        fail(f"cannot write the report: {e}")
    typer.echo(f"report: {path}")
