import pytest
from typer.testing import CliRunner

from corpus.cli import make_app
from dedup.explain import catch_probability, explain


@pytest.mark.parametrize(
    "s,bands,rows,expected",
    [(0.8, 14, 8, 0.9235), (0.5, 14, 8, 0.0533), (1.0, 3, 4, 1.0), (0.0, 3, 4, 0.0), (0.5, 1, 1, 0.5)],
)
def test_catch_probability(s, bands, rows, expected):
    assert catch_probability(s, bands, rows) == pytest.approx(expected, abs=1e-4)


def test_explain_is_monotone_with_midpoint():
    ex = explain(14, 8, 0.8)
    probs = [p for _, p in ex.rows_table]
    assert probs == sorted(probs)
    assert catch_probability(ex.midpoint, 14, 8) == pytest.approx(0.5, abs=1e-9)
    assert ex.false_negative_area < ex.false_positive_area  # 14x8 leans towards recall at 0.8


def test_cli_prints_table_and_writes_plot(tmp_path):
    app = make_app(("dedup.cli",))
    png = tmp_path / "curve.png"
    res = CliRunner().invoke(
        app, ["dedup", "explain", "--bands", "20", "--rows", "5", "--plot", str(png), "--compare", "14x8"]
    )
    assert res.exit_code == 0, res.output
    assert "20 bands x 5 rows = 100 permutations" in res.output
    assert "0.80    | 0.9996" in res.output
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_compare_without_plot_adds_a_column_per_curve(tmp_path):
    app = make_app(("dedup.cli",))
    res = CliRunner().invoke(
        app, ["dedup", "explain", "--bands", "14", "--rows", "8", "--compare", "9x13", "--compare", "20x5"]
    )
    assert res.exit_code == 0, res.output
    header = next(line for line in res.output.splitlines() if line.startswith("jaccard"))
    assert [c.strip() for c in header.split("|")] == ["jaccard", "p_caught", "9x13", "20x5"]
    row = next(line for line in res.output.splitlines() if line.startswith("0.80 "))
    assert [c.strip() for c in row.split("|")] == [
        "0.80",
        "0.9235",
        f"{catch_probability(0.8, 9, 13):.4f}",
        f"{catch_probability(0.8, 20, 5):.4f}",
    ]
    assert "9 bands x 13 rows = 117 permutations" in res.output
    assert not list(tmp_path.iterdir())  # no plot asked, none written
