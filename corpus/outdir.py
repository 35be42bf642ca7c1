"""Output directories: what may be deleted (`--overwrite`), and one writer at a time (a pid lock)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from corpus.layout import Layout


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


def remove_output(path: str) -> None:
    """Delete OUT for --overwrite, but only a directory that holds a build (or refilter) of ours:
    a typo in -o must never cost someone their files."""
    if not os.path.lexists(path):
        return
    if not os.path.isdir(path) or os.path.islink(path):
        raise OutputError(f"{path!r} is not a directory; --overwrite only replaces a build output directory")
    if why := _protected(path):
        raise OutputError(f"refusing to delete {path!r}: {why}")
    if not os.listdir(path):
        return
    if not Layout(path).holds_a_build():
        raise OutputError(f"refusing to delete {path!r}: it is not empty and holds no build "
                          "(no manifest.json or build-config.json)")
    shutil.rmtree(path)


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


def _start_time(pid: int) -> str | None:
    """Kernel start time of a live process (None when it is gone), so a reused pid is not mistaken
    for the owner."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return "alive"  # no /proc: trust the pid


def check_not_running(out: str) -> None:
    """Raise BuildRunning if a live build holds OUT's lock (before --overwrite deletes anything)."""
    if os.path.isfile(Layout(out).lock_file()):
        BuildLock(out).check_owner()


class BuildLock:
    """OUT/build.lock holds the owner's pid; a second build into OUT refuses to start while the owner
    lives, and takes over the lock of a dead one (a killed build's workers die with it)."""

    def __init__(self, out: str):
        self.path = Layout(out).lock_file()
        self.out = out

    def __enter__(self) -> BuildLock:
        me = {"pid": os.getpid(), "start": _start_time(os.getpid())}
        tmp = f"{self.path}.{os.getpid()}"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(me, f)
        try:
            for _ in range(3):
                try:
                    os.link(tmp, self.path)  # atomic, and never seen half-written
                    return self
                except FileExistsError:
                    self._take_over_if_stale()
        finally:
            os.remove(tmp)
        raise BuildRunning(f"could not take {self.path}")

    def check_owner(self) -> None:
        try:
            with open(self.path, encoding="utf-8") as f:
                owner = json.load(f)
        except (OSError, ValueError):
            owner = {}
        pid = owner.get("pid")
        if isinstance(pid, int) and pid != os.getpid():
            start = _start_time(pid)
            if start is not None and start == owner.get("start", start):
                raise BuildRunning(f"{self.out} is being written by another build (pid {pid}); "
                                   "wait for it to finish or stop it first")

    def _take_over_if_stale(self) -> None:
        self.check_owner()
        try:
            os.remove(self.path)
        except FileNotFoundError:
            pass

    def __exit__(self, *exc) -> None:
        try:
            with open(self.path, encoding="utf-8") as f:
                if json.load(f).get("pid") == os.getpid():
                    os.remove(self.path)
        except (OSError, ValueError):
            pass
