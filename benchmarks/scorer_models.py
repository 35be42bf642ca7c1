"""The recipe's models (docs/scorers.md), the one place every benchmark gets them from, and their held-out
metrics from the manifests.

The recipe: a crawl sample built from shards the retention benchmark (evalsets/retention_inputs.py) does
not read (`TRAIN_SHARDS` through `stages: [url_filter, lang_id, page_type]`), a build of the shards that
hold rated pages (`RATED_SHARDS` and html/zh-more through `stages: [url_filter, lang_id]`: the rated view,
whose train-split pages set the cutoffs), then `corpus models train --data D --crawl SAMPLE --rated VIEW`
(all kinds, en + zh). benchmarks/retention.py --train-models, learned_filters.py, scorers_signals.py and
scorers_throughput.py take their models from `recipe_models`.

Claims: quality_auc (held-out positives vs every negative role), coherence_auc (held-out originals vs
splices), kenlm_order (median perplexity of held-out reference < crawl < held-out spam). The recipe's
crawl sample leaves every rated page out, and every page of those shards is rated, so the manifest has no
crawl median: "crawl" here is every en / zh document the rated view kept, scored by the model.

    python -m benchmarks.scorer_models [--data D] [--work DIR]     # trains into DIR/models (reused when there)
    python -m benchmarks.scorer_models --from MODELS                # the manifests of models trained before
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from benchmarks.results import add_data_arg, record, scratch

RECIPE = scratch("recipe")  # the recipe's builds and models: crawl sample, rated view, models/
# the recipe's crawl sample: shards the retention benchmark (evalsets/retention_inputs.py) does not read
# (resiliparse_clipped_houstonpress is left out: its one record is clipped, a failed row and exit code 1)
TRAIN_SHARDS = (
    "warc/multi-cache-00.warc.gz",
    "warc-real/other_real_crawls/dolma_sample-0000.warc.gz",
    "warc-real/other_real_crawls/dolma_sample-0001.warc.gz",
    "warc-real/other_real_crawls/pywb_iana.warc.gz",
    "warc-real/commoncrawl_real/jwarc_cc_commoncrawl-org.warc.gz",
)
TRAIN_STAGES = "stages: [url_filter, lang_id, page_type]\n"
# every shard that holds a rated page, and the HTML-only pages of html/zh-more written as one WARC
RATED_SHARDS = (
    "warc/en-articles-00.warc.gz",
    "warc/zh-news-00.warc.gz",
    "warc/multi-cache-00.warc.gz",
    "warc-real/other_real_crawls/dolma_sample-0000.warc.gz",
    "warc-real/other_real_crawls/dolma_sample-0001.warc.gz",
    "warc-real/other_real_crawls/pywb_iana.warc.gz",
    "warc-real/commoncrawl_real/resiliparse_CC-MAIN-2020-34_sample.warc.gz",
    "warc-real/commoncrawl_real/jwarc_cc_commoncrawl-org.warc.gz",
)
RATED_STAGES = "stages: [url_filter, lang_id]\n"
ZH_MORE_WARC = "zh-more.warc.gz"
LANGS = ("en", "zh")


def cli(*args: str) -> None:
    subprocess.run(["nice", "-n", "10", sys.executable, "-m", "corpus.cli", *args], check=True)


def build(inputs: list[str], out: Path, config: str, reuse: bool = True) -> Path:
    """`corpus build` of `inputs` with `config` (YAML text) into `out`; with `reuse`, a finished build there is
    taken as it is."""
    if not (reuse and (out / "manifest.json").exists()):
        out.parent.mkdir(parents=True, exist_ok=True)
        cfg = out.with_suffix(".yaml")
        cfg.write_text(config, encoding="utf-8")
        cli("build", *inputs, "-c", str(cfg), "-o", str(out), "--workers", "2", "--overwrite")
    return out


def rated_inputs(data: Path, work: Path = RECIPE) -> list[str]:
    """The shards holding rated pages, and html/zh-more's pages written as one WARC under `work`."""
    from evalsets.retention_inputs import html_pages, write_warc

    warc = work / ZH_MORE_WARC
    if not warc.exists():
        work.mkdir(parents=True, exist_ok=True)
        pages = html_pages(data)
        write_warc(warc, [p for name in sorted(pages) for p in pages[name]])
    return [str(data / s) for s in RATED_SHARDS] + [str(warc)]


def rated_view(data: Path, work: Path = RECIPE, reuse: bool = True) -> Path:
    """The rated pages' shards through [url_filter, lang_id]: the text the pages were rated on."""
    return build(rated_inputs(data, work), work / "rated-view", RATED_STAGES, reuse)


def recipe_models(data: Path, work: Path = RECIPE) -> Path:
    """The documented recipe's models under work/models: trained, with the crawl sample and the rated view
    built first, unless work/models holds models trained from exactly those two builds by the same trainer
    code and sources file (`trainer_digest`, kept beside the models)."""
    from filters.models.registry import INDEX

    models, sample, view = work / "models", work / "train-crawl", work / "rated-view"
    index, stamp = models / INDEX, work / "models.trainer"
    if index.exists() and stamp.exists() and stamp.read_text(encoding="utf-8") == trainer_digest():
        trained = json.loads(index.read_text(encoding="utf-8"))
        if trained.get("crawl") == [str(sample)] and trained.get("rated") == [str(view)]:
            print(f"models: reusing {models} (trained from {sample} and {view})")
            return models
    build([str(data / s) for s in TRAIN_SHARDS], sample, TRAIN_STAGES, reuse=False)
    rated_view(data, work, reuse=False)
    cli("models", "train", "--data", str(data), "--crawl", str(sample), "--rated", str(view), "-o", str(models))
    stamp.write_text(trainer_digest(), encoding="utf-8")
    return models


