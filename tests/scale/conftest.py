"""A Ray cluster of several nodes on this machine: a head and worker nodes started with `ray start`, each with
its own CPUs, temp dir and CORPUS_CACHE, and builds run against it as `corpus build` subprocesses (this process
never calls ray.init: tests/conftest.py's `ray_session` may hold an in-process Ray of its own).

Stopping is scoped to these nodes: every process whose command line names one of their temp dirs, with its
descendants (the agents and actor workers a raylet starts name no temp dir). `ray stop` would stop every Ray
on the machine, other sessions' included.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import pytest

from tests.corpus.helpers import env_with_path

RAY = os.path.join(os.path.dirname(sys.executable), "ray")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RayNodes:
    def __init__(self):
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        # a token in ~/.ray/auth_token turns on token auth for `ray start --head` but not for a node or a
        # driver given an address: one explicit mode for every process of this cluster
        self.env = {**env_with_path(), "RAY_AUTH_MODE": "disabled", "RAY_ADDRESS": self.address}
        self.dirs: dict[str, str] = {}  # node name -> temp dir (short: Ray's socket paths must fit 107 bytes)
        self.orphans: list = []  # processes of a killed node (they leave the tree with their raylet)

    def start(self, name: str, cpus: int = 1) -> None:
        self.dirs[name] = tempfile.mkdtemp(prefix=f"ray-{name}-", dir="/tmp")
        where = ["--head", f"--port={self.port}", "--include-dashboard=false", f"--dashboard-port={free_port()}"]
        if self.dirs.keys() != {name}:
            where = [f"--address={self.address}"]
        cmd = [RAY, "start", *where, f"--num-cpus={cpus}", f"--temp-dir={self.dirs[name]}", "--disable-usage-stats"]
        # a cache (and so a mirror of a remote OUT) of the node's own, as on a machine of its own: the actors
        # inherit the raylet's environment
        env = {**self.env, "CORPUS_CACHE": self.cache(name)}
        r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
        self.wait_for_nodes(len(self.alive()))

    def cache(self, name: str) -> str:
        """The node's CORPUS_CACHE: no other node and no driver uses it."""
        return os.path.join(self.dirs[name], "cache")

    def alive(self) -> list[str]:
        return [name for name in self.dirs if self.raylet(name) is not None]

    def wait_for_nodes(self, n: int, timeout: float = 60) -> None:
        code = "import ray; ray.init(); print(sum(1 for x in ray.nodes() if x['Alive']))"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r = subprocess.run([sys.executable, "-c", code], env=self.env, capture_output=True, text=True, timeout=60)
            if r.returncode == 0 and r.stdout.split()[-1:] == [str(n)]:
                return
            time.sleep(1)
        raise AssertionError(f"the Ray cluster did not reach {n} live nodes: {r.stdout[-500:]} {r.stderr[-1000:]}")

    def processes(self, name: str) -> list:
        import psutil

        found = []
        for p in psutil.process_iter(["cmdline"]):
            with contextlib.suppress(psutil.Error):
                if p.pid != os.getpid() and any(self.dirs[name] in a for a in p.info["cmdline"] or ()):
                    found += [p, *p.children(recursive=True)]
        return found

    def raylet(self, name: str):
        return next((p for p in self.processes(name) if _is_raylet(p)), None)

    def busy_actor(self, name: str):
        """The node's actor process running a task (Ray titles it after the method), or None."""
        import psutil

        for p in self.processes(name):
            with contextlib.suppress(psutil.Error):
                if any("_TaskActor.run" in a for a in p.cmdline()):
                    return p
        return None

    def node_id(self, name: str) -> str:
        return next(a.split("=", 1)[1] for a in self.raylet(name).cmdline() if a.startswith("--node_id="))

    def kill_node(self, name: str) -> None:
        """SIGKILL the node's raylet, then every other process of the node, as a lost machine would. The raylet
        alone is not enough: its actor processes run on, orphaned, finish the task they hold and answer the
        build directly (Ray's workers talk to each other), so no task is lost."""
        raylet, procs = self.raylet(name), self.processes(name)
        raylet.kill()
        for p in procs:
            with contextlib.suppress(Exception):
                p.kill()
        self.orphans += procs

    def stop(self) -> None:
        import psutil

        procs = {p.pid: p for name in self.dirs for p in self.processes(name)} | {p.pid: p for p in self.orphans}
        for p in procs.values():
            with contextlib.suppress(psutil.Error):
                p.kill()
        psutil.wait_procs(list(procs.values()), timeout=10)
        for d in self.dirs.values():
            shutil.rmtree(d, ignore_errors=True)


def _is_raylet(p) -> bool:
    import psutil

    with contextlib.suppress(psutil.Error):
        return p.name() == "raylet"
    return False


@pytest.fixture(scope="module")
def ray_nodes():
    """A head and one worker node, one CPU each."""
    pytest.importorskip("ray")
    pytest.importorskip("psutil")
    nodes = RayNodes()
    try:
        nodes.start("head")
        nodes.start("worker")
        yield nodes
    finally:
        nodes.stop()
