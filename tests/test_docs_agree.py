"""Numbers the docs quote that the code decides: they must be the code's."""

import re
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_train_docs_give_the_coverage_the_cli_gives():
    import typer

    from corpus.cli import make_app

    command = typer.main.get_command(make_app(("mixtures.cli",)))
    option = next(p for p in command.commands["tokenizer"].commands["train"].params if p.name == "coverage")
    example = re.search(r"e\.g\. (0\.\d+)", option.help).group(1)
    line = next(line for line in (DOCS / "train.md").read_text().splitlines() if "--coverage" in line)
    assert f"--coverage {example}" in line and f"defaults to {option.default}" in line


def test_mixture_docs_give_the_default_and_the_minimum_of_search_runs():
    from mixtures.searchconfig import SearchConfig

    line = next(line for line in (DOCS / "mixtures.md").read_text().splitlines() if line.strip().startswith("runs:"))
    default = SearchConfig.__dataclass_fields__["runs"].default
    assert line.split("#")[0].split() == ["runs:", str(default)] and "at least 2" in line
