"""docs/cli.md is generated from the command tree: this fails when a command, option or help text changed
without regenerating it (`python -m corpus.clidoc`)."""

from pathlib import Path

from corpus.clidoc import DOC, main, render


def test_cli_reference_is_up_to_date():
    assert Path(DOC).read_text(encoding="utf-8") == render(), "docs/cli.md is out of date: run python -m corpus.clidoc"


def test_reference_lists_every_command_with_its_options(tmp_path):
    text = render()
    for heading in (
        "### `corpus build`",
        "### `corpus report`",
        "### `corpus diff`",
        "### `corpus export`",
        "#### `corpus train upscale`",
        "### `corpus eval`",
    ):
        assert heading in text
    assert "| `--limit` INTEGER | sample documents shown per transition (0: none) (default: `3`) |" in text
    out = tmp_path / "cli.md"
    assert main(["--check", "-o", str(out)]) == 1 and not out.exists()
    assert main(["-o", str(out)]) == 0 and main(["--check", "-o", str(out)]) == 0
