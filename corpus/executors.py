"""The one place that turns an ExecutorConfig and a step list into a datatrove executor run."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from dataclasses import dataclass, field
from typing import Any, Literal

from datatrove.executor import LocalPipelineExecutor
from datatrove.executor.ray import RayPipelineExecutor
from loguru import logger

from corpus import logs
from corpus.configlib import check


@dataclass(frozen=True)
class ExecutorConfig:
    kind: Literal["local", "slurm", "ray"] = "local"
    workers: int = 1  # processes running tasks at once (local); -1: one per task
    tasks: int = 0  # 0: one task per input file
    slurm: dict[str, Any] = field(default_factory=dict)  # passed to datatrove's SlurmPipelineExecutor
    ray: dict[str, Any] = field(default_factory=dict)  # passed to datatrove's RayPipelineExecutor

    def __post_init__(self):
        check(self.workers == -1 or self.workers >= 1, "executor.workers", "must be >= 1 or -1")
        check(self.tasks >= 0, "executor.tasks", "must be >= 0")
        # datatrove's tasks_per_job forks a pool inside a threaded Ray actor (it hung); tasks here already
        # share long-lived actors, which is what it was for
        check(self.ray.get("tasks_per_job", 1) == 1, "executor.ray.tasks_per_job",
              "not supported: tasks already run in long-lived actors (remove the key)")


class IncompleteRun(RuntimeError):
    pass


def die_with_parent() -> None:
    """Linux: have the kernel SIGKILL this process when its parent dies, so a killed build leaves no
    worker writing into OUT behind it."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    parent = os.getppid()
    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # it died before the signal was armed
        os._exit(1)


# Pool workers are forked by multiprocessing's forkserver and start with what it imported. Without a
# preload each worker of each pipeline imports numpy, pyarrow, scipy and datatrove afresh (1-2 s), and a
# default build runs about 20 pipelines: on small inputs that was most of a dedup or scorer stage's wall
# time. Only libraries that start no threads at import; the forkserver starts once per build process.
WORKER_PRELOAD = ("__main__", "numpy", "pyarrow.parquet", "polars", "scipy.sparse.csgraph", "datatrove.io",
                  "datatrove.pipeline.readers", "datatrove.pipeline.writers", "corpus.writers")


def _preload_forkserver() -> None:
    import multiprocessing

    multiprocessing.set_forkserver_preload(list(WORKER_PRELOAD))


class _LocalExecutor(LocalPipelineExecutor):
    """Tasks run in the build process (one worker) or in a pool of worker processes; a task's log lines
    reach the terminal only with -v."""

    def __init__(self, *args, verbose: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.verbose = verbose

    def _run_for_rank(self, rank: int, local_rank: int = 0, node_rank: int = -1):
        with logs.datatrove_task(self.verbose):
            return super()._run_for_rank(rank, local_rank, node_rank)

    def run(self):
        """Every incomplete task runs, whatever happens to the others. datatrove's own loop stops at the
        first task that raises, and its multiprocess Pool waits forever for a task whose worker was
        killed (OOM killer, SIGKILL); here a worker's death stops the pipeline instead. Unfinished tasks
        are left to get_incomplete_ranks, so the caller reports them and a rerun redoes only those; the
        first errors are kept in `self.errors`."""
        from datatrove.utils.stats import PipelineStats

        ranks = self.get_incomplete_ranks(range(self.local_rank_offset, self.local_rank_offset + self.local_tasks))
        self.errors: list[str] = []
        if not ranks:
            return PipelineStats()
        self._launched = True
        self.save_executor_as_json()
        outcomes = self._run_in_process(ranks) if self.workers == 1 else self._run_in_pool(ranks)
        stats = [o for o in outcomes if isinstance(o, PipelineStats)]
        self.errors = [o for o in outcomes if isinstance(o, str)]
        if not self.errors:
            with self.logging_dir.open("stats.json", "wt") as f:
                sum(stats, start=PipelineStats()).save_to_disk(f)
        return sum(stats, start=PipelineStats())

    def _run_in_process(self, ranks: list[int]) -> list:
        from copy import deepcopy

        pipeline, outcomes = self.pipeline, []
        for rank in ranks:
            self.pipeline = deepcopy(pipeline)  # a step keeps state between documents, never between tasks
            try:
                outcomes.append(self._run_for_rank(rank))
            except Exception as e:  # noqa: BLE001 - logged with its traceback in the task's log
                outcomes.append(f"task {rank}: {type(e).__name__}: {e}")
        self.pipeline = pipeline
        return outcomes

    def _run_in_pool(self, ranks: list[int]) -> list:
        """Each worker has a pipe of its own: the build sends it a rank, it answers with the task's stats
        or error, and a worker that dies is seen on its process sentinel. concurrent.futures' pool (used
        before) hung now and then when a worker was killed while the pool was still starting the others
        (CPython 3.11: the worker being started was never terminated and the pool waited to join it)."""
        import multiprocessing
        from multiprocessing.connection import wait

        import dill

        ctx = multiprocessing.get_context(self.start_method)
        executor = dill.dumps(self)  # steps need dill, as under datatrove's multiprocess pool
        pool = [_Worker(ctx, executor, i) for i in range(min(self.workers, len(ranks)))]
        pending, outcomes, busy = list(reversed(ranks)), [], {}
        finished = False
        try:
            for worker in pool:
                busy[worker] = worker.give(pending.pop())
            while busy:
                ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy]))
                for worker in [w for w in busy if w.conn in ready or w.process.sentinel in ready]:
                    rank, outcome = busy.pop(worker), worker.outcome()
                    outcomes.append(f"task {rank}: {outcome}" if isinstance(outcome, str) else outcome)
                    if outcome == _DIED:  # the pipeline stops: its other tasks are left to the rerun
                        return outcomes
                    if pending:
                        busy[worker] = worker.give(pending.pop())
            finished = True
        finally:
            for worker in pool:  # a stopped pipeline's running tasks are killed, not waited for
                worker.stop(kill=not finished)
        return outcomes


