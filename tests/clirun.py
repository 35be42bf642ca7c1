"""Run `corpus ...` in-process through the app factory, with the result shaped like a finished
subprocess (returncode, stdout, stderr), so that only tests about processes and signals pay for a
new interpreter."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass

from typer.testing import CliRunner

from corpus.cli import make_app


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str


def corpus(*args, cwd=None, env: dict | None = None, input: str | None = None) -> Ran:
    """An exception the CLI did not turn into a message is re-raised: in a real process it would be
    a traceback, which every CLI test counts as a failure."""
    runner = CliRunner()
    changes = {k: v for k, v in (env or {}).items() if os.environ.get(k) != v}
    with contextlib.chdir(cwd) if cwd else contextlib.nullcontext():
        r = runner.invoke(make_app(), [str(a) for a in args], input=input, env=changes, catch_exceptions=False)
    return Ran(r.exit_code, r.stdout, r.stderr)
