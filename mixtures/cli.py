"""`corpus tokenizer train`, `corpus tokenize` and `corpus mix plan|build|search|report|export|import`."""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from typing import Optional

import typer

from corpus.core.clierrors import fail


@contextmanager
def _user_errors():
    """What a user can mend (a missing input, a bad value, an output in the way) ends as one line, exit 2."""
    try:
        yield
    except (FileNotFoundError, FileExistsError, ValueError) as e:  # ConfigError is a ValueError
        fail(str(e))


@contextmanager
def _interruptible():
    """Ctrl-C ends with one line and exit 130, as `corpus build` does: finished work is kept for the rerun."""
    try:
        yield
    except KeyboardInterrupt:
        typer.echo("interrupted: rerun the same command to resume", err=True)
        raise typer.Exit(130) from None


def _say(as_json: bool, blob, lines: list[str]) -> None:
    """A few lines for a person; with --json, the blob scripts read."""
    typer.echo(json.dumps(blob, ensure_ascii=False) if as_json else "\n".join(lines))


_JSON = typer.Option(False, "--json", help="print the counts as one JSON object instead of a summary")


def _split_lines(splits: dict) -> list[str]:
    """One line per split of a shard directory's index.json."""
    return [
        f"{s}: {v['docs']:,} documents, {v['tokens']:,} tokens in {len(v['shards'])} shard"
        + ("" if len(v["shards"]) == 1 else "s")
        for s, v in splits.items()
    ]


def _tokenizer_lines(output: str, manifest: dict) -> list[str]:
    t, bpt = manifest["trained_on"], manifest["bytes_per_token"]
    return [
        f"tokenizer: {os.path.join(output, manifest['model'])} "
        f"(vocab {manifest['params']['vocab_size']:,}, sha256 {manifest['sha256'][:12]})",
        f"trained on {t['lines']:,} lines, {t['chars']:,} characters",
        "bytes per token: " + ", ".join(f"{name} {v}" for name, v in bpt.items()),
    ]


def _mix_lines(output: str, manifest: dict) -> list[str]:
    from corpus.core.sql import format_table
    from tokens.shards import read_index

    rows = [
        (
            name,
            f"{manifest['weights'][name]:.3f}",
            s["realised"]["docs"],
            s["realised"]["tokens"],
            f"{s['realised']['tokens'] / max(1, s['available']):.2f}",
        )
        for name, s in manifest["sources"].items()
    ]
    return [
        f"wrote {output} (seed {manifest['seed']}, budget {manifest['budget_tokens']:,} tokens)",
        *_split_lines(read_index(output)["splits"]),
        format_table(["source", "weight", "docs", "tokens", "epochs"], rows, footer=False),
    ]


def register(app: typer.Typer) -> None:
    register_mix(app)
    tok = typer.Typer(no_args_is_help=True, help="Train the SentencePiece BPE tokenizer.")
    app.add_typer(tok, name="tokenizer")

    @tok.command("train")
    def tokenizer_train(
        inputs: list[str] = typer.Argument(..., help="Parquet (e.g. OUT/kept), JSONL or text files, dirs, globs"),
        output: str = typer.Option(..., "-o", "--output", help="tokenizer directory"),
        vocab_size: int = typer.Option(64000, "--vocab-size"),
        chars: int = typer.Option(20_000_000, "--chars", help="character budget, split evenly over input files"),
        where: str = typer.Option("", "--where", help="DuckDB SQL predicate over Parquet columns"),
        coverage: float = typer.Option(
            0.9999,
            "--coverage",
            help="character coverage; the rest falls back to bytes (small vocabularies with Chinese need e.g. 0.995)",
        ),
        threads: int = typer.Option(2, "--threads"),
        as_json: bool = _JSON,
    ):
        """Train a Yi-style SentencePiece BPE tokenizer (digits split, byte fallback, no normalisation)."""
        from tokens.tokenizer import TokenizerConfig, train_tokenizer

        with _user_errors():
            cfg = TokenizerConfig(
                vocab_size=vocab_size, char_budget=chars, character_coverage=coverage, threads=threads
            )
            manifest = train_tokenizer(inputs, output, cfg, where=where)
        blob = {k: manifest[k] for k in ("trained_on", "bytes_per_token", "sha256")}
        _say(as_json, blob, _tokenizer_lines(output, manifest))

    @app.command("tokenize")
    def tokenize_cmd(
        inputs: list[str] = typer.Argument(..., help="Parquet (e.g. OUT/kept), JSONL or text files, dirs, globs"),
        tokenizer: str = typer.Option(..., "-t", "--tokenizer", help="tokenizer directory or .model file"),
        output: str = typer.Option(..., "-o", "--output", help="shard directory"),
        where: str = typer.Option("", "--where", help="DuckDB SQL predicate selecting documents (Parquet)"),
        source: Optional[str] = typer.Option(
            None,
            "--source",
            help="SQL expression naming a document's source (default: lang for a build's output, else the file name)",
        ),
        val_fraction: float = typer.Option(0.01, "--val-fraction"),
        shard_tokens: int = typer.Option(50_000_000, "--shard-tokens"),
        workers: int = typer.Option(2, "--workers"),
        as_json: bool = _JSON,
    ):
        """Tokenise documents into packed uint16/uint32 shards with an index and a hashed validation split."""
        from tokens.shards import TokenizeConfig, tokenize

        with _user_errors():
            cfg = TokenizeConfig(val_fraction=val_fraction, shard_tokens=shard_tokens, workers=workers)
            index = tokenize(inputs, tokenizer, output, cfg, where=where, source_expr=source)
        blob = {s: {k: v[k] for k in ("docs", "tokens")} for s, v in index["splits"].items()}
        _say(as_json, blob, [f"wrote {output}", *_split_lines(index["splits"])])


