"""Small file helpers every package uses: compressed text, checksums, list files, package versions."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
from importlib import metadata
from pathlib import Path


def open_text(path: str | Path, newline: str | None = None):
    """A UTF-8 text stream over a plain, .gz or .zst file; undecodable bytes become U+FFFD.
    `newline` as for open() ("" for the csv module)."""
    path = str(path)
    if path.endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", errors="replace", newline=newline)
    if path.endswith(".zst"):
        import zstandard

        return io.TextIOWrapper(
            zstandard.ZstdDecompressor().stream_reader(open(path, "rb")),
            encoding="utf-8",
            errors="replace",
            newline=newline,
        )
    return open(path, encoding="utf-8", errors="replace", newline=newline)


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def read_list(path: str | Path) -> list[str]:
    """Entries of a list file, one a line, lower-cased; '#' starts a comment; blank lines skipped."""
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip().lower()
        if line:
            out.append(line)
    return out


def package_versions(names: tuple[str, ...]) -> dict[str, str | None]:
    """Installed version of each distribution; None for one that is not installed."""
    out: dict[str, str | None] = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def cache_root() -> Path:
    """The toolkit's cache (demo models, mirrors and copies of builds in object storage): CORPUS_CACHE, or
    ~/.cache/corpus-toolkit."""
    return Path(os.environ.get("CORPUS_CACHE") or Path.home() / ".cache" / "corpus-toolkit")
