"""`corpus train`, `corpus train upscale`, `corpus eval`; `export_checkpoint` for `corpus export` (corpus.cli),
which exports a checkpoint or a build's documents."""

from __future__ import annotations

import json
import os
from typing import Optional

import typer

from corpus.core.clierrors import fail
from corpus.core.configlib import ConfigError


def resolve_checkpoint(path: str) -> str:
    """A checkpoint directory, or a run directory (its latest checkpoint)."""
    from train import checkpoint

    if os.path.exists(os.path.join(path, checkpoint.STATE_FILE)):
        return path
    found = checkpoint.latest(path) if os.path.isdir(path) else None
    if not found:
        fail(f"{path} is neither a checkpoint nor a run directory with checkpoints")
    return found


def _load(path: str):
    from train import checkpoint

    ckpt = resolve_checkpoint(path)
    state = checkpoint.load_state(ckpt)
    model = checkpoint.load_model(ckpt)
    return ckpt, model, state.get("tokenizer")


def _mc_spec(spec: str) -> tuple[str, str]:
    """'zh:DIR' -> ('zh', DIR); 'DIR' -> ('en', DIR)."""
    lang, _, root = spec.rpartition(":") if ":" in spec else ("en", "", spec)
    return lang or "en", root


def _set_pairs(pairs: list[str]) -> dict:
    """--set optim.lr=3e-4 --set max_steps=100 -> nested mapping (values parsed as YAML scalars)."""
    from corpus.core.configlib import merge, nested, parse_assignment

    out: dict = {}
    for pair in pairs:
        out = merge(out, nested(*parse_assignment(pair)))
    return out


def eval_summary(result: dict) -> str:
    """One row per validation source and per multiple-choice task; subjects stay in the JSON. `n` says what
    it counts (tokens of a validation source, questions of a task); `chance` is the accuracy of guessing."""
    from corpus.core.sql import format_table

    rows = [
        (f"val {src}", f"{r['tokens']:,} tokens", "loss / bpb", f"{r['loss']:.3f} / {r['bpb']:.3f}", "")
        for src, r in result.get("val", {}).items()
    ]
    rows += [
        (
            name,
            f"{r['n']:,} questions",
            "acc / acc_norm",
            f"{r['acc']:.3f} / {r['acc_norm']:.3f}",
            f"{r['chance']:.3f}" if "chance" in r else "",
        )
        for name, r in result.items()
        if isinstance(r, dict) and "acc" in r
    ]
    return format_table(["task", "n", "metric", "value", "chance"], rows, footer=False)


