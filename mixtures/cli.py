"""`corpus tokenizer train` and `corpus tokenize`."""

from __future__ import annotations

import json
from typing import Optional

import typer

from corpus.configlib import ConfigError


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def register(app: typer.Typer) -> None:
    tok = typer.Typer(no_args_is_help=True, help="Train the SentencePiece BPE tokenizer.")
    app.add_typer(tok, name="tokenizer")

    @tok.command("train")
    def tokenizer_train(
        inputs: list[str] = typer.Argument(..., help="Parquet (e.g. OUT/kept), JSONL or text files, dirs, globs"),
        output: str = typer.Option(..., "-o", "--output", help="tokenizer directory"),
        vocab_size: int = typer.Option(64000, "--vocab-size"),
        chars: int = typer.Option(20_000_000, "--chars", help="character budget, split evenly over input files"),
        where: str = typer.Option("", "--where", help="DuckDB SQL predicate over Parquet columns"),
        coverage: float = typer.Option(0.9999, "--coverage", help="character coverage; the rest falls back to "
                                       "bytes (small vocabularies with Chinese need e.g. 0.995)"),
        threads: int = typer.Option(2, "--threads"),
    ):
        """Train a Yi-style SentencePiece BPE tokenizer (digits split, byte fallback, no normalisation)."""
        from mixtures.tokenizer import TokenizerConfig, train_tokenizer

        try:
            cfg = TokenizerConfig(vocab_size=vocab_size, char_budget=chars, character_coverage=coverage,
                                  threads=threads)
        except ConfigError as e:
            _fail(str(e))
        try:
            manifest = train_tokenizer(inputs, output, cfg, where=where)
        except (FileNotFoundError, ValueError) as e:
            _fail(str(e))
        typer.echo(json.dumps({k: manifest[k] for k in ("trained_on", "bytes_per_token", "sha256")}, ensure_ascii=False))

    @app.command("tokenize")
    def tokenize_cmd(
        inputs: list[str] = typer.Argument(..., help="Parquet (e.g. OUT/kept), JSONL or text files, dirs, globs"),
        tokenizer: str = typer.Option(..., "-t", "--tokenizer", help="tokenizer directory or .model file"),
        output: str = typer.Option(..., "-o", "--output", help="shard directory"),
        where: str = typer.Option("", "--where", help="DuckDB SQL predicate selecting documents (Parquet)"),
        source: Optional[str] = typer.Option(None, "--source", help="SQL expression naming a document's source "
                                             "(default: lang for a build's output, else the file name)"),
        val_fraction: float = typer.Option(0.01, "--val-fraction"),
        shard_tokens: int = typer.Option(50_000_000, "--shard-tokens"),
        workers: int = typer.Option(2, "--workers"),
    ):
        """Tokenise documents into packed uint16/uint32 shards with an index and a hashed validation split."""
        from mixtures.shards import TokenizeConfig, tokenize

        cfg = TokenizeConfig(val_fraction=val_fraction, shard_tokens=shard_tokens, workers=workers)
        try:
            index = tokenize(inputs, tokenizer, output, cfg, where=where, source_expr=source)
        except (FileNotFoundError, ValueError) as e:
            _fail(str(e))
        typer.echo(json.dumps({s: {k: v[k] for k in ("docs", "tokens")} for s, v in index["splits"].items()}))
