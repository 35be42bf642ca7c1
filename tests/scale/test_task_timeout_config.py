"""executor.task_timeout_s at load: a number of seconds >= 0 (0: no limit), refused on Slurm."""

import pytest

from corpus.config import load_config
from corpus.core.configlib import ConfigError


def test_task_timeout_is_seconds_and_not_for_slurm():
    assert load_config(None, executor={"task_timeout_s": 90}).executor.task_timeout_s == 90.0
    assert load_config(None).executor.task_timeout_s == 0
    with pytest.raises(ConfigError, match="executor.task_timeout_s"):
        load_config(None, executor={"task_timeout_s": -1})
    with pytest.raises(ConfigError, match="executor.task_timeout_s.*executor.slurm.time"):
        load_config(None, executor={"kind": "slurm", "task_timeout_s": 60})