def _load_mixture(path: str):
    from mixtures.mixture import load_mixture

    with _user_errors():
        return load_mixture(path)


def register_mix(app: typer.Typer) -> None:
    mix = typer.Typer(no_args_is_help=True, help="Mixtures: plan a budget, build shards, search by proxy runs.")
    app.add_typer(mix, name="mix")

    @mix.command("plan")
    def plan_cmd(
        mixture: str = typer.Argument(..., help="mixture YAML"),
        tokens: int = typer.Option(0, "--tokens", help="budget (default: the file's total_tokens)"),
        as_json: bool = typer.Option(False, "--json"),
    ):
        """Per source: documents, tokens available, tokens asked, implied epochs, warnings. No training."""
        from corpus.core.sql import format_table
        from mixtures.build import plan

        m = _load_mixture(mixture)
        with _user_errors():
            rows = plan(m, tokens or None)
        if as_json:
            typer.echo(json.dumps(rows, indent=2))
            return
        typer.echo(
            format_table(
                ["source", "weight", "docs", "available", "asked", "epochs", "granted"],
                [
                    (
                        r["source"],
                        f"{r['weight']:.3f}",
                        r["docs"],
                        r["available"],
                        r["asked"],
                        f"{r['epochs']:.2f}",
                        r["granted"],
                    )
                    for r in rows
                ],
            )
        )
        for r in rows:
            if r["warning"]:
                typer.echo(f"warning: {r['source']}: {r['warning']}", err=True)

    @mix.command("build")
    def build_cmd(
        mixture: str = typer.Argument(..., help="mixture YAML"),
        output: str = typer.Option(..., "-o", "--output", help="shard directory (what `corpus train` reads)"),
        seed: Optional[int] = typer.Option(None, "--seed", help="sampling seed (default: the file's seed)"),
        tokens: int = typer.Option(0, "--tokens", help="budget (default: the file's total_tokens)"),
        as_json: bool = _JSON,
    ):
        """Sample and pack the mixture into token shards with a manifest; same mixture + seed, same bytes."""
        from dataclasses import replace

        from mixtures.build import build

        m = _load_mixture(mixture)
        if seed is not None:
            m = replace(m, seed=seed)
        with _user_errors(), _interruptible():
            manifest = build(m, output, tokens or None)
        for name, s in manifest["sources"].items():
            if s["warning"]:
                typer.echo(f"warning: {name}: {s['warning']}", err=True)
        _say(as_json, {n: s["realised"] for n, s in manifest["sources"].items()}, _mix_lines(output, manifest))

    @mix.command("search")
    def search_cmd(
        space: str = typer.Argument(..., help="mixture YAML with a search: section"),
        output: str = typer.Option(..., "-o", "--output", help="runs directory (runs.parquet, proposal.json)"),
        as_json: bool = typer.Option(False, "--json", help="the figures as JSON instead of the verdict"),
    ):
        """Proxy runs over mixtures, a regression over them, the proposal trained against uniform weights
        and the best sampled mixture; prints whether it won.

        Resumable, and growable: run again with more runs, more seeds or another fit and finished runs are
        not redone."""
        from mixtures.search import run_search
        from mixtures.verdict import verdict

        m = _load_mixture(space)
        with _user_errors(), _interruptible():
            result = run_search(m, output)
        typer.echo(json.dumps(result, indent=2) if as_json else "\n".join(verdict(result)))

    @mix.command("report")
    def report_cmd(
        runs: str = typer.Argument(..., help="runs directory of `corpus mix search`"),
        output: Optional[str] = typer.Option(None, "-o", "--output", help="HTML file (default RUNS/report.html)"),
    ):
        """An HTML page (its charting script beside it, nothing fetched): the verdict, predicted vs actual,
        metric against each weight, proposal vs uniform vs the best sampled mixture. Prints the verdict and the
        page's path."""
        from mixtures.report import search_summary, write_report
        from mixtures.verdict import verdict

        with _user_errors():
            path = write_report(runs, output)
            s = search_summary(runs)
        if s:
            typer.echo("\n".join(verdict(s)))
        typer.echo(path)

    @mix.command("export")
    def export_cmd(
        runs: str = typer.Argument(..., help="runs directory"),
        output: str = typer.Option(..., "-o", "--output", help="directory for ratios.csv and metrics.csv"),
    ):
        """Runs as Olmix-style ratios.csv (mixture weights) and metrics.csv (every metric), keyed by run."""
        from mixtures.olmix import export_runs

        with _user_errors():
            typer.echo(json.dumps(export_runs(runs, output)))

    @mix.command("import")
    def import_cmd(
        source: str = typer.Argument(..., help="directory with ratios.csv and metrics.csv"),
        output: str = typer.Option(..., "-o", "--output", help="runs directory to write runs.jsonl/parquet into"),
    ):
        """Runs from Olmix-style CSVs into a runs table (fit and report them like our own)."""
        from mixtures.olmix import import_runs

        with _user_errors():
            typer.echo(json.dumps(import_runs(source, output)))
