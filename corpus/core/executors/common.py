"""What the backends share: the outcome of a task, how a run's errors are told, what workers preload.

A task's outcome is its datatrove `PipelineStats`, or its error as text (the traceback is in the
task's log); the backends collect outcomes and keep the texts in `executor.errors`.
"""

from __future__ import annotations


class IncompleteRun(RuntimeError):
    pass


# Pool workers are forked by multiprocessing's forkserver and start with what it imported. Without a
# preload each worker of each pipeline imports numpy, pyarrow, scipy and datatrove afresh (1-2 s), and a
# default build runs about 20 pipelines: on small inputs that was most of a dedup or scorer stage's wall
# time. Only libraries that start no threads at import; the forkserver starts once per build process.
WORKER_PRELOAD = (
    "__main__",
    "numpy",
    "pyarrow.parquet",
    "polars",
    "scipy.sparse.csgraph",
    "datatrove.io",
    "datatrove.pipeline.readers",
    "datatrove.pipeline.writers",
    "corpus.core.writers",
)

DIED = "a worker process died (killed by a signal or out of memory)"


def one_thread_per_task() -> None:
    """A task has one core (the backends run one per worker, a worker per core), so numpy's BLAS, which
    starts a thread per core of the machine, only adds threads that spin beside it: on the shared WARC
    shards the coherence scorer's small matrix products cost a default build about 10% more CPU seconds
    than its wall time. Called as a task starts; the limit holds for the process."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1, user_api="blas")


def timed_out(limit_s: float) -> str:
    return f"exceeded executor.task_timeout_s={limit_s:g} s"


def error_text(e: Exception) -> str:
    return f"{type(e).__name__}: {e}"


def labelled(rank: int, outcome):
    """The outcome as the run keeps it: stats as they are, an error prefixed with its task."""
    return f"task {rank}: {outcome}" if isinstance(outcome, str) else outcome


def first_error(executor) -> str:
    errors = getattr(executor, "errors", [])
    if not errors:
        return ""
    return f"; {errors[0]}" + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else "")
