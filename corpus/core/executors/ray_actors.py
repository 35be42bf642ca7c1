"""Ray: the tasks of each pipeline run in a pool of long-lived Ray actors, kept for the whole build.

The module is not named `ray.py`, so that neither a reader nor `corpus.core.executors.ray` ever stands for
the `ray` package it drives.
"""

from __future__ import annotations

import contextlib
import functools
import os
import time

from datatrove.executor.ray import RayPipelineExecutor
from loguru import logger

from corpus.core import logs, remote_out
from corpus.core.executors.common import DIED, WORKER_PRELOAD, error_text, labelled, one_thread_per_task, timed_out


def make_executor(options: dict, pipeline: list, logging_dir: str, tasks: int, workers: int, task_timeout_s: float = 0):
    """Starts Ray (a local cluster unless `init` names an address) if this process has not yet."""
    import ray

    opts = dict(options)
    init = opts.pop("init", {"num_cpus": os.cpu_count()})
    if not ray.is_initialized():
        ray.init(**init, include_dashboard=False, log_to_driver=False)
    # datatrove warns on every pipeline that a local OUT must be shared by the nodes (docs/scale.md says so)
    logger.disable("datatrove.executor.ray")
    try:
        return _RayExecutor(
            pipeline=pipeline,
            tasks=tasks,
            workers=workers,
            logging_dir=logging_dir,
            skip_completed=True,
            verbose=logs.is_verbose(),
            task_timeout_s=task_timeout_s,
            **opts,
        )
    finally:
        logger.enable("datatrove.executor.ray")


