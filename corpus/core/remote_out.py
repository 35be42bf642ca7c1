"""A build output in object storage: built in a local mirror, copied to the bucket as it goes.

The bucket prefix is the build: the same layout as a local OUT (corpus/core/layout.py), with the same
marker. Before a build the mirror gets every object it lacks (a rerun on another machine resumes from
what the bucket holds; on this one, the mirror's own files are newer and stay); after each pipeline and
at the end, however the build ends, what changed is copied up, and objects the build removed (its scratch
once finished) are deleted, under the build's own entries only. `--overwrite` deletes a prefix's objects
only where it holds a build of ours, and only the build's entries; a prefix holding anything else is
refused, as a local folder is. The lock is the mirror's: one build per output on one machine (object
storage has no lock; two machines writing one prefix are the user's to avoid).
"""

from __future__ import annotations

import contextlib
import json
import os

from corpus.core import remote
from corpus.core.layout import OUTPUT_FORMAT, OUTPUT_MARKER, Layout
from corpus.core.outdir import OutputError, remove_output

PUSHED = ".pushed.json"  # in the mirror: (size, mtime) of each file as last copied up; never an object


class RemoteOutput:
    def __init__(self, url: str, storage: dict | None = None):
        self.url = url.rstrip("/")
        self.storage = storage
        self.local = remote.mirror_dir(self.url)
        layout = Layout(self.local)
        self._lock = os.path.basename(layout.lock_file())
        self._entries = {os.path.basename(e) for e in layout.entries()} - {self._lock}
        self._logs = os.path.basename(layout.logs_dir())

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
            self._delete([k for k in objects if k.split("/", 1)[0] in self._entries])
            if os.path.isdir(self.local) and Layout(self.local).holds_a_build():
                remove_output(self.local)
        if not (os.path.isdir(self.local) and Layout(self.local).holds_a_build()):
            with contextlib.suppress(FileNotFoundError):  # what was pushed from a mirror that is gone
                os.remove(os.path.join(self.local, PUSHED))
        if overwrite:
            return
        os.makedirs(self.local, exist_ok=True)
        n = remote.pull(self.url, self.local, self.storage, skip={self._lock})
        if n:
            print(f"{self.url}: {n} files of an earlier build copied into {self.local}", flush=True)

    def push(self) -> int:
        """Copies up every file changed since the last push; deletes objects of the build's entries that
        are gone from the mirror."""
        pushed_file = os.path.join(self.local, PUSHED)
        try:
            with open(pushed_file, encoding="utf-8") as f:
                before = json.load(f)
        except (OSError, ValueError):
            before = {}
        now = remote.push(
            self.local,
            self.url,
            self.storage,
            before,
            delete_under=self._entries,
            skip={self._lock, PUSHED},
            order=self._order,
        )
        with open(pushed_file + ".tmp", "w", encoding="utf-8") as f:
            json.dump(now["state"], f)
        os.replace(pushed_file + ".tmp", pushed_file)
        return now["copied"]

    def _order(self, rel: str) -> int:
        """Data before what says it is done: a task's outputs, then the logs holding its completion marker,
        then the files at the top (manifest, funnel, marker). A push cut short (a kill) then never leaves a
        finished-looking task without its output in the bucket."""
        top = rel.split(os.sep, 1)[0]
        return 2 if top == rel else 1 if top == self._logs else 0

    def _delete(self, keys: list[str]) -> None:
        if keys:
            fs, path = remote.filesystem(self.url, self.storage)
            remote.call(self.url, fs.rm, [f"{path}/{k}" for k in keys])
