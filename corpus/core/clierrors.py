"""The one way a `corpus` command ends on a mistake the user can mend: one line on stderr, then its exit code."""

from __future__ import annotations

from typing import NoReturn


class UsageError(ValueError):
    """A mistake the user mends (an endpoint that cannot be reached, missing or wrong credentials, ...): a
    command reports it with `fail(str(e))`, one line and exit 2, never a traceback. Modules below the CLI raise
    their own subclasses (corpus.core.remote.RemoteError); a command catches UsageError once for all of them."""


def fail(message: str, code: int = 2) -> NoReturn:
    """`error: MESSAGE` and exit `code` (2: a usage or config mistake, see README's exit codes)."""
    import typer  # here: the modules that raise UsageError load this one in worker processes too

    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)
