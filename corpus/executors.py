"""The one place that turns an ExecutorConfig and a step list into a datatrove executor run."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading

from datatrove.executor import LocalPipelineExecutor
from loguru import logger

from corpus.config import ExecutorConfig


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


# datatrove forks a multiprocess Manager from the running thread; a fork made from the main thread
# while a pipeline runs gets the parent-death signal (one made from another thread would die with
# that thread, so it is left alone)
_fork_state = {"armed": False, "from_main": False}


def _before_fork() -> None:
    _fork_state["from_main"] = threading.current_thread() is threading.main_thread()


def _after_fork_in_child() -> None:
    if _fork_state["armed"] and _fork_state["from_main"]:
        _fork_state["armed"] = False
        die_with_parent()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork, after_in_child=_after_fork_in_child)


@contextlib.contextmanager
def _children_die_with_us():
    _fork_state["armed"] = True
    try:
        yield
    finally:
        _fork_state["armed"] = False


class _LocalExecutor(LocalPipelineExecutor):
    """Pool workers (forked by the forkserver, itself gone when the build dies) die with their parent."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._owner_pid = os.getpid()

    def _launch_run_for_rank(self, rank: int, ranks_q, completed=None, completed_lock=None):
        if os.getpid() != self._owner_pid:  # in a pool worker, not in the build itself (workers=1)
            die_with_parent()
        return super()._launch_run_for_rank(rank, ranks_q, completed, completed_lock)


def make_executor(ecfg: ExecutorConfig, pipeline: list, logging_dir: str, tasks: int, workers: int | None = None):
    workers = ecfg.workers if workers is None else workers
    workers = tasks if workers == -1 else min(workers, tasks)
    if ecfg.kind == "local":
        return _LocalExecutor(pipeline=pipeline, tasks=tasks, workers=workers, logging_dir=logging_dir,
                                     skip_completed=True)
    if ecfg.kind == "ray":
        import ray
        from datatrove.executor.ray import RayPipelineExecutor

        opts = dict(ecfg.ray)
        init = opts.pop("init", {"num_cpus": os.cpu_count()})
        if not ray.is_initialized():
            ray.init(**init, include_dashboard=False, log_to_driver=False)
        return RayPipelineExecutor(pipeline=pipeline, tasks=tasks, workers=workers, logging_dir=logging_dir,
                                   skip_completed=True, **opts)
    from datatrove.executor.slurm import SlurmPipelineExecutor

    opts = dict(ecfg.slurm)
    opts.setdefault("time", "24:00:00")
    opts.setdefault("job_name", "corpus-build")
    return SlurmPipelineExecutor(pipeline=pipeline, tasks=tasks, workers=workers, logging_dir=logging_dir,
                                 skip_completed=True, **opts)


def run_pipeline(ecfg: ExecutorConfig, pipeline: list, logging_dir: str, tasks: int, workers: int | None = None) -> None:
    """Run to completion (resuming completed tasks); raise if any task did not complete."""
    executor = make_executor(ecfg, pipeline, logging_dir, tasks, workers)
    with _children_die_with_us() if ecfg.kind == "local" else contextlib.nullcontext():
        executor.run()
    if ecfg.kind == "slurm":
        logger.info("slurm jobs submitted; rerun the same command when they finish to continue the build")
        raise IncompleteRun("slurm: submitted, not waited for")
    missing = executor.get_incomplete_ranks(range(tasks))
    if missing:
        raise IncompleteRun(f"{len(missing)} of {tasks} tasks did not complete (see {logging_dir}/logs)")
