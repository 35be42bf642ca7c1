"""What the read-only commands (sql, explain, diff, export, refilter, report, mix build, tokenize) do with an
OUT or input in object storage: read a local copy of it (corpus.core.remote.readable), or fail in one line."""

from __future__ import annotations

from corpus.core import remote
from corpus.core.clierrors import fail


def local(path: str) -> str:
    """`path` itself when local; else its read-only copy in the cache (credentials and endpoint from the
    environment or ~/.aws), or `error: ...` and exit 2."""
    try:
        return remote.readable(path)
    except (remote.RemoteError, FileNotFoundError) as e:
        fail(str(e))
