"""End to end through the default cascade: good pages and reference text kept, junk and planted
near-duplicates removed (benchmarks/retention.py holds the sets and the floors)."""

import pytest


@pytest.mark.realdata
def test_default_build_keeps_good_text_and_removes_junk(shared_data, tmp_path):
    from evalsets.retention import FLOORS, check_floors, print_summary, run

    summary = run(shared_data, tmp_path)
    print_summary(summary)  # shown by pytest when the test fails: the losses table with examples
    assert set(FLOORS) <= set(summary)
    assert summary["en-articles"]["pages"] == 161 and summary["zh-news"]["pages"] == 69
    assert summary["cc-zh-spam"]["pages"] == 11 and summary["list-pages"]["pages"] == 13
    assert check_floors(summary) == []
