"""The learned scorers' held-out metrics, from the manifests of models trained by the documented recipe
(docs/scorers.md): the crawl sample is the shared WARC shards through `stages: [url_filter, lang_id]`,
then `corpus models train --data DATA --crawl SAMPLE` (all kinds, en + zh).

Claims: quality_auc (held-out positives vs every negative role), coherence_auc (held-out originals vs
splices), kenlm_order (median perplexity of held-out reference < unlabelled crawl < spam).

    python -m benchmarks.scorer_models [--data D] [--work DIR]     # trains into DIR/models (reused when there)
    python -m benchmarks.scorer_models --from MODELS                # the manifests of models trained before
"""

from __future__ import annotations

import argparse
import glob
import json
import subprocess
import sys
from pathlib import Path

from benchmarks.results import add_data_arg, record, scratch


def recipe_models(data: Path, work: Path) -> Path:
    """Models of the recipe under work/models, trained unless an index of all of them is there."""
    from filters.models.registry import INDEX

    models = work / "models"
    if (models / INDEX).exists():
        print(f"models: reusing {models}")
        return models
    work.mkdir(parents=True, exist_ok=True)
    sample, config = work / "crawl-sample", work / "crawl-sample.yaml"
    config.write_text("stages: [url_filter, lang_id]\n", encoding="utf-8")
    shards = sorted(glob.glob(str(data / "warc" / "*.warc.gz")))
    cli = [sys.executable, "-m", "corpus.cli"]
    subprocess.run([*cli, "build", *shards, "-c", str(config), "-o", str(sample), "--overwrite"], check=True)
    subprocess.run([*cli, "models", "train", "--data", str(data), "--crawl", str(sample), "-o", str(models)],
                   check=True)
    return models


def cascade_build(data: Path, models: Path, work: Path) -> tuple[str, str]:
    """(build output, its config): the default cascade with these models over the shared WARC shards and the
    CC-MAIN-2020-34 sample, every signal computed for every document (--annotate-all); reused when there."""
    from evalsets.retention_inputs import CC_SPAM

    out, config = work / "cascade", work / "cascade.yaml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(json.dumps({"scorers": {"models_dir": str(models)}}) + "\n", encoding="utf-8")  # JSON is YAML
    if not (out / "manifest.json").exists():
        inputs = [*sorted(glob.glob(str(data / "warc" / "*.warc.gz"))), str(data / CC_SPAM)]
        subprocess.run([sys.executable, "-m", "corpus.cli", "build", *inputs, "-c", str(config), "-o", str(out),
                        "--workers", "2", "--annotate-all", "--overwrite"], check=True)
    return str(out), str(config)


def manifest(models: Path, kind: str, lang: str) -> dict:
    return json.loads((models / kind / lang / "manifest.json").read_text(encoding="utf-8"))["metrics"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_data_arg(ap)
    ap.add_argument("--work", type=Path, default=scratch("scorer-models"))
    ap.add_argument("--from", dest="models", type=Path, default=None, help="a models directory trained before")
    args = ap.parse_args()
    models = args.models or recipe_models(args.data, args.work)
    langs = ("en", "zh")
    quality = {lang: round(manifest(models, "quality", lang)["auc_positives_vs_negatives"], 4) for lang in langs}
    coherence = {lang: round(manifest(models, "coherence", lang)["auc_spliced_vs_original"], 4) for lang in langs}
    ppl = {lang: manifest(models, "kenlm", lang)["median_ppl"] for lang in langs}
    order = {lang: [ppl[lang][k] for k in ("reference_heldout", "crawl", "spam")] for lang in langs}
    for lang in langs:
        print(f"{lang}: quality AUC {quality[lang]:.4f}, coherence AUC {coherence[lang]:.4f}, "
              f"median perplexity reference / crawl / spam {' / '.join(f'{x:.1f}' for x in order[lang])}")
    details = {"models": str(models)}
    record("quality_auc", quality, 0.9, "AUC", all(v >= 0.9 for v in quality.values()), details)
    record("coherence_auc", coherence, 0.85, "AUC", all(v >= 0.85 for v in coherence.values()), details)
    ordered = all(a < b < c for a, b, c in order.values())
    record("kenlm_order", {f"{lang} ref/crawl/spam": " / ".join(f"{x:.0f}" for x in v) for lang, v in order.items()},
           "ordered", "median perplexity", ordered, {**details, "median_ppl": ppl})
    return 0


if __name__ == "__main__":
    sys.exit(main())