def register(app: typer.Typer) -> None:
    train_app = typer.Typer(help="Train a proxy model; `upscale` deepens a checkpoint.")
    app.add_typer(train_app, name="train")

    @train_app.callback(invoke_without_command=True)
    def train_cmd(
        ctx: typer.Context,
        config: Optional[str] = typer.Option(None, "-c", "--config", help="run YAML (data, out_dir, model, ...)"),
        set_: list[str] = typer.Option([], "--set", help="override a config key: --set optim.lr=3e-4"),
    ):
        """Train (or resume) the run described by a YAML config; works unchanged under `accelerate launch`."""
        if ctx.invoked_subcommand is not None:
            return
        if not config:
            raise typer.BadParameter("pass -c train.yaml")
        from train.config import load_train_config
        from train.loop import train

        try:
            cfg = load_train_config(config, overrides=_set_pairs(set_))
        except ConfigError as e:
            fail(str(e))
        last = train(cfg)
        if last.get("already_done"):
            typer.echo(
                f"{cfg.out_dir} is already at step {last['step']} (max_steps {cfg.max_steps}): nothing to "
                f"train. To continue, raise max_steps: --set max_steps={2 * last['step']} (or in "
                f"{config}); the run resumes from its last checkpoint."
            )
            return
        typer.echo(json.dumps(last))

    @train_app.command("upscale")
    def upscale_cmd(
        checkpoint_path: str = typer.Argument(..., help="checkpoint or run directory"),
        output: str = typer.Option(..., "-o", "--output", help="new checkpoint directory (use as init_from)"),
        start: int = typer.Option(..., "--start", help="first layer to duplicate"),
        end: int = typer.Option(..., "--end", help="one past the last layer to duplicate"),
        data: str = typer.Option(..., "--data", help="token shards; their validation split measures the change"),
        seq_len: int = typer.Option(256, "--seq-len"),
        batches: int = typer.Option(8, "--batches"),
    ):
        """Duplicate layers [start, end); report per-layer input/output cosine and the loss before and after."""
        from train.surgery import upscale_report

        ckpt, model, tokenizer = _load(checkpoint_path)
        report = upscale_report(model, start, end, data, seq_len, batches, output, tokenizer)
        typer.echo(json.dumps(report, indent=2))

    @app.command("eval")
    def eval_cmd(
        checkpoint_path: str = typer.Argument(..., help="checkpoint or run directory"),
        data: Optional[str] = typer.Option(None, "--data", help="token shards: per-source validation loss / bpb"),
        mc: list[str] = typer.Option(
            [],
            "--mc",
            help="multiple-choice task dir (with test/, dev/), optionally LANG:DIR, e.g. zh:../shared/data/eval/cmmlu",
        ),
        shots: int = typer.Option(5, "--shots"),
        mode: str = typer.Option("cloze", "--mode", help="cloze: score option texts; letter: score ' A'..' D'"),
        sample: int = typer.Option(0, "--sample", help="questions sampled per subject (0: all)"),
        seq_len: int = typer.Option(0, "--seq-len", help="window for validation loss (0: model max)"),
        tokenizer: Optional[str] = typer.Option(None, "--tokenizer"),
        output: Optional[str] = typer.Option(
            None, "-o", "--output", help="JSON file for every result (default CHECKPOINT/eval.json)"
        ),
        as_json: bool = typer.Option(False, "--json", help="print the JSON instead of the summary table"),
    ):
        """Evaluate a checkpoint: validation loss and bits per byte per source, multiple-choice accuracy.

        Progress per task on stderr, a summary table on stdout, every number in the JSON file."""
        from corpus.core.progress import counted
        from tokens.tokenizer import load as load_tokenizer
        from train.evaluate import eval_mc_task, mc_test_files, mc_tests, source_losses, val_sources

        tasks = [_mc_spec(spec) for spec in mc]
        for _, root in tasks:
            if not mc_tests(root):
                fail(f"--mc {root}: not a multiple-choice task directory (expected {root}/test/*.csv)")
        ckpt, model, tok = _load(checkpoint_path)
        result: dict = {"checkpoint": ckpt}
        if data:
            with counted("validation", len(val_sources(data)), "sources") as advance:
                result["val"] = source_losses(model, data, seq_len or model.cfg.max_seq_len, on_source=advance)
        if mc:
            sp = load_tokenizer(tokenizer or tok)
            for lang, root in tasks:
                name = os.path.basename(os.path.normpath(root))
                with counted(name, len(mc_test_files(root)), "subjects") as advance:
                    result[name] = eval_mc_task(
                        model, sp, root, shots=shots, mode=mode, lang=lang or "en", sample=sample, on_subject=advance
                    )
        path = output or os.path.join(ckpt, "eval.json")
        with open(path, "w") as f:
            json.dump(result, f, indent=2, ensure_ascii=False)
        if as_json:
            typer.echo(json.dumps(result, indent=2, ensure_ascii=False))
            return
        typer.echo(eval_summary(result))
        typer.echo(f"results: {path}")


def export_checkpoint(checkpoint_path: str, output: str) -> None:
    """Export to the Hugging Face Llama layout (config.json + model.safetensors + tokenizer.model). `corpus
    export` calls this for a checkpoint or run directory (and exports a build's documents otherwise)."""
    from train.export import export_hf

    _, model, tok = _load(checkpoint_path)
    typer.echo(export_hf(model, output, tok if tok and os.path.exists(tok) else None))


def is_checkpoint_or_run(path: str) -> bool:
    from train import checkpoint

    return os.path.exists(os.path.join(path, checkpoint.STATE_FILE)) or bool(
        os.path.isdir(path) and checkpoint.latest(path)
    )
