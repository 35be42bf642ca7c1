"""Progress of a build while it runs.

Tasks may run in other processes (datatrove's local executor forks workers) or on other machines,
so a task counts what it reads and writes into its own small JSON file under OUT/logs/progress/
(rewritten atomically at most every FLUSH_EVERY_S), and the driver polls the files of the running
segment: a live display on a terminal, a plain line every PLAIN_EVERY_S otherwise.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from contextlib import contextmanager
from typing import TextIO

from corpus.core.layout import Layout
from corpus.core.vocab import FATE_DROPPED, FATE_FAILED, FATE_KEPT

READ = "read"
BYTES = "bytes"  # of the input files, read so far: the first segment's measure of progress
FIELDS = (READ, BYTES, FATE_KEPT, FATE_DROPPED, FATE_FAILED)
FLUSH_EVERY_S = 0.5
POLL_EVERY_S = 0.25
PLAIN_EVERY_S = 30.0


class Tally:
    """One task's counts, written to its progress file."""

    def __init__(self, path: str):
        self.path = path
        self.counts = dict.fromkeys(FIELDS, 0)
        self.last = 0.0

    def add(self, field: str, n: int = 1) -> None:
        self.set(field, self.counts[field] + n)

    def set(self, field: str, value: int) -> None:
        self.counts[field] = value
        if time.monotonic() - self.last > FLUSH_EVERY_S:
            self.flush()

    def flush(self) -> None:
        self.last = time.monotonic()
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        tmp = f"{self.path}.{os.getpid()}.tmp"
        with open(tmp, "w") as f:
            json.dump(self.counts, f)
        os.replace(tmp, self.path)


_tallies: dict[str, Tally] = {}  # per process: the tasks this process runs


def start_task(layout: Layout, segment: int, rank: int) -> Tally:
    """Called by a segment's reader when its task (re)starts: counting starts again from zero."""
    path = layout.progress_file(segment, rank)
    tally = _tallies[path] = Tally(path)
    tally.flush()
    return tally


def task_tally(layout: Layout, segment: int, rank: int) -> Tally:
    path = layout.progress_file(segment, rank)
    if path not in _tallies:
        _tallies[path] = Tally(path)
    return _tallies[path]


def read_counts(layout: Layout, segment: int) -> dict[str, int]:
    total = dict.fromkeys(FIELDS, 0)
    for path in layout.progress_files(segment):
        try:
            with open(path) as f:
                counts = json.load(f)
        except (OSError, ValueError):  # replaced while we read it: the next poll sees it
            continue
        for k in FIELDS:
            total[k] += counts.get(k, 0)
    return total


# ---------------------------------------------------------------- the driver's display
class Display:
    """One line per segment: live (rich) on a terminal, plain lines elsewhere (CI logs, files)."""

    def __init__(self, live: bool, stream: TextIO | None = None):
        self.stream = stream or sys.stderr
        self.live = live
        self._progress = None

    @classmethod
    def for_terminal(cls, verbose: bool) -> "Display":
        # with -v the datatrove log lines are the progress; a live display would fight them for the terminal
        return cls(live=sys.stderr.isatty() and not verbose)

    def __enter__(self) -> "Display":
        if self.live:
            from rich.console import Console
            from rich.progress import Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

            # no bar: the counts and the ETA say more, and the line fits 80 columns
            self._progress = Progress(
                TextColumn("{task.description}"),
                TextColumn("{task.fields[read]:>6} read {task.fields[rate]:>4}/s"),
                TimeElapsedColumn(),
                TextColumn("eta"),
                TimeRemainingColumn(compact=True),
                TextColumn("{task.fields[fates]}"),
                console=Console(file=self.stream),
                refresh_per_second=4,
                redirect_stderr=False,
                redirect_stdout=False,
            )
            self._progress.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._progress:
            self._progress.stop()

    @contextmanager
    def segment(self, layout: Layout, segment: int, label: str, total: int | None, last: bool, measure: str = READ):
        """Polls the segment's progress files while the body runs the segment. `total`: the segment's input
        in `measure` (READ: documents, BYTES: bytes of the input files), for the ETA; None: unknown."""
        view = _SegmentView(self, layout, segment, label, total, last, measure)
        stop = threading.Event()
        poller = threading.Thread(target=view.poll, args=(stop,), daemon=True)
        poller.start()
        try:
            yield
        finally:
            stop.set()
            poller.join()
        view.finish()


