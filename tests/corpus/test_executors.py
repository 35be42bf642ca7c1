import pytest

from corpus.config import ExecutorConfig
from corpus.core.configlib import ConfigError
from corpus.core.executors import make_executor
from corpus.core.readers import CrawlReader
from corpus.core.layout import Layout


@pytest.mark.parametrize("workers, tasks, expected", [(1, 4, 1), (-1, 4, 4), (8, 3, 3)])
def test_local_workers_never_exceed_tasks(tmp_path, workers, tasks, expected):
    ex = make_executor(ExecutorConfig(workers=workers), [], str(tmp_path / "logs"), tasks)
    assert (ex.tasks, ex.workers) == (tasks, expected)


def test_slurm_options_pass_through(tmp_path):
    pytest.importorskip("datatrove.executor.slurm")
    ecfg = ExecutorConfig(kind="slurm", workers=2, slurm={"partition": "cpu", "cpus_per_task": 4, "time": "02:00:00"})
    step = CrawlReader([], ".", Layout(str(tmp_path)))
    ex = make_executor(ecfg, [step], str(tmp_path / "logs"), tasks=10)
    assert type(ex).__name__ == "SlurmPipelineExecutor"
    assert (ex.partition, ex.cpus_per_task, ex.time, ex.tasks) == ("cpu", 4, "02:00:00", 10)


SBATCH = """#!/bin/bash
# records the job script and its arguments, queues the job, answers like sbatch
d="$SLURM_STUB_DIR"; n=$(( $(cat "$d/next" 2>/dev/null || echo 100) + 1 )); echo $n > "$d/next"
cp "${@: -1}" "$d/job-$n.sh"; printf '%s\\n' "$@" > "$d/job-$n.args"; echo $n >> "$d/queue"
echo "Submitted batch job $n"
"""
SQUEUE = """#!/bin/bash
while [ $# -gt 0 ]; do [ "$1" = -j ] && id=$2; shift; done
grep -qx "$id" "$SLURM_STUB_DIR/queue" 2>/dev/null && echo "$id"
exit 0
"""
SCONTROL = """#!/bin/bash
[ "$1 $2" = "show hostnames" ] && echo "$3"
exit 0
"""


def _stub_cluster(tmp_path):
    import os
    import stat
    import sys

    from tests.corpus.helpers import env_with_path

    bin_dir, state = tmp_path / "bin", tmp_path / "slurm"
    bin_dir.mkdir()
    state.mkdir()
    for name, text in (("sbatch", SBATCH), ("squeue", SQUEUE), ("scontrol", SCONTROL)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(stat.S_IRWXU)
    env = env_with_path()
    env["PATH"] = os.pathsep.join([str(bin_dir), os.path.dirname(sys.executable), env["PATH"]])
    env["SLURM_STUB_DIR"] = str(state)
    return env, state


def _cluster_runs_the_queue(state, env):
    """What the cluster would do: run every array task of every queued pipeline job, then empty the queue."""
    import re
    import subprocess

    for job in (state / "queue").read_text().split():
        script = (state / f"job-{job}.sh").read_text()
        if "launch_pickled_pipeline" not in script:
            continue  # datatrove's merge-stats job
        last = int(re.search(r"#SBATCH --array=0-(\d+)", script).group(1))
        offset = re.search(r"RUN_OFFSET=(\d+)", (state / f"job-{job}.args").read_text()).group(1)
        for i in range(last + 1):
            subprocess.run(
                ["bash", str(state / f"job-{job}.sh")],
                env={
                    **env,
                    "SLURM_ARRAY_TASK_ID": str(i),
                    "SLURM_NODELIST": "node1",
                    "SLURM_NODEID": "0",
                    "RUN_OFFSET": offset,
                },
                check=True,
                capture_output=True,
            )
    (state / "queue").write_text("")


@pytest.mark.slow
def test_slurm_build_submits_waits_and_finishes_on_the_rerun(tmp_path):
    import subprocess
    import sys

    from corpus.build import build
    from corpus.demo import write_demo_warc
    from tests.corpus.helpers import all_rows, make_config

    warc = write_demo_warc(str(tmp_path / "in" / "demo.warc.gz"))
    env, state = _stub_cluster(tmp_path)
    (tmp_path / "c.yaml").write_text(
        "stages: [url_filter, lang_id]\nexecutor: {kind: slurm, slurm: {with_srun: false, partition: cpu}}\n"
    )
    cmd = [
        sys.executable,
        "-m",
        "corpus.cli",
        "build",
        warc,
        "-o",
        str(tmp_path / "out"),
        "-c",
        str(tmp_path / "c.yaml"),
    ]
    run = lambda: subprocess.run(cmd, env=env, capture_output=True, text=True)  # noqa: E731

    first = run()
    assert first.returncode == 3 and "submitted" in first.stderr, first.stderr[-2000:]
    jobs = sorted(state.glob("job-*.sh"))
    again = run()  # the job is still queued: nothing is submitted twice
    assert again.returncode == 3 and "still queued" in again.stderr, again.stderr[-2000:]
    assert sorted(state.glob("job-*.sh")) == jobs

    _cluster_runs_the_queue(state, env)
    done = run()  # every task complete: the build goes on and finishes
    assert done.returncode == 0, done.stderr[-2000:]
    assert sorted(state.glob("job-*.sh")) == jobs
    build(make_config([warc], tmp_path / "local", stages=["url_filter", "lang_id"]))
    assert all_rows(tmp_path / "out") == all_rows(tmp_path / "local")


def test_ray_tasks_per_job_is_refused_at_load():
    with pytest.raises(ConfigError, match="tasks_per_job"):
        ExecutorConfig(kind="ray", ray={"tasks_per_job": 4})


class _BlasThreads:
    """A step that writes the BLAS thread count of the process running its task."""

    def __init__(self, folder: str):
        self.folder = folder

    def __call__(self, data, rank: int = 0, world_size: int = 1):
        import json
        from pathlib import Path

        from threadpoolctl import threadpool_info

        threads = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
        Path(self.folder, f"{rank}.json").write_text(json.dumps(threads))
        yield from data or ()


@pytest.mark.parametrize("workers", [1, 2])
def test_a_task_runs_with_one_blas_thread(tmp_path, workers):
    import json

    import numpy  # noqa: F401 - loads the BLAS whose threads are counted

    ex = make_executor(ExecutorConfig(workers=workers), [_BlasThreads(str(tmp_path))], str(tmp_path / "logs"), 2)
    ex.run()
    assert not ex.errors
    seen = [json.loads((tmp_path / f"{r}.json").read_text()) for r in range(2)]
    assert all(threads and set(threads) == {1} for threads in seen), seen