def trainer_digest() -> str:
    """sha256 over the trainer's code (filters/models/*.py), the default sources file, this repository's
    rating files (they set the cutoffs), and what gives the training builds their text (the extraction code
    and the default extract config): models trained by other code, from other sources, ratings or text
    extracted otherwise are not the recipe's."""
    import hashlib

    from corpus.config import load_config

    root = Path(__file__).resolve().parents[1]
    models = root / "filters" / "models"
    extraction = [root / "corpus" / "core" / f for f in ("extract.py", "_blocks.pyx")]
    h = hashlib.sha256()
    rated = sorted(p for p in (root / "filters" / "data" / "ratings").iterdir() if p.suffix in (".jsonl", ".tsv"))
    for f in [*sorted(models.glob("*.py")), root / "filters" / "data" / "train_sources.yaml", *rated, *extraction]:
        h.update(f.name.encode() + b"\0" + f.read_bytes())
    h.update(repr(load_config(None).extract).encode())
    return h.hexdigest()


def cascade_build(data: Path, models: Path, work: Path) -> tuple[str, str]:
    """(build output, its config): the default cascade with these models over the shared WARC shards and the
    CC-MAIN-2020-34 sample, every signal computed for every document (--annotate-all); reused when a build
    with the same models directory is there."""
    from evalsets.retention_inputs import CC_SPAM

    out, config = work / "cascade", work / "cascade.yaml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(json.dumps({"scorers": {"models_dir": str(models)}}) + "\n", encoding="utf-8")  # JSON is YAML
    done = out / "manifest.json"
    used = json.loads(done.read_text(encoding="utf-8"))["config"]["scorers"]["models_dir"] if done.exists() else None
    if used != str(models):
        inputs = [*sorted(str(p) for p in (data / "warc").glob("*.warc.gz")), str(data / CC_SPAM)]
        cli("build", *inputs, "-c", str(config), "-o", str(out), "--workers", "2", "--annotate-all", "--overwrite")
    return str(out), str(config)


def manifest(models: Path, kind: str, lang: str) -> dict:
    return json.loads((models / kind / lang / "manifest.json").read_text(encoding="utf-8"))["metrics"]


def crawl_perplexity(models: Path, view: Path) -> dict[str, dict]:
    """lang -> {median, docs}: KenLM perplexity of every document the rated view kept in that language."""
    import numpy as np

    from corpus.core.sql import connect
    from filters.models.lm import Perplexity
    from filters.models.registry import model_dir

    con, out = connect(str(view)), {}
    for lang in LANGS:
        texts = [
            t
            for (t,) in con.execute(
                "select text from kept where lang = ? and length(text) > 0 order by id", [lang]
            ).fetchall()
        ]
        ppl = [p for p in Perplexity(str(model_dir(models, "kenlm", lang)))(texts) if p is not None]
        out[lang] = {"median": float(np.median(ppl)) if ppl else None, "docs": len(ppl)}
    return out


def _ppl(x: float | None, digits: int = 0) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def main() -> int:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_data_arg(ap)
    ap.add_argument("--work", type=Path, default=RECIPE, help="the recipe's builds and models")
    ap.add_argument("--from", dest="models", type=Path, default=None, help="a models directory trained before")
    args = ap.parse_args()
    models = args.models or recipe_models(args.data, args.work)
    quality = {lang: round(manifest(models, "quality", lang)["auc_positives_vs_negatives"], 4) for lang in LANGS}
    coherence = {lang: round(manifest(models, "coherence", lang)["auc_spliced_vs_original"], 4) for lang in LANGS}
    ppl = {lang: manifest(models, "kenlm", lang)["median_ppl"] for lang in LANGS}
    crawl = crawl_perplexity(models, rated_view(args.data, args.work))
    order = {lang: [ppl[lang]["reference_heldout"], crawl[lang]["median"], ppl[lang]["spam"]] for lang in LANGS}
    for lang in LANGS:
        print(
            f"{lang}: quality AUC {quality[lang]:.4f}, coherence AUC {coherence[lang]:.4f}, median perplexity "
            f"reference / crawl ({crawl[lang]['docs']} docs) / spam {' / '.join(_ppl(x, 1) for x in order[lang])}"
        )
    details = {"models": str(models)}
    record("quality_auc", quality, 0.9, "AUC", all(v >= 0.9 for v in quality.values()), details)
    record("coherence_auc", coherence, 0.85, "AUC", all(v >= 0.85 for v in coherence.values()), details)
    ordered = all(None not in v and v[0] < v[1] < v[2] for v in order.values())
    record(
        "kenlm_order",
        {f"{lang} ref/crawl/spam": " / ".join(_ppl(x) for x in v) for lang, v in order.items()},
        "ordered",
        "median perplexity",
        ordered,
        {
            **details,
            "median_ppl": ppl,
            "crawl": {"build": "the rated view (RATED_SHARDS, html/zh-more; url_filter, lang_id)", **crawl},
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