_DIED = "a worker process died (killed by a signal or out of memory)"


class _Worker:
    """A task process of the local pool (forked by the forkserver) and its end of their pipe."""

    def __init__(self, ctx, executor: bytes, local_rank: int):
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve_tasks, args=(child, executor, local_rank, os.getpid()), daemon=True)
        self.process.start()
        child.close()

    def give(self, rank: int) -> int:
        with contextlib.suppress(OSError):  # already dead: outcome() says so
            self.conn.send(rank)
        return rank

    def outcome(self):
        """The task's stats, its error as text, or _DIED."""
        import dill

        try:
            return dill.loads(self.conn.recv_bytes())
        except (EOFError, OSError):
            return _DIED

    def stop(self, kill: bool) -> None:
        if not kill:
            with contextlib.suppress(OSError):
                self.conn.send(None)
            self.process.join(timeout=5)
        if self.process.exitcode is None:
            self.process.kill()
            self.process.join()
        self.conn.close()


def _serve_tasks(conn, executor: bytes, local_rank: int, build: int) -> None:
    # Ctrl-C reaches the whole process group: the build alone handles it (it kills its workers), where a
    # worker's KeyboardInterrupt would only print its traceback
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent()
    _die_with_build(build)
    with contextlib.suppress(EOFError, BrokenPipeError):  # the build is gone: so is this worker, quietly
        _serve(conn, executor, local_rank)


def _serve(conn, executor: bytes, local_rank: int) -> None:
    import dill

    while (rank := conn.recv()) is not None:
        try:  # a fresh copy of the pipeline per task: steps keep state between documents only
            outcome = dill.loads(executor)._run_for_rank(rank, local_rank)
        except Exception as e:  # noqa: BLE001 - logged with its traceback in the task's log
            outcome = f"{type(e).__name__}: {e}"
        conn.send_bytes(dill.dumps(outcome))


def _die_with_build(pid: int) -> None:
    """A pool worker's parent is the forkserver, and the forkserver lives as long as any worker does (each
    holds its liveness pipe); a worker running a task would outlive a killed build. So it
    watches the build process itself."""
    import select

    if not hasattr(os, "pidfd_open"):  # Linux only; elsewhere a killed build can leave a worker waiting
        return
    try:
        build = os.pidfd_open(pid)
    except ProcessLookupError:  # the build died before this worker started
        os._exit(1)

    def watch():
        select.select([build], [], [])
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch, daemon=True, name="die-with-build").start()


