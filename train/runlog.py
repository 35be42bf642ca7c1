"""OUT/log.jsonl of a training run: written by the loop, read by the plot and the benchmarks."""

from __future__ import annotations

import json
import os

LOG_FILE = "log.jsonl"


class RunLog:
    """log.jsonl; on resume, records after the checkpoint's step are dropped (they will be redone)."""

    def __init__(self, out_dir: str, resume_step: int, enabled: bool):
        self.path, self.enabled = os.path.join(out_dir, LOG_FILE), enabled
        if enabled and os.path.exists(self.path):
            keep = [r for r in read_log(out_dir) if r["step"] <= resume_step]
            with open(self.path, "w") as f:
                f.writelines(json.dumps(r) + "\n" for r in keep)

    def write(self, record: dict) -> None:
        if self.enabled:
            with open(self.path, "a") as f:
                f.write(json.dumps(record) + "\n")


def read_log(out_dir: str) -> list[dict]:
    with open(os.path.join(out_dir, LOG_FILE)) as f:
        return [json.loads(line) for line in f if line.strip()]
