"""A build output in object storage: built in a local mirror, copied to the bucket as it goes.

The bucket prefix is the build: the same layout as a local OUT (corpus.core.layout), with the same
marker. Before a build the mirror gets every object it lacks (a rerun on another machine resumes from
what the bucket holds; on this one, the mirror's own files are newer and stay); after each pipeline and
at the end, however the build ends, what changed is copied up, and objects the build removed (its scratch
once finished) are deleted, under the build's own entries only. `--overwrite` deletes a prefix's objects
only where it holds a build of ours, and only the build's entries; a prefix holding anything else is
refused, as a local folder is. The lock is the mirror's: one build per output on one machine (object
storage has no lock; two machines writing one prefix are the user's to avoid).

On Ray the bucket is the only storage the nodes share (`TaskMirror`): each actor works in a mirror of its
own on its node, filled from the bucket once per pipeline, and a task copies up what it changed before it
answers; the build machine takes those changes into its mirror after the pipeline (`RemoteOutput.take`), so
that its pushes neither miss nor delete what a task wrote on another node.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from corpus.core import remote
from corpus.core.layout import OUTPUT_FORMAT, OUTPUT_MARKER, Layout
from corpus.core.outdir import OutputError, remove_output

PUSHED = ".pushed.json"  # in the mirror: (size, mtime) of each file as last copied up; never an object
_NAMES = Layout("")  # the layout's names, relative to a build's root
LOCAL_ONLY = {_NAMES.lock_file(), PUSHED}
ENTRIES = set(_NAMES.entries()) - LOCAL_ONLY

# the remote outputs this process builds, by mirror: how an executor tells a pipeline of one
_building: dict[str, RemoteOutput] = {}


def building(path: str) -> RemoteOutput | None:
    """The remote output this process builds whose mirror holds `path` (a pipeline's logging dir)."""
    return next((o for root, o in _building.items() if path == root or path.startswith(root + os.sep)), None)


def order(rel: str) -> int:
    """Data before what says it is done: a task's outputs, then the logs holding its completion marker,
    then the files at the top (manifest, funnel, marker). A push cut short (a kill) then never leaves a
    finished-looking task without its output in the bucket."""
    top = rel.split(os.sep, 1)[0]
    return 2 if top == rel else 1 if top == _NAMES.logs_dir() else 0


class RemoteOutput:
    def __init__(self, url: str, storage: dict | None = None):
        self.url = url.rstrip("/")
        self.storage = storage
        self.local = os.path.abspath(remote.mirror_dir(self.url))  # as the pipelines' paths have it
        self.run = uuid.uuid4().hex  # tells the actors' mirrors of this run from those of an earlier one
        self._on_close: dict = {}  # key -> what to do once the build ends (an executor's clean-up)

    def holds_a_build(self, objects: dict[str, int]) -> bool:
        if OUTPUT_MARKER not in objects:
            return False
        fs, path = remote.filesystem(self.url, self.storage)
        marker = json.loads(remote.call(self.url, fs.cat_file, f"{path}/{OUTPUT_MARKER}"))
        return isinstance(marker, dict) and marker.get("format") == OUTPUT_FORMAT

    def prepare(self, overwrite: bool) -> None:
        """Checks the prefix (reachable; empty or a build of ours), clears it and the mirror for --overwrite,
        and fills the mirror with what it lacks. Raises OutputError or RemoteError before anything changes."""
        remote.check_reachable(self.url, self.storage)
        objects = remote.remote_files(self.url, self.storage)
        if objects and not self.holds_a_build(objects):
            raise OutputError(f"{self.url!r} is not empty and holds no build of corpus (no {OUTPUT_MARKER})")
        if overwrite:
            remote.delete(self.url, self.storage, [k for k in objects if k.split("/", 1)[0] in ENTRIES])
            if os.path.isdir(self.local) and Layout(self.local).holds_a_build():
                remove_output(self.local)
        if not (os.path.isdir(self.local) and Layout(self.local).holds_a_build()):
            with contextlib.suppress(FileNotFoundError):  # what was pushed from a mirror that is gone
                os.remove(os.path.join(self.local, PUSHED))
        _building[self.local] = self
        if overwrite:
            return
        os.makedirs(self.local, exist_ok=True)
        n = remote.pull(self.url, self.local, self.storage, skip=LOCAL_ONLY)
        if n:
            print(f"{self.url}: {n} files of an earlier build copied into {self.local}", flush=True)

    def push(self) -> int:
        """Copies up every file changed since the last push; deletes objects of the build's entries that
        are gone from the mirror."""
        now = remote.push(
            self.local, self.url, self.storage, self._pushed(), delete_under=ENTRIES, skip=LOCAL_ONLY, order=order
        )
        self._save(now["state"])
        return now["copied"]

    def for_tasks(self, pipeline: str) -> TaskMirror:
        return TaskMirror(self.url, self.storage, self.run, pipeline)

    def on_close(self, key, fn) -> None:
        """Runs `fn` when the build ends, once per key (the last one given)."""
        self._on_close[key] = fn

    def close(self) -> None:
        """After the last push, however the build ended: the executors' clean-ups (the actors' mirrors on other
        nodes are worth nothing to a rerun, which empties them)."""
        for fn in self._on_close.values():
            fn()
        _building.pop(self.local, None)

    def take(self, changes: list[dict]) -> None:
        """Brings into the mirror what a pipeline's tasks sent (TaskMirror.send, in the order they answered):
        the files they deleted are removed, those they wrote are copied down, then whatever else the bucket has
        that the mirror lacks (from a task whose answer was lost). What the tasks sent counts as pushed: the next
        push neither copies it up again nor deletes it (a file taken only by that last pull is copied up again,
        the same bytes)."""
        state, sent = self._pushed(), {}
        for change in changes:
            for key in change["gone"]:
                sent.pop(key, None)
                state.pop(key, None)
                with contextlib.suppress(FileNotFoundError):
                    os.remove(os.path.join(self.local, key.replace("/", os.sep)))
            sent.update(change["sent"])
        remote.fetch(self.url, self.local, self.storage, sorted(sent))
        remote.pull(self.url, self.local, self.storage, skip=LOCAL_ONLY)
        here = remote.listing(self.local, LOCAL_ONLY)
        self._save({**state, **{k: here[k] for k in sent if k in here}})

    def _pushed(self) -> dict:
        try:
            with open(os.path.join(self.local, PUSHED), encoding="utf-8") as f:
                return json.load(f)
        except (OSError, ValueError):
            return {}

    def _save(self, state: dict) -> None:
        pushed_file = os.path.join(self.local, PUSHED)
        with open(pushed_file + ".tmp", "w", encoding="utf-8") as f:
            json.dump(state, f)
        os.replace(pushed_file + ".tmp", pushed_file)


@dataclass(frozen=True)
class TaskMirror:
    """A remote output as the tasks of one of its pipelines see it, on any Ray node. The paths in the pipeline
    lie under the build machine's mirror; an actor works in a mirror of its own instead (`fill`), under its
    node's CORPUS_CACHE, and each task copies up what it changed (`send`). One actor's: in a mirror shared by
    the actors of a node, a task could not tell its own new files from the half-written ones of the others."""

    url: str
    storage: dict | None
    run: str  # the build run (RemoteOutput.run)
    pipeline: str  # its logging dir

    def fill(self, actor: int) -> str:
        """The mirror of the actor (its index in the build's pool), with what the bucket holds as the pipeline
        starts: every file its tasks read was there by then, written by earlier pipelines or the build machine.
        Filled once per pipeline; one filled for another run of the build is emptied first, as a file in it may
        since have been rewritten elsewhere (the bucket is the build)."""
        here = self._here(actor)
        filled = _read(_run_file(here))
        if filled.split(" ")[0] != self.run:
            shutil.rmtree(here, ignore_errors=True)
        if filled != f"{self.run} {self.pipeline}":
            wanted = self._reads()
            for key in self.listing(here):  # what no task of this pipeline reads: the node's disk back
                if not wanted(key):
                    os.remove(os.path.join(here, key.replace("/", os.sep)))
            remote.pull(self.url, here, self.storage, skip=LOCAL_ONLY, wanted=wanted)
            Layout(here).ensure()  # with the folders the bucket holds no file of
            Path(_run_file(here)).write_text(f"{self.run} {self.pipeline}", encoding="utf-8")
        return here

    def clear(self, actor: int) -> None:
        here = self._here(actor)
        shutil.rmtree(here, ignore_errors=True)
        with contextlib.suppress(FileNotFoundError):
            os.remove(_run_file(here))

    def _reads(self):
        """key -> whether the tasks of this pipeline may read it: the files at the top and what the pipeline's
        segment reads (Layout.segment_reads); everything, for a pipeline of no segment."""
        segment = Layout.segment_of(self.pipeline)
        if segment is None:
            return lambda key: True
        prefixes = tuple(p.replace(os.sep, "/") for p in _NAMES.segment_reads(segment))
        return lambda key: "/" not in key or key.startswith(prefixes)

    def _here(self, actor: int) -> str:
        return f"{os.path.abspath(remote.mirror_dir(self.url))}.{actor}"

    def listing(self, here: str) -> dict:
        return remote.listing(here, LOCAL_ONLY)

    def send(self, here: str, before: dict) -> dict:
        """What the task changed in the mirror since `before` (its listing as the task started), copied up
        outputs first (`order`)."""
        return remote.send(here, self.url, self.storage, before, skip=LOCAL_ONLY, order=order)


def _run_file(mirror: str) -> str:
    """Beside an actor's mirror: the build run and pipeline it was last filled for."""
    return mirror + ".run"


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError:
        return ""
