"""The one place that turns an ExecutorConfig and a step list into a datatrove executor run."""

from __future__ import annotations

import os

from datatrove.executor import LocalPipelineExecutor
from loguru import logger

from corpus import logs
from corpus.config import ExecutorConfig


class IncompleteRun(RuntimeError):
    pass


class QuietLocalExecutor(LocalPipelineExecutor):
    """datatrove's local executor; a task's log lines reach the terminal only with -v."""

    def __init__(self, *args, verbose: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.verbose = verbose

    def _run_for_rank(self, rank: int, local_rank: int = 0, node_rank: int = -1):
        with logs.datatrove_task(self.verbose):
            return super()._run_for_rank(rank, local_rank, node_rank)


def make_executor(ecfg: ExecutorConfig, pipeline: list, logging_dir: str, tasks: int, workers: int | None = None):
    workers = ecfg.workers if workers is None else workers
    workers = tasks if workers == -1 else min(workers, tasks)
    if ecfg.kind == "local":
        return QuietLocalExecutor(pipeline=pipeline, tasks=tasks, workers=workers, logging_dir=logging_dir,
                                  skip_completed=True, verbose=logs.is_verbose())
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
    executor.run()
    if ecfg.kind == "slurm":
        logger.info("slurm jobs submitted; rerun the same command when they finish to continue the build")
        raise IncompleteRun("slurm: submitted, not waited for")
    missing = executor.get_incomplete_ranks(range(tasks))
    if missing:
        raise IncompleteRun(f"{len(missing)} of {tasks} tasks did not complete (see {logging_dir}/logs)")
