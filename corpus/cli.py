"""`corpus` command line. Other packages add their commands through a `register(app)` hook."""

from __future__ import annotations

import importlib
import os
from typing import Optional

import typer

from corpus.core.clierrors import UsageError, fail
from corpus.core.remote_cli import local
from corpus.core.configlib import ConfigError

# each module defines register(app); one per owner so that packages never edit each other's CLI.
# They sit above the packages they drive and never import this module (pyproject's import contracts).
PLUGINS = (
    "corpus.refilter_cli",
    "filters.models_cli",
    "dedup.cli",
    "mixtures.cli",
    "train.cli",
    "reports.cli",
    "labels.cli",
)


def _setup_logging(verbose: bool) -> None:
    from corpus.core import logs

    logs.configure(verbose)


def print_funnel(funnel: dict) -> None:
    from corpus.core.funnel import format_funnel

    typer.echo(format_funnel(funnel))


def build(
    inputs: list[str] = typer.Argument(None, help="WARC/WET/JSONL/Parquet files, directories or globs"),
    output: Optional[str] = typer.Option(None, "-o", "--output", help="output directory"),
    config: Optional[str] = typer.Option(None, "-c", "--config", help="YAML config"),
    workers: Optional[int] = typer.Option(None, "--workers", help="parallel processes (executor.workers)"),
    tasks: Optional[int] = typer.Option(None, "--tasks", help="tasks (executor.tasks; 0 = one per file)"),
    annotate_all: Optional[bool] = typer.Option(None, "--annotate-all", help="compute every signal for every document"),
    limit: Optional[int] = typer.Option(
        None,
        "--limit",
        help="read only the first N records of each input file, "
        "for a quick look (input.limit; a resume must give the same N)",
    ),
    stages: Optional[str] = typer.Option(
        None,
        "--stages",
        help="comma-separated stages to run, in order, instead of "
        "the config's (e.g. url_filter,lang_id,gopher_quality)",
    ),
    sets: Optional[list[str]] = typer.Option(
        None,
        "--set",
        help="override a config key or threshold, as refilter "
        "takes it: --set en.gopher_word_count.min=80 --set extract.mode=fast",
    ),
    print_config: bool = typer.Option(False, "--print-config", help="print the effective config and exit"),
    overwrite: bool = typer.Option(False, "--overwrite", help="delete OUTPUT first instead of resuming"),
    keep_work: bool = typer.Option(False, "--keep-work", help="keep the scratch OUTPUT/work/ after success"),
    verbose: bool = typer.Option(
        False, "-v", "--verbose", help="datatrove's log lines on the terminal too (always in OUTPUT/logs/)"
    ),
):
    """Build a corpus: extract, identify language, filter, deduplicate; write kept/dropped/failed Parquet."""
    from corpus.config import dump_config, load_config, parse_set
    from corpus.core.configlib import merge

    executor = {k: v for k, v in (("workers", workers), ("tasks", tasks)) if v is not None}
    flags = {
        "inputs": tuple(inputs) if inputs else None,
        "output": output,
        "annotate_all": annotate_all,
        "executor": executor or None,
        "input": None if limit is None else {"limit": limit},
        "stages": None if stages is None else [s.strip() for s in stages.split(",") if s.strip()],
    }
    try:
        given = [parse_set(item) for item in sets or ()]
        overrides = {k: v for k, v in flags.items() if v is not None}
        for fragment in given:  # each --set over the flags and the ones before it
            overrides = merge(overrides, fragment)
        cfg = load_config(config, **overrides)
    except ConfigError as e:
        fail(str(e))
    if print_config:
        typer.echo(dump_config(cfg), nl=False)
        return
    if not cfg.inputs:
        fail("no inputs: pass INPUT... or set 'inputs' in the config")
    _setup_logging(verbose)
    from filters.scorer_stages import scorer_models

    from corpus.refilter import demo_score_warning

    notice = scorer_models(cfg).get("notice")
    if warning := demo_score_warning(given, scorer_models(cfg)):
        typer.echo(f"warning: {warning}", err=True)
    from corpus.build import ConfigChanged, build as run_build
    from corpus.core.charset import printable
    from corpus.core.executors import IncompleteRun
    from corpus.core.outdir import OutputError
    from corpus.core.progress import Display

    try:
        result = run_build(
            cfg,
            overwrite=overwrite,
            keep_work=keep_work,
            display=Display.for_terminal(verbose),
            on_start=lambda: notice and typer.echo(f"note: {notice}", err=True),
        )
    except (ConfigChanged, ConfigError, OutputError, UsageError) as e:
        fail(str(e))
    except IncompleteRun as e:  # slurm: submitted; or tasks that did not complete
        typer.echo(f"incomplete: {printable(str(e))}", err=True)  # the first error may quote crawl data
        raise typer.Exit(3)
    except KeyboardInterrupt:  # Ctrl-C: the workers are stopped, completed tasks are kept for the rerun
        typer.echo("interrupted: rerun the same command to resume", err=True)
        raise typer.Exit(130) from None
    print_funnel(result.funnel)
    _say_if_everything_failed(result)
    for s in result.bad_shards:
        v = result.shards[s]
        typer.echo(f"shard with errors: {printable(s)} (records {v['records']}, failed {v['failed']})", err=True)
    if result.repeated_ids:
        typer.echo(
            f"error: {result.repeated_ids} input.id_field values are carried by more than one record (in "
            "different files): dedup cannot tell those documents apart; make the ids unique or leave "
            'input.id_field unset (see: corpus sql OUT "select id, count(*) from docs group by id having '
            'count(*) > 1")',
            err=True,
        )
    typer.echo(f"output: {_shown(result.out)}")
    raise typer.Exit(result.exit_code)


