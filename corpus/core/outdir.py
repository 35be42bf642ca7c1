"""Output directories: what may be deleted (`--overwrite`), and one writer at a time (a lock held by the build)."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
from pathlib import Path

from corpus.core.layout import OUTPUT_MARKER, Layout


class OutputError(ValueError):
    """A usage error about OUT: exit 2 with its one line."""


def _protected(path: str) -> str | None:
    """Why a directory must never be deleted, or None."""
    real = os.path.realpath(path)
    if real == os.path.realpath(os.sep):
        return "it is the root directory"
    if real == os.path.realpath(os.path.expanduser("~")):
        return "it is your home directory"
    cwd = os.path.realpath(os.getcwd())
    if cwd == real or cwd.startswith(real.rstrip(os.sep) + os.sep):
        return "it is the current directory or holds it"
    return None


def check_removable(path: str) -> None:
    """Raise OutputError unless --overwrite may clear PATH: absent, empty, or a build of ours
    (Layout.holds_a_build) that is not /, $HOME or the working directory; said before anything is touched."""
    if not os.path.lexists(path):
        return
    if not os.path.isdir(path) or os.path.islink(path):
        raise OutputError(f"{path!r} is not a directory; --overwrite only replaces a build output directory")
    if why := _protected(path):
        raise OutputError(f"refusing to delete {path!r}: {why}")
    if os.listdir(path) and not Layout(path).holds_a_build():
        raise OutputError(
            f"refusing to delete {path!r}: it is not empty and holds no build of corpus (no {OUTPUT_MARKER})"
        )


def check_ours_or_empty(path: str) -> None:
    """A build writes only into a new or empty directory, or one holding a build of ours: once it has put its
    marker into a folder of the user's, a later --overwrite would take their `logs/` or `work/` with it."""
    layout = Layout(path)
    lock = os.path.basename(layout.lock_file())  # a build that has just taken OUT has only its lock there yet
    if os.path.isdir(path) and set(os.listdir(path)) - {lock} and not layout.holds_a_build():
        raise OutputError(f"{path!r} is not empty and holds no build: write the build into a new or empty directory")


def remove_output(path: str) -> None:
    """Delete for --overwrite what a build made in PATH (Layout.entries) and nothing else: a typo in -o must
    never cost someone their files, and files of their own beside a build stay where they are. The caller
    holds PATH's BuildLock (so no running build loses its files), and the lock file stays."""
    check_removable(path)
    layout = Layout(path)
    for entry in layout.entries():
        if entry == layout.lock_file():
            continue
        if os.path.isdir(entry) and not os.path.islink(entry):
            shutil.rmtree(entry)
        elif os.path.lexists(entry):
            os.remove(entry)


def check_writable(path: str) -> None:
    """OUT must be (or become) a directory we can write; said before anything is created."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise OutputError(f"output {path!r} exists and is not a directory")
    existing = next(a for a in (p, *p.parents) if a.exists())
    if not existing.is_dir():
        raise OutputError(f"output {path!r} cannot be created: {str(existing)!r} is a file")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(f"output {path!r} is not writable ({str(existing)!r}: permission denied)")


class BuildRunning(OutputError):
    pass


class BuildLock:
    """An exclusive flock on OUT/build.lock, held for the whole build: two builds can never both hold it,
    and the kernel lets go of it when the owner dies, however it dies, so a killed build's lock is free
    at once. The file holds the owner's pid, for the refusal message only.

    flock belongs to the open file, and the file is opened close-on-exec: processes the build starts by
    exec (the forkserver of the local pool, Ray) never hold it; a child forked from the build would keep
    OUT locked while it lives, which is right for a process that may still be writing into OUT."""

    def __init__(self, out: str):
        self.path = Layout(out).lock_file()
        self.out = out
        self._fd: int | None = None

    def __enter__(self) -> BuildLock:
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise BuildRunning(
                    f"{self.out} is being written by another build{self._owner()}; "
                    "wait for it to finish or stop it first"
                ) from None
            if _same_file(fd, self.path):
                break
            os.close(fd)  # the owner removed the file between our open and our lock: lock the new one
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid()}).encode())
        self._fd = fd
        return self

    def _owner(self) -> str:
        try:
            with open(self.path, encoding="utf-8") as f:
                return f" (pid {json.load(f)['pid']})"
        except (OSError, ValueError, KeyError, TypeError):
            return ""  # the owner has locked the file but not yet written its pid

    def __exit__(self, *exc) -> None:
        # removed while still locked: whoever opened it meanwhile sees it is gone once it has the lock
        with contextlib.suppress(FileNotFoundError):
            os.remove(self.path)
        os.close(self._fd)
        self._fd = None


def _same_file(fd: int, path: str) -> bool:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (mine.st_dev, mine.st_ino) == (st.st_dev, st.st_ino)
