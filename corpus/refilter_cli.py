"""`corpus calibrate` and `corpus refilter`: thresholds proposed from, and re-applied to, a build's stored signals."""

from __future__ import annotations

import json
from typing import Optional

import typer

from corpus.core.clierrors import fail


def register(app: typer.Typer) -> None:
    app.command()(calibrate)
    app.command()(refilter)


def calibrate(
    out: str = typer.Argument(..., help="build output directory (an --annotate-all build sees every signal)"),
    reference: Optional[str] = typer.Option(
        None,
        "--reference",
        "-r",
        help="clean text: JSONL (text, optional lang), "
        "plain text one document a line (.gz too), or a build of it; "
        "thresholds then keep --keep of it",
    ),
    keep: float = typer.Option(0.98, "--keep", help="with --reference: share of each language's reference to keep"),
    per_rule: bool = typer.Option(
        False, "--per-rule", help="with --reference: each bound alone keeps --keep (default: all rules together do)"
    ),
    tighten: bool = typer.Option(
        False,
        "--tighten",
        help="with --reference: bounds may also tighten, to the "
        "reference's range (only for a reference as varied as the crawl)",
    ),
    min_docs: int = typer.Option(
        50, "--min-docs", help="with --reference: fewer reference docs keep the current bound"
    ),
    percentile: float = typer.Option(
        5.0, "--percentile", "-p", help="min bounds at this percentile, max bounds at 100 - it"
    ),
    sample: int = typer.Option(0, "--sample", help="documents sampled (0: all)"),
    seed: int = typer.Option(0, "--seed"),
    output: Optional[str] = typer.Option(None, "-o", "--output", "--write", help="write the YAML fragment here"),
    stats: Optional[str] = typer.Option(
        None, "--stats", help="write the percentile table, or with --reference the proposals, here (JSON)"
    ),
):
    """Thresholds proposed from clean reference text (--reference), or per-language signal
    percentiles and thresholds at a percentile; either as a config fragment."""
    from corpus.refilter import effective_config

    if reference is None and not 0 < percentile < 50:
        fail("--percentile must be within (0, 50)")
    try:
        cfg = effective_config(out)
        if reference is not None:
            table, fragment = _by_reference(out, reference, cfg, keep, per_rule, tighten, min_docs, sample, seed)
        else:
            table, fragment = _by_percentile(out, cfg, percentile, sample, seed)
    except (FileNotFoundError, ValueError) as e:
        fail(str(e))
    if stats:
        with open(stats, "w", encoding="utf-8") as f:
            json.dump(table, f, indent=1, ensure_ascii=False)
    if output:
        with open(output, "w", encoding="utf-8") as f:
            f.write(fragment)
        typer.echo(f"config fragment: {output}", err=True)
    else:
        typer.echo(fragment, nl=False)


def _by_percentile(out, cfg, percentile, sample, seed) -> tuple[dict, str]:
    from corpus.calibrate import calibrate as run
    from corpus.core.sql import format_table

    table, proposals, fragment = run(out, cfg, percentile, sample, seed)
    rows = [(p.lang, p.key, p.bound, p.current, p.proposed, f"{p.removes:.1%}", p.docs) for p in proposals]
    typer.echo(format_table(["lang", "signal", "bound", "now", "proposed", "removes", "docs"], rows), err=True)
    return table, fragment


def _by_reference(out, reference, cfg, keep, per_rule, tighten, min_docs, sample, seed) -> tuple[list, str]:
    from dataclasses import asdict

    from corpus import calibrate_reference as cr

    results, other = cr.calibrate_reference(out, reference, cfg, keep, per_rule, tighten, min_docs, sample, seed)
    if other:
        typer.echo(
            f"{other} reference documents are of no kept language ({', '.join(cfg.lang_id.keep)}): ignored", err=True
        )
    if not results:
        fail(f"no reference document of a kept language in {reference}")
    for r in results:
        typer.echo(cr.table(r) + "\n", err=True)
    return [asdict(r) for r in results], cr.fragment(results)


def refilter(
    out: str = typer.Argument(..., help="build output directory"),
    output: str = typer.Option(..., "-o", "--output", help="new output directory"),
    sets: Optional[list[str]] = typer.Option(None, "--set", help="RULE=VALUE, e.g. en.gopher_word_count.min=80"),
    config: Optional[str] = typer.Option(None, "-c", "--config", help="YAML config fragment (e.g. from calibrate)"),
    overwrite: bool = typer.Option(False, "--overwrite"),
):
    """Re-apply threshold rules to stored signals (no recompute); write kept/dropped/failed + funnel."""
    from corpus.core.configlib import ConfigError
    from corpus.core.funnel import format_funnel
    from corpus.core.remote import is_remote
    from corpus.core.remote_cli import local
    from corpus.refilter import build_manifest, demo_score_warning, effective_config, given_fragments, refilter as run

    if is_remote(output):
        fail(f"-o {output}: refilter writes a local directory (its input may be in object storage)")
    out = local(out)
    try:
        cfg = effective_config(out, config, tuple(sets or ()))
        warning = demo_score_warning(
            given_fragments(config, tuple(sets or ())), build_manifest(out).get("scorer_models") or {}
        )
        if warning:
            typer.echo(f"warning: {warning}", err=True)
        result = run(out, output, cfg, overwrite=overwrite)
    except (ConfigError, FileNotFoundError, FileExistsError, ValueError) as e:
        fail(str(e))
    typer.echo(format_funnel(result.funnel))
    typer.echo(f"refiltered in {result.seconds:.2f}s; output: {result.out}")
