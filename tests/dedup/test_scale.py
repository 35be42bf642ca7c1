"""A small version of benchmarks/dedup_scale.py: doubling the corpus (more input files, more hash
shards) must not raise the peak RSS of the dedup workers."""

import json
import os
import subprocess
import sys

from evalsets.dedup_scale import RUNNER, ROOT, sentence_pool, synthesise


def test_peak_rss_does_not_grow_with_corpus_size(tmp_path, shared_data):
    pool = sentence_pool(str(shared_data))
    peaks = []
    for n in (1000, 2000):
        inp, out = tmp_path / f"in{n}", tmp_path / f"out{n}"
        copies = synthesise(pool, n, str(inp), per_file=500, seed=n)
        res = subprocess.run(
            [sys.executable, "-c", RUNNER, str(out), str(inp), "1", "0.02"],
            env={**os.environ, "PYTHONPATH": ROOT},
            capture_output=True,
            text=True,
        )
        assert res.returncode == 0, res.stderr[-2000:]
        stats = json.loads(res.stdout.strip().splitlines()[-1])
        shards = {f.split("-")[0] for f in os.listdir(out / "work" / "seg01-minhash" / "records")}
        assert len(shards) > 1 and copies > 0.1 * n
        peaks.append(stats["peak_rss_mb_driver"])  # workers=1: every task runs in the driver
    assert peaks[1] < peaks[0] * 1.1, peaks
