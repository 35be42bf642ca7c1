"""Slurm: each pipeline is one job array; a build submits the incomplete tasks and stops (exit 3), and
the rerun goes on once the jobs have finished."""

from __future__ import annotations

import os

from loguru import logger

from corpus.core.executors.common import IncompleteRun


def make_executor(options: dict, pipeline: list, logging_dir: str, tasks: int, workers: int):
    from datatrove.executor.slurm import SlurmPipelineExecutor

    opts = dict(options)
    opts.setdefault("time", "24:00:00")
    opts.setdefault("job_name", "corpus-build")
    return SlurmPipelineExecutor(
        pipeline=pipeline, tasks=tasks, workers=workers, logging_dir=logging_dir, skip_completed=True, **opts
    )


def run(executor, logging_dir: str, tasks: int) -> None:
    """Submit the incomplete tasks and stop (the build is rerun once the jobs finish); return when every
    task is complete, so the rerun goes on to the next pipeline."""
    missing = executor.get_incomplete_ranks(range(tasks))
    if not missing:
        return
    job_file = os.path.join(logging_dir, "slurm_job_id")
    if os.path.isfile(job_file):
        with open(job_file, encoding="utf-8") as f:
            job = f.read().strip()
        if _job_queued(job):  # submitting again would run the same tasks twice
            raise IncompleteRun(
                f"slurm job {job} ({len(missing)} of {tasks} tasks left) is still queued or "
                "running; rerun the same command when it has finished"
            )
    executor.run()
    if executor.job_id in (None, -1):
        return
    os.makedirs(logging_dir, exist_ok=True)
    with open(job_file, "w", encoding="utf-8") as f:
        f.write(str(executor.job_id))
    raise IncompleteRun(
        f"slurm job {executor.job_id} submitted ({len(missing)} tasks); rerun the same command "
        "when it has finished to continue the build"
    )


def _job_queued(job: str) -> bool:
    import subprocess

    try:
        r = subprocess.run(["squeue", "-h", "-j", job, "-o", "%i"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        logger.warning(f"squeue failed ({e}); assuming job {job} is no longer queued")
        return False
    return r.returncode == 0 and bool(r.stdout.strip())
