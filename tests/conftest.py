import os
from pathlib import Path

import pytest

SHARED_DATA = Path(os.environ.get("CORPUS_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder {SHARED_DATA} is absent (set CORPUS_SHARED_DATA)")
    return SHARED_DATA
