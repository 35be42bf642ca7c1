"""`corpus models train`: build the learned scorers' models from reference, crawl and labelled text."""

from __future__ import annotations

from typing import Optional

import typer

from corpus.core.clierrors import fail

models_app = typer.Typer(no_args_is_help=True, help="Train the models behind the learned scorers.")
# `corpus models train NAME`: model families of the packages above this one, added by their CLI
# plugin's register(app) (labels.cli adds "topics"); NAME -> fn(data, output, seed, threads, heldout)
OTHER_TRAINERS: dict = {}


@models_app.command("train")
def train(
    what: Optional[str] = typer.Argument(
        None, help="another model family instead (topics: the topic and format models)"
    ),
    data: str = typer.Option(..., "--data", help="folder the sources file's paths are relative to"),
    output: str = typer.Option("models", "-o", "--output", help="models directory to write"),
    crawl: Optional[list[str]] = typer.Option(
        None, "--crawl", help="build output(s) whose kept documents are the crawl sample"
    ),
    rated: Optional[list[str]] = typer.Option(
        None,
        "--rated",
        help="build output(s) holding rated pages: the "
        "train split's pages set the cutoffs (filters/data/ratings/README.md)",
    ),
    sources: Optional[str] = typer.Option(
        None, "--sources", help="sources YAML (default filters/data/train_sources.yaml)"
    ),
    langs: str = typer.Option("en,zh", "--langs"),
    kinds: str = typer.Option("kenlm,quality,coherence,safety", "--kinds"),
    seed: int = typer.Option(0, "--seed"),
    threads: int = typer.Option(1, "--threads", help="training threads (fastText is deterministic only with 1)"),
    heldout: float = typer.Option(0.2, "--heldout", help="fraction held out by content hash"),
    sp_vocab: int = typer.Option(8000, "--sp-vocab"),
):
    """Train KenLM, quality, coherence and safety models per language; write manifests with held-out metrics."""
    if what is not None:
        return _train_other(what, data, output, seed, threads, heldout)
    from filters.models.collect import collect
    from filters.models.registry import write_index
    from filters.models.train import TRAINERS, TrainParams, train_all

    kind_list = tuple(k for k in kinds.split(",") if k)
    bad = [k for k in kind_list if k not in TRAINERS]
    if bad:
        fail(f"unknown kinds {bad} (known: {', '.join(TRAINERS)})")
    params = TrainParams(seed=seed, threads=threads, heldout=heldout, sp_vocab=sp_vocab)
    typer.echo("reading training data ...")
    try:
        per_lang = collect(data, tuple(crawl or ()), sources, tuple(langs.split(",")), params, tuple(rated or ()))
    except (OSError, ValueError) as e:  # a sources file naming a missing file or a bad value: nothing written yet
        fail(f"training data ({sources or 'the default sources file'}): {e}")
    entries = train_all(per_lang, output, params, kind_list, log=typer.echo)
    write_index(
        output,
        entries,
        {"data": data, "crawl": list(crawl or ()), "rated": list(rated or ()), "seed": seed, "threads": threads},
    )
    typer.echo(f"models: {output}")


def _train_other(what: str, data: str, output: str, seed: int, threads: int, heldout: float) -> None:
    if what not in OTHER_TRAINERS:
        fail(f"unknown model family {what!r} (known: {', '.join(OTHER_TRAINERS) or 'none'})")
    OTHER_TRAINERS[what](data, output, seed, threads, heldout)
    typer.echo(f"models: {output}")


def register(app: typer.Typer) -> None:
    app.add_typer(models_app, name="models")