def _shown(out: str) -> str:
    from corpus.core.remote import is_remote

    return out if is_remote(out) else os.path.abspath(out)


def _say_if_everything_failed(result) -> None:
    if not result.all_failed:
        return
    t = result.funnel["totals"]
    from corpus.core.charset import printable
    from corpus.core.sql import connect

    cause, n = (
        connect(result.local or result.out)
        .execute(
            "select coalesce(error_class, '?') || ': ' || coalesce(error_message, ''), count(*) from failed "
            "group by 1 order by 2 desc limit 1"
        )
        .fetchone()
    )
    typer.echo(f"error: every record failed ({t['failed']}); most often ({n}): {printable(cause, 300)}", err=True)


def sql(
    out: str = typer.Argument(..., help="build output directory (or a `corpus mix search` runs directory)"),
    query: Optional[str] = typer.Argument(
        None,
        help="SQL over views docs, kept, dropped, failed (clusters when "
        "the cluster stage ran; runs for a search); none: prompt",
    ),
    fmt: str = typer.Option("table", "--format", help="table, csv or json"),
):
    """Query a build with DuckDB."""
    import duckdb

    from corpus.core.layout import Layout
    from corpus.core.sql import (
        NotReadOnly,
        UnreadableBuild,
        check_read_only,
        connect,
        connect_runs,
        holds_runs,
        run_query,
        view_names,
    )

    if fmt not in ("table", "csv", "json"):
        fail(f"--format must be table, csv or json, not {fmt!r}")
    out = local(out)
    layout = Layout(out)
    runs = os.path.isdir(out) and not layout.holds_a_build() and holds_runs(out)  # a mixture search: view `runs`
    if not runs and (not os.path.isdir(out) or not layout.holds_a_build()):
        fail(f"{out!r} is not a build output directory (no manifest.json)")
    if not runs and not os.path.isfile(layout.manifest()):
        typer.echo(f"warning: {out} is a build still running or interrupted; its tables may be partial", err=True)
    try:  # a connection that can write no file, whatever is typed below
        con = connect_runs(out) if runs else connect(out, sandbox=True)
    except UnreadableBuild as e:
        fail(str(e))
    queries = [query] if query else None
    if queries is None:
        typer.echo(f"views: {', '.join(view_names(con))}. End with ';'. Ctrl-D quits.", err=True)
    code = 0
    for q in queries or _prompt():
        try:
            check_read_only(con, q)
            typer.echo(run_query(con, q, fmt))
        except NotReadOnly as e:
            typer.echo(f"error: {e}", err=True)
            code = 2
        except duckdb.Error as e:
            typer.echo(f"error: {_unknown_table(e, view_names(con), runs) or _first_line(e)}", err=True)
            code = code or 1
    raise typer.Exit(code if query else 0)


def _first_line(e: Exception) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0]


def _unknown_table(e: Exception, views: list[str], runs: bool) -> str | None:
    """DuckDB's 'Table with name X does not exist' (and its guess among its own catalog tables) in our
    words: the views there are, and for `clusters` that the build ran no cluster stage."""
    import re

    m = re.search(r"Table with name (\S+) does not exist", str(e))
    if not m:
        return None
    name = m.group(1)
    there = f"the views are {', '.join(views)}"
    if name == "clusters" and not runs:
        return (
            f"this build has no cluster stage, so no `clusters` view ({there}; the view comes with "
            "`cluster` in `stages:`, docs/topics.md)"
        )
    return f"no table or view named {name!r}: {there}"


def _prompt():
    buf = []
    while True:
        try:
            line = input("sql> " if not buf else "...> ")
        except EOFError:
            return
        buf.append(line)
        if line.rstrip().endswith(";"):
            yield "\n".join(buf)
            buf = []


def demo(
    output: str = typer.Option("out/demo", "-o", "--output"),
    workers: int = typer.Option(1, "--workers"),
    verbose: bool = typer.Option(False, "-v", "--verbose", help="datatrove's log lines on the terminal too"),
):
    """Generate the built-in demo WARC (English and Chinese pages) and build it."""
    from corpus.demo import write_demo_warc
    from corpus.core.progress import Display

    _setup_logging(verbose)
    warc = write_demo_warc(os.path.join(output, "input", "demo.warc.gz"))
    typer.echo(f"demo input: {warc}")
    from corpus.build import build as run_build
    from corpus.config import load_config

    cfg = load_config(None, inputs=(warc,), output=os.path.join(output, "build"), executor={"workers": workers})
    result = run_build(cfg, overwrite=True, display=Display.for_terminal(verbose))
    print_funnel(result.funnel)
    typer.echo(f"output: {os.path.abspath(result.out)}")
    typer.echo(f'try: corpus sql {result.out} "select fate, stage, reason, lang, count(*) from docs group by all"')
    raise typer.Exit(result.exit_code)


