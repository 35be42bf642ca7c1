"""Where log lines go: OUT/logs always, the terminal only with -v (warnings and errors always).

datatrove replaces every loguru sink when a task starts (a file under the segment's logging dir,
plus the terminal) and installs its own default when it ends, in whichever process runs the task:
the driver with one worker, forked workers otherwise. `datatrove_task` wraps a task so that its
terminal output follows -v and this process's own sinks are back afterwards.
"""

from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import dataclass

from loguru import logger

FORMAT = "{time:HH:mm:ss} | {level: <7} | {message}"
FILE_FORMAT = "{time:YYYY-MM-DD HH:mm:ss.SSS} | {level: <8} | {name}:{function}:{line} - {message}"


@dataclass
class _Sinks:
    configured: bool = False  # False in a worker process, which only ever runs tasks
    verbose: bool = False
    file: str | None = None


_sinks = _Sinks()
_devnull = None


def _lib_dirs_once() -> None:
    """loguru works out the interpreter's library folders (about 40 sysconfig lookups, 2.5 ms) on every
    `logger.add`, and a build adds three or four sinks for each of its tasks (datatrove's task logger, then
    ours back): about 0.25 s of a default build of the shared WARC shards. They do not change in a process."""
    import functools

    from loguru import _better_exceptions

    formatter = getattr(_better_exceptions, "ExceptionFormatter", None)
    found = getattr(formatter, "_get_lib_dirs", None)
    if found is not None and not hasattr(found, "cache_info"):
        formatter._get_lib_dirs = staticmethod(functools.cache(found))


_lib_dirs_once()


def configure(verbose: bool) -> None:
    """The driver's terminal sink (a CLI command calls this once)."""
    # datatrove colours its task sinks from this variable; a file or pipe gets plain text
    os.environ.setdefault("DATATROVE_COLORIZE_LOGS", "1" if sys.stderr.isatty() else "0")
    _sinks.configured, _sinks.verbose = True, verbose
    apply()


def is_verbose() -> bool:
    return _sinks.verbose


def apply() -> None:
    logger.remove()
    logger.add(sys.stderr, level="INFO" if _sinks.verbose else "WARNING", format=FORMAT, colorize=sys.stderr.isatty())
    if _sinks.file:
        logger.add(_sinks.file, level="DEBUG", format=FILE_FORMAT)


@contextlib.contextmanager
def to_file(path: str):
    """Everything the driver logs while the body runs also goes to `path` (appended)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    before = _sinks.file
    _sinks.file = path
    apply()
    try:
        yield
    finally:
        _sinks.file = before
        apply()


@contextlib.contextmanager
def datatrove_task(verbose: bool):
    global _devnull
    try:
        if verbose:
            yield
        else:
            # the task's terminal sink writes to sys.stderr as it is when the task starts; its log file
            # under the segment's logging dir keeps every line
            _devnull = _devnull or open(os.devnull, "w")
            with contextlib.redirect_stderr(_devnull):
                yield
    finally:
        if not _sinks.configured:
            _sinks.verbose = verbose
        apply()
