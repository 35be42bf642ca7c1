"""This machine: tasks run in the build process (one worker) or in a pool of worker processes, each with a
pipe of its own, that die with the build."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time

from datatrove.executor import LocalPipelineExecutor

from corpus.core import logs
from corpus.core.executors.common import DIED, WORKER_PRELOAD, error_text, labelled, one_thread_per_task, timed_out


def make_executor(pipeline: list, logging_dir: str, tasks: int, workers: int, task_timeout_s: float = 0):
    _preload_forkserver()
    return _LocalExecutor(
        pipeline=pipeline,
        tasks=tasks,
        workers=workers,
        logging_dir=logging_dir,
        skip_completed=True,
        verbose=logs.is_verbose(),
        task_timeout_s=task_timeout_s,
    )


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


def _preload_forkserver() -> None:
    import multiprocessing

    multiprocessing.set_forkserver_preload(list(WORKER_PRELOAD))


class _LocalExecutor(LocalPipelineExecutor):
    """Tasks run in the build process (one worker) or in a pool of worker processes; a task's log lines
    reach the terminal only with -v. With a time limit every task runs in a worker process, which can be
    killed."""

    def __init__(self, *args, verbose: bool = False, task_timeout_s: float = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.verbose, self.task_timeout_s = verbose, task_timeout_s

    def _run_for_rank(self, rank: int, local_rank: int = 0, node_rank: int = -1):
        one_thread_per_task()
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
        in_process = self.workers == 1 and not self.task_timeout_s
        outcomes = self._run_in_process(ranks) if in_process else self._run_in_pool(ranks)
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
                outcomes.append(labelled(rank, error_text(e)))
        self.pipeline = pipeline
        return outcomes

    def _run_in_pool(self, ranks: list[int]) -> list:
        """Each worker has a pipe of its own: the build sends it a rank, it answers with the task's stats
        or error, and a worker that dies is seen on its process sentinel. concurrent.futures' pool (used
        before) hung now and then when a worker was killed while the pool was still starting the others
        (CPython 3.11: the worker being started was never terminated and the pool waited to join it). A task
        past executor.task_timeout_s is killed with its worker, and a new worker takes the next rank."""
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
                ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy], self._wait_s(busy)))
                for worker in list(busy):
                    if worker.conn in ready or worker.process.sentinel in ready:
                        rank, outcome = busy.pop(worker), worker.outcome()
                    elif self.task_timeout_s and worker.running_s() >= self.task_timeout_s:
                        rank, outcome = busy.pop(worker), timed_out(self.task_timeout_s)
                        worker.stop(kill=True)
                        if pending:
                            pool.append(worker := _Worker(ctx, executor, worker.local_rank))
                    else:
                        continue
                    outcomes.append(labelled(rank, outcome))
                    if outcome == DIED:  # the pipeline stops: its other tasks are left to the rerun
                        return outcomes
                    if pending:
                        busy[worker] = worker.give(pending.pop())
            finished = True
        finally:
            for worker in pool:  # a stopped pipeline's running tasks are killed, not waited for
                worker.stop(kill=not finished)
        return outcomes

    def _wait_s(self, busy: dict) -> float | None:
        """Until the longest-running task reaches the time limit (None: no limit)."""
        return max(0.0, self.task_timeout_s - max(w.running_s() for w in busy)) if self.task_timeout_s else None


class _Worker:
    """A task process of the local pool (forked by the forkserver) and its end of their pipe."""

    def __init__(self, ctx, executor: bytes, local_rank: int):
        self.local_rank, self.since = local_rank, 0.0
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve_tasks, args=(child, executor, local_rank, os.getpid()), daemon=True)
        self.process.start()
        child.close()

    def give(self, rank: int) -> int:
        with contextlib.suppress(OSError):  # already dead: outcome() says so
            self.conn.send(rank)
        self.since = time.monotonic()
        return rank

    def running_s(self) -> float:
        return time.monotonic() - self.since

    def outcome(self):
        """The task's stats, its error as text, or DIED."""
        import dill

        try:
            return dill.loads(self.conn.recv_bytes())
        except (EOFError, OSError):
            return DIED

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
            outcome = error_text(e)
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