class _RayExecutor(RayPipelineExecutor):
    """Tasks run in a pool of long-lived Ray actors (one per worker, kept for the whole build), each handed
    one rank at a time. datatrove's RayPipelineExecutor starts a new actor (a fresh Python process that
    imports the whole pipeline) for every task, which took longer than a task on small files. Task ranks,
    completion markers, task logs and stats files are datatrove's (`_run_for_rank`); as in the local
    executor every task runs whatever happens to the others, and the first errors are in `self.errors`."""

    def __init__(self, *args, verbose: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.verbose = verbose

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
        actors = _actor_pool(self._actor_options(), min(self.workers, len(ranks)))
        outcomes = _run_on_actors(actors, ray.put(self), ranks)
        self.errors = [o for o in outcomes if isinstance(o, str)]
        if not self.errors and not self.get_incomplete_ranks(range(self.world_size)):
            self._merge_stats()

    def _actor_options(self) -> dict:
        opts = {"num_cpus": self.cpus_per_task, "num_gpus": self.gpus_per_task,
                "memory": int(self.mem_per_cpu_gb * self.cpus_per_task * 2**30)}
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

    def run(self, executor: "_RayExecutor", rank: int, local_rank: int):
        """The task's stats, or its error as text (its traceback is in the task's log)."""
        try:
            with logs.datatrove_task(executor.verbose):
                return executor._run_for_rank(rank, local_rank)
        except Exception as e:  # noqa: BLE001
            return f"{type(e).__name__}: {e}"


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


def _run_on_actors(actors: list, executor_ref, ranks: list[int]) -> list:
    """Each free actor takes the next rank. A dead actor (killed, out of memory, its node lost) leaves its
    rank incomplete and takes no more; the others go on."""
    import ray
    from ray.exceptions import RayActorError

    pending, free, running, outcomes = list(reversed(ranks)), list(actors), {}, []
    while running or (pending and free):
        while pending and free:
            actor, rank = free.pop(), pending.pop()
            running[actor.run.remote(executor_ref, rank, actors.index(actor))] = (rank, actor)
        (done,), _ = ray.wait(list(running), num_returns=1)
        rank, actor = running.pop(done)
        try:
            outcome = ray.get(done)
        except RayActorError:
            outcomes.append(f"task {rank}: {_DIED}")
            _forget(actor)
            continue
        outcomes.append(f"task {rank}: {outcome}" if isinstance(outcome, str) else outcome)
        free.append(actor)
    return outcomes


def _forget(actor) -> None:
    for pool in _actors.values():
        if actor in pool:
            pool.remove(actor)


def make_executor(ecfg: ExecutorConfig, pipeline: list, logging_dir: str, tasks: int, workers: int | None = None):
    workers = ecfg.workers if workers is None else workers
    workers = tasks if workers == -1 else min(workers, tasks)
    if ecfg.kind == "local":
        _preload_forkserver()
        return _LocalExecutor(pipeline=pipeline, tasks=tasks, workers=workers, logging_dir=logging_dir,
                              skip_completed=True, verbose=logs.is_verbose())
    if ecfg.kind == "ray":
        import ray

        opts = dict(ecfg.ray)
        init = opts.pop("init", {"num_cpus": os.cpu_count()})
        if not ray.is_initialized():
            ray.init(**init, include_dashboard=False, log_to_driver=False)
        # datatrove warns on every pipeline that a local OUT must be shared by the nodes (docs/scale.md says so)
        logger.disable("datatrove.executor.ray")
        try:
            return _RayExecutor(pipeline=pipeline, tasks=tasks, workers=workers, logging_dir=logging_dir,
                                skip_completed=True, verbose=logs.is_verbose(), **opts)
        finally:
            logger.enable("datatrove.executor.ray")
    from datatrove.executor.slurm import SlurmPipelineExecutor

    opts = dict(ecfg.slurm)
    opts.setdefault("time", "24:00:00")
    opts.setdefault("job_name", "corpus-build")
    return SlurmPipelineExecutor(pipeline=pipeline, tasks=tasks, workers=workers, logging_dir=logging_dir,
                                 skip_completed=True, **opts)


def run_pipeline(ecfg: ExecutorConfig, pipeline: list, logging_dir: str, tasks: int, workers: int | None = None) -> None:
    """Run to completion (resuming completed tasks); raise if any task did not complete."""
    executor = make_executor(ecfg, pipeline, logging_dir, tasks, workers)
    if ecfg.kind == "slurm":
        return _run_slurm(executor, logging_dir, tasks)
    executor.run()
    missing = executor.get_incomplete_ranks(range(tasks))
    if missing:
        raise IncompleteRun(f"{len(missing)} of {tasks} tasks did not complete{_first_error(executor)} (see "
                            f"{logging_dir}/logs); rerun the same command to finish them")


def _first_error(executor) -> str:
    errors = getattr(executor, "errors", [])
    if not errors:
        return ""
    return f"; {errors[0]}" + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else "")


def _run_slurm(executor, logging_dir: str, tasks: int) -> None:
    """Submit the incomplete tasks and stop (the build is rerun once the jobs finish); return when every
    task is complete, so the rerun goes on to the next pipeline."""
    missing = executor.get_incomplete_ranks(range(tasks))
    if not missing:
        return
    job_file = os.path.join(logging_dir, "slurm_job_id")
    if os.path.isfile(job_file):
        with open(job_file, encoding="utf-8") as f:
            job = f.read().strip()
        if _slurm_job_queued(job):  # submitting again would run the same tasks twice
            raise IncompleteRun(f"slurm job {job} ({len(missing)} of {tasks} tasks left) is still queued or "
                                "running; rerun the same command when it has finished")
    executor.run()
    if executor.job_id in (None, -1):
        return
    os.makedirs(logging_dir, exist_ok=True)
    with open(job_file, "w", encoding="utf-8") as f:
        f.write(str(executor.job_id))
    raise IncompleteRun(f"slurm job {executor.job_id} submitted ({len(missing)} tasks); rerun the same command "
                        "when it has finished to continue the build")


def _slurm_job_queued(job: str) -> bool:
    import subprocess

    try:
        r = subprocess.run(["squeue", "-h", "-j", job, "-o", "%i"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        logger.warning(f"squeue failed ({e}); assuming job {job} is no longer queued")
        return False
    return r.returncode == 0 and bool(r.stdout.strip())