def diff(
    a: str = typer.Argument(..., help="the first build output directory"),
    b: str = typer.Argument(..., help="the second build output directory"),
    limit: int = typer.Option(3, "--limit", min=0, help="sample documents shown per transition (0: none)"),
    as_json: bool = typer.Option(False, "--json", help="print the transitions and samples as JSON"),
):
    """Compare two builds, read-only: the documents whose fate changed, counted by transition (kept, dropped
    at STAGE (REASON), failed, absent), with samples of each."""
    from corpus.core.sql import UnreadableBuild
    from corpus.diff import NotABuild, diff_builds, format_diff

    try:
        d = diff_builds(local(a), local(b), limit)
    except (NotABuild, UnreadableBuild, FileNotFoundError) as e:
        fail(str(e))
    if as_json:
        import json

        typer.echo(json.dumps(d.to_json(), indent=1, ensure_ascii=False))
    else:
        typer.echo(format_diff(d, a, b))


def explain(
    out: str = typer.Argument(..., help="build (or refilter) output directory"),
    doc_id: str = typer.Argument(..., metavar="ID", help="a document id (the `id` column, e.g. crawl.warc.gz#12)"),
    as_json: bool = typer.Option(False, "--json", help="print the explanation as JSON"),
):
    """Explain one document, read-only: every stage it passed, every signal it got with the threshold in force
    for its language, and its fate (the stage, the reason, the rule, its value and the bound it crossed)."""
    from corpus.core.configlib import ConfigError
    from corpus.core.sql import UnreadableBuild
    from corpus.explain import NotABuild, UnknownId, explain as run, format_explanation

    try:
        found = run(local(out), doc_id)
    except (NotABuild, UnknownId, UnreadableBuild, ConfigError, FileNotFoundError) as e:
        fail(str(e))
    if as_json:
        import json

        typer.echo(json.dumps([ex.to_json() for ex in found], indent=1, ensure_ascii=False, default=str))
        return
    typer.echo("\n\n".join(format_explanation(ex) for ex in found))


def export(
    source: str = typer.Argument(
        ..., help="a build output directory (its kept documents), or a training checkpoint or run directory (the model)"
    ),
    output: str = typer.Option(
        ...,
        "-o",
        "--output",
        help="a build: FILE.jsonl, .jsonl.gz or .jsonl.zst; a checkpoint: the Hugging Face model directory",
    ),
    where: Optional[str] = typer.Option(
        None,
        "--where",
        help="a build: SQL predicate over the kept columns, e.g. \"lang = 'zh' and quality_score > 0.5\"",
    ),
    columns: Optional[str] = typer.Option(
        None, "--columns", help="a build: comma-separated columns, or '*' for all (default: id,url,lang,text)"
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help="replace an existing output file"),
):
    """Export a build's kept documents as JSON Lines (read-only over the build), or a checkpoint in the
    Hugging Face Llama layout (config.json + model.safetensors + tokenizer.model)."""
    from corpus.core.layout import Layout

    source = local(source)
    if not (os.path.isdir(source) and Layout(source).holds_a_build()):
        try:
            from train.cli import export_checkpoint, is_checkpoint_or_run
        except ModuleNotFoundError:  # an app made without the training plugin
            is_checkpoint_or_run = None
        if is_checkpoint_or_run and is_checkpoint_or_run(source):
            export_checkpoint(source, output)
            return
        fail(f"{source!r} is neither a build output directory (no manifest.json) nor a checkpoint or run directory")
    import duckdb

    from corpus.core.progress import counted
    from corpus.core.sql import NotReadOnly, UnreadableBuild
    from corpus.export import DEFAULT_COLUMNS, ExportError, export_kept

    cols = tuple(c.strip() for c in columns.split(",") if c.strip()) if columns else DEFAULT_COLUMNS
    try:
        n = export_kept(source, output, cols, where, overwrite, counted=counted)
    except (ExportError, NotReadOnly, UnreadableBuild) as e:
        fail(str(e))
    except duckdb.Error as e:
        fail(f"--where: {_first_line(e)}", 1)
    typer.echo(f"exported {n:,} document{'' if n == 1 else 's'} to {output}")


def make_app(plugins: tuple[str, ...] = PLUGINS) -> typer.Typer:
    """A fresh app with the core commands and those of `plugins`: tests build their own instead of
    registering on a shared one."""
    app = typer.Typer(
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        help="Turn web-crawl shards into a clean bilingual corpus; inspect it with SQL; train proxies.",
    )
    for command in (build, sql, demo, diff, explain, export):
        app.command()(command)
    for name in plugins:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name != name:
                raise
            continue
        module.register(app)
    return app


def main() -> None:
    make_app()()


if __name__ == "__main__":
    main()