class _RayExecutor(RayPipelineExecutor):
    """Tasks run in a pool of long-lived Ray actors (one per worker, kept for the whole build), each handed
    one rank at a time. datatrove's RayPipelineExecutor starts a new actor (a fresh Python process that
    imports the whole pipeline) for every task, which took longer than a task on small files. Task ranks,
    completion markers, task logs and stats files are datatrove's (`_run_for_rank`); as in the local
    executor every task runs whatever happens to the others, and the first errors are in `self.errors`. The
    actors run in the build's working directory where their node has it (a relative OUT or input). With an
    OUT in a bucket each actor works in a mirror of it of its own (corpus.core.remote_out.TaskMirror)."""

    def __init__(self, *args, verbose: bool = False, task_timeout_s: float = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.verbose, self.task_timeout_s, self.cwd = verbose, task_timeout_s, os.getcwd()

    def run(self):
        import ray

        if self.nodes_per_task != 1:  # one task spread over several nodes: datatrove's own scheduling
            return super().run()
        ranks = self.get_incomplete_ranks(range(self.world_size))
        self.errors: list[str] = []
        if not ranks:
            return
        self._launched = True
        self.save_executor_as_json()
        out = remote_out.building(self.logging_dir.path)
        mirror = out.for_tasks(self.logging_dir.path) if out else None
        if out:
            out.push()  # what the build machine wrote reaches the tasks on other nodes
        options = self._actor_options()
        actors = _actor_pool(options, min(self.workers, len(ranks)))
        executor = ray.put(_pack(self, out.local if out else ""))
        outcomes, changes = _run_on_actors(actors, executor, mirror, ranks, self.task_timeout_s, options)
        if out:
            out.take(changes)
            for i, actor in enumerate(actors):  # (a replacement after a time limit has its index)
                out.on_close(("ray actor", i), functools.partial(_clear_mirror, actor, mirror, i))
        self.errors = [o for o in outcomes if isinstance(o, str)]
        if not self.errors and not self.get_incomplete_ranks(range(self.world_size)):
            self._merge_stats()

    def _actor_options(self) -> dict:
        opts = {
            "num_cpus": self.cpus_per_task,
            "num_gpus": self.gpus_per_task,
            "memory": int(self.mem_per_cpu_gb * self.cpus_per_task * 2**30),
        }
        return {**opts, **(self.ray_remote_kwargs or {})}

    def _merge_stats(self) -> None:
        import json

        from datatrove.utils.stats import PipelineStats

        total = PipelineStats()
        for rank in range(self.world_size):
            with self.logging_dir.open(f"stats/{rank:05d}.json", "r") as f:
                total += PipelineStats.from_json(json.load(f))
        with self.logging_dir.open("stats.json", "wt") as f:
            total.save_to_disk(f)


class _TaskActor:
    """One long-lived Ray worker process: imports the heavy libraries once, then runs ranks of any
    pipeline of the build."""

    def __init__(self):
        import importlib

        for module in WORKER_PRELOAD[1:]:  # not __main__: the actor's is Ray's worker script
            importlib.import_module(module)

    def clear(self, mirror: remote_out.TaskMirror, index: int) -> None:
        mirror.clear(index)

    def run(self, payload: bytes, mirror: remote_out.TaskMirror | None, rank: int, local_rank: int):
        """The task's stats, or its error as text (its traceback is in the task's log); and for a remote OUT,
        what the task changed there (TaskMirror.send; None where it could not tell the bucket, which leaves
        the task incomplete)."""
        if mirror is None:
            return _run_task(_unpack(payload), rank, local_rank), None
        try:
            here = mirror.fill(local_rank)  # the actor's index in the pool
            before = mirror.listing(here)
            outcome = _run_task(_unpack(payload, here), rank, local_rank)
            return outcome, mirror.send(here, before)
        except Exception as e:  # noqa: BLE001 - the bucket unreachable: one line, as a task's error
            return error_text(e), None


def _clear_mirror(actor, mirror: remote_out.TaskMirror, index: int) -> None:
    """Best effort: an actor lost with its node took its mirror's disk with it, or left it to the next run."""
    import ray

    with contextlib.suppress(Exception):  # a dead actor, a cluster already gone
        ray.get(actor.clear.remote(mirror, index), timeout=CLEAR_TIMEOUT_S)


def _run_task(executor: "_RayExecutor", rank: int, local_rank: int):
    if os.path.isdir(executor.cwd):
        os.chdir(executor.cwd)
    try:
        one_thread_per_task()
        with logs.datatrove_task(executor.verbose):
            return executor._run_for_rank(rank, local_rank)
    except Exception as e:  # noqa: BLE001
        return error_text(e)


def _pack(executor: "_RayExecutor", root: str) -> bytes:
    """The executor as the actors get it: pickled (cloudpickle, as Ray would) with every path under `root`
    (the build machine's mirror of a remote OUT; "" for none) kept relative to it, so that _unpack puts it
    under the mirror of the actor that runs the task. The paths are strings in the steps' and datatrove's
    folders' attributes, which only pickling reaches everywhere."""
    import io

    from ray import cloudpickle

    class Marking(cloudpickle.CloudPickler):
        def persistent_id(self, obj):
            if root and type(obj) is str and (obj == root or obj.startswith(root + os.sep)):
                return obj[len(root) + 1 :]
            return None

    buf = io.BytesIO()
    Marking(buf).dump(executor)
    return buf.getvalue()


def _unpack(payload: bytes, here: str = "") -> "_RayExecutor":
    import io
    import pickle

    class Placing(pickle.Unpickler):
        def persistent_load(self, rel: str) -> str:
            return os.path.join(here, rel) if rel else here

    return Placing(io.BytesIO(payload)).load()


# the actors of this build, per Ray job (a new ray.init starts a new job) and per resource request
_actors: dict[tuple, list] = {}


def _actor_pool(options: dict, wanted: int) -> list:
    import ray

    key = (ray.get_runtime_context().get_job_id(), tuple(sorted(options.items())))
    pool = _actors.setdefault(key, [])
    cpus = ray.cluster_resources().get("CPU", 1)
    wanted = max(1, min(wanted, int(cpus // max(options.get("num_cpus") or 1, 1e-9))))  # more would never start
    while len(pool) < wanted:
        pool.append(ray.remote(_TaskActor).options(**options).remote())
    return pool[:wanted]


def _run_on_actors(
    actors: list, executor_ref, mirror, ranks: list[int], timeout_s: float, options: dict
) -> tuple[list, list]:
    """Each free actor takes the next rank. A dead actor (killed, out of memory, its node lost) leaves its
    rank incomplete and takes no more; the others go on. An actor whose task is past `timeout_s` (0: no limit)
    is killed, its rank left incomplete, and a new actor takes its place. Returns the outcomes and, for a
    remote OUT, what the tasks changed in it."""
    import ray
    from ray.exceptions import RayActorError

    pending, free, running, outcomes, changes = list(reversed(ranks)), list(actors), {}, [], []
    while running or (pending and free):
        while pending and free:
            actor, rank = free.pop(), pending.pop()
            ref = actor.run.remote(executor_ref, mirror, rank, actors.index(actor))
            running[ref] = (rank, actor, time.monotonic())
        first = min(since for *_, since in running.values())
        wait_s = min(POLL_S, max(0.0, first + timeout_s - time.monotonic())) if timeout_s else POLL_S
        done, _ = ray.wait(list(running), num_returns=1, timeout=wait_s)
        if done:
            rank, actor, _ = running.pop(done[0])
            try:
                outcome, change = ray.get(done[0])
                outcomes.append(labelled(rank, outcome))
                changes += [change] if change else []
                free.append(actor)
            except RayActorError:
                outcomes.append(labelled(rank, _death(actor)))
                _forget(actor)
            continue
        states = _actor_states()
        for ref, (rank, actor, since) in list(running.items()):
            state = states.get(actor._actor_id.hex())
            if state == "DEAD":  # with its raylet killed, a node's actor process can run on, orphaned, unheard of
                running.pop(ref)
                outcomes.append(labelled(rank, _death(actor)))
                _forget(actor)
            elif state == "PENDING_CREATION" and free:  # no room for it (a node lost): a started actor takes the rank
                running.pop(ref)
                pending.append(rank)
                ray.kill(actor)
                _forget(actor)
            elif timeout_s and time.monotonic() - since >= timeout_s:
                running.pop(ref)
                outcomes.append(labelled(rank, timed_out(timeout_s)))
                actors[actors.index(actor)] = new = _replace(actor, options)
                free.append(new)
    return outcomes, changes


CLEAR_TIMEOUT_S = 60  # per actor mirror, at the end of a build

# how often the actors of the running tasks are looked up when none has answered
POLL_S = 10.0


def _actor_states() -> dict[str, str]:
    """This job's actors: id -> state (Ray's actor table; ray.util.state would need the dashboard)."""
    import ray
    from ray._private.state import actors

    job = ray.JobID.from_hex(ray.get_runtime_context().get_job_id())
    return {a: info["State"] for a, info in actors(job_id=job).items()}


def _death(actor) -> str:
    """DIED and the node the actor was on; whether the node is lost, where Ray knows it already."""
    import ray
    from ray._private.state import actors

    where = actors(actor._actor_id.hex()).get("Address", {})
    node, ip = where.get("NodeID"), where.get("IPAddress")
    if node and not any(n["NodeID"] == node and n["Alive"] for n in ray.nodes()):
        return f"its Ray node was lost (node {node}, {ip})"
    return f"{DIED} on Ray node {node} ({ip})" if node else DIED


def _replace(actor, options: dict):
    """Kill the actor (a task past its time limit) and start another in its place in the pool."""
    import ray

    ray.kill(actor)
    new = ray.remote(_TaskActor).options(**options).remote()
    for pool in _actors.values():
        if actor in pool:
            pool[pool.index(actor)] = new
    return new


def _forget(actor) -> None:
    for pool in _actors.values():
        if actor in pool:
            pool.remove(actor)