class _SegmentView:
    def __init__(
        self, display: Display, layout: Layout, segment: int, label: str, total: int | None, last: bool, measure: str
    ):
        self.display, self.layout, self.segment = display, layout, segment
        self.label, self.total, self.last, self.measure = label, total, last, measure
        self.start = time.monotonic()
        self.task = (
            display._progress.add_task(label, total=total or None, read=0, rate="", fates="")
            if display._progress
            else None
        )

    def line(self, counts: dict[str, int]) -> tuple[int, str, str]:
        # a corpus-level stage counts what it wrote; its reader counts nothing while it hashes
        done = counts[READ] or counts[FATE_KEPT] + counts[FATE_DROPPED] + counts[FATE_FAILED]
        rate = done / max(1e-9, time.monotonic() - self.start)
        # survivors of a segment other than the last go on to the next one: "passed", not yet kept
        fates = f"{'kept' if self.last else 'passed'} {counts[FATE_KEPT]} dropped {counts[FATE_DROPPED]}"
        fates += f" failed {counts[FATE_FAILED]}" if counts[FATE_FAILED] else ""
        return done, f"{rate:.0f}", fates

    def progressed(self, counts: dict[str, int]) -> int:
        return counts[self.measure] if self.measure != READ else self.line(counts)[0]

    def update(self) -> dict[str, int]:
        counts = read_counts(self.layout, self.segment)
        done, rate, fates = self.line(counts)
        if self.task is not None:
            # batching steps hold documents after everything was read: the segment ends when its run does
            completed = min(self.progressed(counts), self.total - 1) if self.total else self.progressed(counts)
            self.display._progress.update(self.task, completed=completed, read=done, rate=rate, fates=fates)
        return counts

    def poll(self, stop: threading.Event) -> None:
        last_plain = time.monotonic()
        while not stop.wait(POLL_EVERY_S):
            counts = self.update()
            if self.task is None and time.monotonic() - last_plain >= PLAIN_EVERY_S:
                last_plain = time.monotonic()
                self._print(counts, "running")

    def finish(self) -> None:
        counts = self.update()
        if self.task is not None:
            whole = max(1, self.progressed(counts))
            self.display._progress.update(self.task, total=whole, completed=whole)
        else:
            self._print(counts, "done")

    def _print(self, counts: dict[str, int], state: str) -> None:
        done, rate, fates = self.line(counts)
        elapsed = time.monotonic() - self.start
        eta, progressed = "", self.progressed(counts)
        if state == "running" and self.total and progressed:
            eta = f", eta {elapsed * max(0, self.total - progressed) / progressed:.0f}s"
        print(
            f"{self.label}: {state} in {elapsed:.1f}s, {done} read ({rate} docs/s{eta}), {fates}",
            file=self.display.stream,
            flush=True,
        )


# ---------------------------------------------------------------- steps with a known count, in one process
@contextmanager
def counted(label: str, total: int, unit: str, stream: TextIO | None = None):
    """Yields advance(name): a bar with ETA on a terminal, a line when done (and every PLAIN_EVERY_S) elsewhere."""
    stream = stream or sys.stderr
    start, done, last_plain = time.monotonic(), [0], [time.monotonic()]
    if stream.isatty():
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        with Progress(
            TextColumn("{task.description}"),
            BarColumn(bar_width=30),
            MofNCompleteColumn(),
            TextColumn(unit),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(compact=True),
            TextColumn("{task.fields[current]}"),
            console=Console(file=stream),
        ) as bar:
            task = bar.add_task(label, total=total, current="")
            yield lambda name: bar.update(task, advance=1, current=name)
        return

    def advance(name: str) -> None:
        done[0] += 1
        if time.monotonic() - last_plain[0] >= PLAIN_EVERY_S and done[0] < total:
            last_plain[0] = time.monotonic()
            print(f"{label}: {done[0]}/{total} {unit} ({time.monotonic() - start:.0f}s)", file=stream, flush=True)

    yield advance
    print(f"{label}: {done[0]}/{total} {unit} in {time.monotonic() - start:.1f}s", file=stream, flush=True)
