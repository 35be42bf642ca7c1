"""docs/cli.md, generated from the command tree itself (every command, argument and option with its help and
default), so the reference cannot drift from the code: `python -m corpus.clidoc` rewrites it, `--check`
exits 1 when it is out of date (tests/test_cli_docs.py does the same)."""

from __future__ import annotations

import argparse
import os
import sys

DOC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs", "cli.md")
HEADER = (
    "# Command-line reference\n\n"
    "Generated from the CLI itself by `python -m corpus.clidoc`; do not edit by hand (a test fails when this "
    "file and the commands differ). `corpus COMMAND --help` prints the same.\n"
)


# typer carries its own copy of click: its objects are told apart by what they have, not by click's classes
def _is_group(cmd) -> bool:
    return isinstance(getattr(cmd, "commands", None), dict)


def _is_argument(p) -> bool:
    return p.param_type_name == "argument"


def _commands(group, path: tuple[str, ...] = ()):
    """(path, command) of every command under `group`, depth first, in name order."""
    yield path, group
    if _is_group(group):
        for name in sorted(group.commands):
            yield from _commands(group.commands[name], path + (name,))


def _param_row(p) -> str:
    if _is_argument(p):
        name = f"`{_arg_name(p)}`" + ("" if p.required else " (optional)")
        help_ = getattr(p, "help", None) or ""
    else:
        names = ", ".join(f"`{o}`" for o in p.opts + p.secondary_opts)
        name = names + ("" if p.is_flag or p.count else f" {_metavar(p)}")
        help_ = p.help or ""
    default = _default(p)
    cell = " ".join(help_.split()).replace("|", "\\|")
    cell += f" (default: `{default}`)" if default else ""
    cell += " (required)" if p.required and not _is_argument(p) else ""
    return f"| {name} | {cell} |"


def _arg_name(p) -> str:
    return p.name.upper() + ("..." if p.nargs == -1 else "")


def _metavar(p) -> str:
    """TEXT, INTEGER, FLOAT... from the parameter's annotation (Optional[...] and list[...] unwrapped)."""
    import typing

    ann = getattr(getattr(p, "type_descriptor", None), "annotation", None)
    while typing.get_args(ann):
        ann = next((a for a in typing.get_args(ann) if a is not type(None)), None)
    names = {str: "TEXT", int: "INTEGER", float: "FLOAT"}
    return names.get(ann, getattr(ann, "__name__", "VALUE").upper())


def _default(p) -> str:
    d = p.default
    if d is None or d == () or d == [] or callable(d) or (not _is_argument(p) and p.is_flag and not d):
        return ""
    return str(d)


def render(app=None) -> str:
    import typer

    from corpus.cli import make_app

    root = typer.main.get_command(app or make_app())
    parts = [HEADER]
    for path, cmd in _commands(root):
        if getattr(cmd, "hidden", False):
            continue
        title = "corpus" + "".join(f" {p}" for p in path)
        params = [p for p in cmd.params if not getattr(p, "hidden", False) and p.name != "help"]
        usage = " ".join(
            [title] + [_arg_name(p) if p.required else f"[{_arg_name(p)}]" for p in params if _is_argument(p)]
        )
        usage += " [OPTIONS]" if any(not _is_argument(p) for p in params) else ""
        usage += " COMMAND [ARGS]..." if _is_group(cmd) else ""
        parts.append(f"\n{'#' * min(len(path) + 2, 4)} `{title}`\n\n```\n{usage}\n```\n")
        text = (cmd.help or "").strip()
        if text:
            parts.append("\n" + "\n".join(line.rstrip() for line in text.replace("\b\n", "").splitlines()) + "\n")
        if _is_group(cmd) and cmd.commands:
            parts.append("\nCommands: " + ", ".join(f"`{n}`" for n in sorted(cmd.commands)) + ".\n")
        if params:
            parts.append("\n| argument or option | meaning |\n|---|---|\n" + "\n".join(map(_param_row, params)) + "\n")
    return "".join(parts)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if docs/cli.md is out of date, write nothing")
    ap.add_argument("-o", "--output", default=DOC)
    args = ap.parse_args(argv)
    text = render()
    current = open(args.output, encoding="utf-8").read() if os.path.exists(args.output) else ""
    if args.check:
        if current != text:
            print(f"{args.output} is out of date: run python -m corpus.clidoc", file=sys.stderr)
            return 1
        return 0
    if current != text:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text)
    print(args.output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
