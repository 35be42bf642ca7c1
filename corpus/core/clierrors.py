"""The one way a `corpus` command ends on a mistake the user can mend: one line on stderr, then its exit code."""

from __future__ import annotations

from typing import NoReturn

import typer


def fail(message: str, code: int = 2) -> NoReturn:
    """`error: MESSAGE` and exit `code` (2: a usage or config mistake, see README's exit codes)."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)
