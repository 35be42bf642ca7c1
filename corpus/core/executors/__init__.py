"""The one place that turns an ExecutorConfig and a step list into a datatrove executor run.

One module per backend: `local` (a process pool on this machine), `ray_actors` (long-lived Ray
actors), `slurm` (job arrays); `common` holds what they share (task outcomes, the first error).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from corpus.core.configlib import check
from corpus.core.executors import local, ray_actors, slurm
from corpus.core.executors.common import WORKER_PRELOAD, IncompleteRun, first_error
from corpus.core.executors.local import die_with_parent

__all__ = ["WORKER_PRELOAD", "ExecutorConfig", "IncompleteRun", "die_with_parent", "make_executor", "run_pipeline"]


@dataclass(frozen=True)
class ExecutorConfig:
    kind: Literal["local", "slurm", "ray"] = "local"
    workers: int = 1  # processes running tasks at once (local); -1: one per task
    tasks: int = 0  # 0: one task per input file
    task_timeout_s: float = 0  # local and ray: a task running longer is stopped, left to the rerun; 0: no limit
    slurm: dict[str, Any] = field(default_factory=dict)  # passed to datatrove's SlurmPipelineExecutor
    ray: dict[str, Any] = field(default_factory=dict)  # passed to datatrove's RayPipelineExecutor

    def __post_init__(self):
        check(self.workers == -1 or self.workers >= 1, "executor.workers", "must be >= 1 or -1")
        check(self.tasks >= 0, "executor.tasks", "must be >= 0")
        check(self.task_timeout_s >= 0, "executor.task_timeout_s", "must be >= 0 seconds (0: no limit)")
        check(
            self.kind != "slurm" or not self.task_timeout_s,
            "executor.task_timeout_s",
            "not applied on slurm: set executor.slurm.time (each job's limit)",
        )
        # datatrove's tasks_per_job forks a pool inside a threaded Ray actor (it hung); tasks here already
        # share long-lived actors, which is what it was for
        check(
            self.ray.get("tasks_per_job", 1) == 1,
            "executor.ray.tasks_per_job",
            "not supported: tasks already run in long-lived actors (remove the key)",
        )


def make_executor(ecfg: ExecutorConfig, pipeline: list, logging_dir: str, tasks: int, workers: int | None = None):
    workers = ecfg.workers if workers is None else workers
    workers = tasks if workers == -1 else min(workers, tasks)
    if ecfg.kind == "local":
        return local.make_executor(pipeline, logging_dir, tasks, workers, ecfg.task_timeout_s)
    if ecfg.kind == "ray":
        return ray_actors.make_executor(ecfg.ray, pipeline, logging_dir, tasks, workers, ecfg.task_timeout_s)
    return slurm.make_executor(ecfg.slurm, pipeline, logging_dir, tasks, workers)


def run_pipeline(
    ecfg: ExecutorConfig, pipeline: list, logging_dir: str, tasks: int, workers: int | None = None
) -> None:
    """Run to completion (resuming completed tasks); raise if any task did not complete."""
    executor = make_executor(ecfg, pipeline, logging_dir, tasks, workers)
    if ecfg.kind == "slurm":
        return slurm.run(executor, logging_dir, tasks)
    executor.run()
    missing = executor.get_incomplete_ranks(range(tasks))
    if missing:
        raise IncompleteRun(
            f"{len(missing)} of {tasks} tasks did not complete{first_error(executor)} (see "
            f"{logging_dir}/logs); rerun the same command to finish them"
        )
