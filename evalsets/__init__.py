"""The evaluation sets built from the shared real data (`../shared/data`, or $CORPUS_SHARED_DATA),
and the floors a build must meet on them: one place that both the tests and the benchmarks import.

- `labelled`: the labelled pages (gold main text) and the token-level precision/recall they are
  scored with;
- `retention_inputs`, `retention`: the end-to-end retention set (good pages, junk, planted
  near-duplicates, clean reference text), its build, its scores and its floors;
- `warcs`: WARC files dealt into smaller ones, record by record;
- `dedup_scale`: corpora synthesised from real sentences for the MinHash memory checks.

Not a toolkit layer: nothing in corpus/, filters/, dedup/ ... imports it.
"""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]  # the repository checkout


def default_data() -> Path:
    """The shared data folder: $CORPUS_SHARED_DATA, else `shared/data` beside the checkout."""
    return Path(os.environ.get("CORPUS_SHARED_DATA", ROOT.parent / "shared" / "data"))
