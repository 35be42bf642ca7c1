import pytest

from corpus.config import ExecutorConfig
from corpus.executors import make_executor
from corpus.readers import CrawlReader
from corpus.layout import Layout


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
