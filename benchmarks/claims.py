"""Every claim BENCHMARKS.md makes: which script records it, with which arguments, about how long it
takes on the project's 2-core VM, and what it needs. `python -m benchmarks` reads this table.

`last` is the figure BENCHMARKS.md gave before the runner existed, with the notes file that has
its run; the generated table shows it (marked as such) until the runner has recorded the claim.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Claim:
    name: str  # the result file: benchmarks/results/<name>.json
    title: str  # what is claimed, as the table's first column says it
    target: str  # as the table shows it
    script: str = ""  # module under benchmarks/ that records the claim ("" when retired)
    args: tuple[str, ...] = ()
    minutes: float = 0  # rough wall minutes on the 2-core VM (2026-12-07, load 3-4 from other jobs); a script
    # that uses the recipe's models counts the 4 minutes of training them (reused from out/bench/recipe after)
    data: bool = True  # reads the shared data folder (the runner passes --data)
    gpu: bool = False
    section: str = ""  # the paragraph's anchor in BENCHMARKS.md
    notes: str = ""  # docs/notes/<file> with the investigation and the earlier runs
    last: str = ""  # the figure before the runner (from `notes`)
    retired: str = ""  # why the claim is no longer measured


def _retention(name: str, title: str, target: str, last: str) -> Claim:
    return Claim(name, title, target, "retention", (), 1, section="retention", notes="retention.md", last=last)


CLAIMS = [
    _retention("retention_good_pages", "default cascade keeps good pages (demo models): en / zh-news / GNE kept",
               ">= 95% / 90% / 90%", "154/161 (95.7%) / 64/69 (92.8%) / 56/62 (90.3%)"),
    _retention("retention_content", "content retention, kept precision: en / zh-news",
               ">= 0.92, 0.95 / 0.85, 0.93", "0.931, 0.972 / 0.913, 0.950"),
    _retention("retention_junk", "junk out: CC-2020-34 zh spam / list pages dropped", "11/11 / >= 11/13",
               "11/11 / 13/13"),
    _retention("retention_reference", "clean reference dropped by the whole cascade (each set)", "<= 3%",
               "at most 2.8% (zh CSLDCP 17/600; en WikiText-2 3/120, XQuAD 1/48)"),
    _retention("retention_planted", "planted near-duplicate pairs losing a copy", ">= 95%", "56/56 (100%)"),
    Claim("retention_real_models", "same floors with real models trained by the recipe", "all floors met",
          "retention", ("--train-models",), 5.5, section="retention-real-models", notes="retention.md",
          last="all met: en 153/161 (95.0%), zh-news 63/69 (91.3%), GNE 56/62 (90.3%), worst reference zh CSLDCP "
               "18/600 (3.0%)"),
    Claim("default_build_speed", "default build wall time vs the code before the retention work (8077793)",
          "within 1.10x", "default_build_speed", ("--baseline-commit", "8077793", "--repeats", "5"), 6,
          section="default-build-speed", notes="retention.md",
          last="0.85x (18.1 vs 21.4 s, load 1-2), 2026-11-30"),
    Claim("extraction_f1", "extraction F1 vs plain `trafilatura.extract`", "not worse", "extraction_f1", (), 0.5,
          section="extraction-f1", notes="extraction.md", last="en 0.960 vs 0.948, zh 0.933 vs 0.828"),
    Claim("build_throughput", "`corpus build` throughput vs plain datatrove pipeline", ">= 0.9x",
          "build_throughput", ("--replicas", "1", "--workers", "1", "2", "--repeats", "2", "--fast-max-links", "30"),
          2, section="build-throughput", notes="build-throughput.md",
          last="quiet machine: 1.27x (1 worker), 1.05x (2 workers) wall; 22.7 vs 17.8 docs/s/core"),
    Claim("build_throughput_2x", "`corpus build` extract + LID + Parquet vs plain datatrove, same shards and cores",
          ">= 2x, quality no worse", "build_throughput",
          ("--replicas", "1", "--workers", "1", "2", "--repeats", "2", "--fast-max-links", "30"), 2,
          section="build-throughput", notes="fast-extraction.md",
          last="not met (blocked): `mode: trafilatura` 1.26x / 1.12x, `mode: fast` 1.29x / 1.26x (1 / 2 workers, "
               "under load); 2x only at `fast_max_links` 30 (2.45x / 2.25x), where F1 drops 0.036 en / 0.032 zh"),
    Claim("fast_mode_quality", "fast mode (threshold 10) vs trafilatura only: extraction F1, retention",
          "no worse", "retention", ("--modes", "trafilatura", "fast"), 1.2, section="fast-mode",
          notes="fast-extraction.md",
          last="F1 en 0.964 vs 0.960, zh 0.933 vs 0.933; kept precision 0.953 vs 0.972 (en), 0.934 vs 0.950 (zh): "
               "worse, so trafilatura stays the default"),
    Claim("stage_profile", "default build, time per stage (share of extraction)", "profiled", "stage_profile", (), 0.5,
          section="stage-profile", notes="fast-extraction.md",
          last="extraction 47%, page-type HTML signals 10%, gopher_quality (incl. jieba units) 7%, coherence 7%, "
               "reading 5%, dedup 9% together"),
    Claim("heuristics_throughput", "heuristic families vs datatrove's 4 filters (MB/s)", ">= 3x",
          "heuristics_throughput", ("--repeat", "3"), 1.5, section="heuristics", notes="heuristics.md",
          last="3.46x overall on a quiet machine (English 7.35x, Chinese 0.52x)"),
    Claim("heuristics_agreement", "decisions equal to datatrove's Gopher/C4/FineWeb filters", "retired",
          section="heuristics", notes="heuristics.md",
          retired="the rules follow their papers where datatrove differs (docs/heuristics.md)"),
    Claim("refilter_speed", "`corpus refilter` vs full rebuild", ">= 20x faster, same kept set", "refilter_speed", (),
          0.7, section="refilter", notes="heuristics.md", last="47.8x, same kept set"),
    Claim("quality_auc", "quality classifier AUC, held-out positives vs negatives", ">= 0.9", "scorer_models", (), 4.5,
          section="scorer-models", notes="scorers.md",
          last="old recipe, AUC vs crawl pages: en 0.972, zh 0.992; current recipe: en 0.9993, zh 0.9981"),
    Claim("coherence_auc", "coherence AUC spliced vs original", ">= 0.85", "scorer_models", (), 4.5,
          section="scorer-models", notes="scorers.md", last="en 0.935 (0.81 without BBC text), zh 0.916"),
    Claim("kenlm_order", "KenLM median perplexity: held-out reference < crawl < spam", "ordered", "scorer_models",
          (), 4.5, section="scorer-models", notes="scorers.md",
          last="en 258 / 479 / 1452, zh 367 / 702 / 1177"),
    Claim("learned_rank_auc", "quality AUC on held-out rated pages, rated >= 3 vs <= 2: all / en / zh",
          ">= 0.85 / 0.8 / 0.8", "learned_filters", (), 5, section="learned-filters", notes="scorers.md"),
    Claim("learned_keep_by_rating", "default cascade, recipe's models: held-out rated pages kept, rated 4-5 / 3 / "
          "0-2, shared and own set", ">= 95% / >= 80% / <= 30%, each set", "learned_filters", (), 5,
          section="learned-filters", notes="scorers.md"),
    Claim("coherence_splices", "what coherence catches: held-out pages rated >= 4 spliced together vs the "
          "originals, AUC of coherence / quality / perplexity", "reported", "learned_filters", (), 5,
          section="learned-filters", notes="scorers.md"),
    Claim("minhash_quality", "MinHash dedup at Jaccard >= 0.8: recall / precision", ">= 0.9 / >= 0.95",
          "dedup_quality", (), 0.3, section="dedup-quality", notes="dedup.md",
          last="en 0.992 / 0.974, zh 0.999 / 0.980"),
    Claim("signature_throughput", "signature throughput vs datatrove / datasketch", ">= 3x / >= 1x",
          "dedup_throughput", (), 0.5, section="signatures", notes="dedup.md", last="26.1x / 3.37x"),
    Claim("dedup_rss", "dedup peak RSS at 15x and 30x the memory budget", "flat", "dedup_scale",
          ("--sizes", "50000,100000", "--per-file", "12500", "--memory-mb", "16"), 4, section="dedup-memory",
          notes="dedup.md", last="workers 106 / 112 MB"),
    Claim("trainer_cpu_throughput", "trainer tokens/s vs plain PyTorch loop (CPU)", ">= 0.9x", "train_throughput",
          ("--steps", "20", "--rounds", "3", "--threads", "1"), 1, data=False, section="trainer-cpu",
          notes="trainer.md", last="1.00-1.07x"),
    Claim("gpu_mfu", "MFU of a ~125M model, bf16, one GPU", ">= 40%", "train_gpu", ("--batch", "32"), 3, data=False,
          gpu=True, section="trainer-gpu", notes="trainer.md",
          last="H200: 41.5% (model), 38.5% (full loop)"),
    Claim("topic_f1", "topic macro-F1, held-out: THUCNews / AG News / BBC", ">= 0.85 / 0.85 / 0.95",
          "topics_quality", (), 0.5, section="topics", notes="topics.md", last="0.851 / 0.875 / 0.955"),
    Claim("ads_spam_f1", "ads/spam F1, held-out: SMS spam / zh game-chat ads", ">= 0.9 / 0.85", "topics_quality",
          (), 0.5, section="topics", notes="topics.md", last="0.963 / 0.924"),
    Claim("labelling_throughput", "topic + format labelling, MB/s per core (BBC articles)", ">= 4",
          "topics_quality", (), 0.5, section="topics", notes="topics.md",
          last="6.75 (BBC articles); 3.48 on headline/chat-length rows"),
    Claim("downsampling", "down-sampling: realised keep rate per label", "within 2 points", "tests_pass",
          ("--claim", "downsampling", "tests/labels/test_sampling.py"), 0.1, data=False, section="downsampling",
          notes="topics.md", last="a test, 5,000 documents per label, passing"),
    Claim("cluster_nmi", "cluster NMI vs topic labels: THUCNews / AG News (static embedder)", ">= 0.45 / 0.55",
          "clusters_quality", (), 1, section="clusters", notes="topics.md", last="0.668 / 0.587"),
    Claim("bilingual_clusters", "mixed zh+en: clusters holding both languages (shared topics)", ">= 80%",
          "clusters_quality", (), 1, section="clusters", notes="topics.md",
          last="95% on topics both languages have (5% without mean subtraction); 65% with zh-only topics"),
    Claim("cluster_assign_speed", "cluster assignment MB/s per core (static embedder, BBC articles)", ">= 1",
          "clusters_quality", (), 1, section="clusters", notes="topics.md",
          last="4.90 (BBC articles); 2.63 short rows"),
    Claim("cluster_rss", "cluster stage peak RSS at 10x the documents", "flat", "clusters_quality", (), 1,
          section="clusters", notes="topics.md", last="696 / 696 MiB (20k / 200k docs)"),
    Claim("regmix_spearman", "RegMix runs: Spearman on 256 unseen mixtures, Pile-CC loss (LightGBM / linear)",
          ">= 0.95 / reported", "regmix_fit", (), 1, section="regmix", notes="mixtures.md", last="0.990 / 0.902"),
    Claim("regmix_proposal", "RegMix runs: the search's proposal against RegMix's published 1B mixture, L1 "
          "(fitted on 512 / 128 / 64 runs)", "<= 0.2 at 512, predicted no worse / reported", "regmix_fit", (), 1,
          section="regmix-proposal", notes="mixtures.md"),
    Claim("mixture_search_spearman", "mixture search, shared data (6 sources, 30 runs): held-out Spearman of the fit",
          ">= 0.8", "mixture_search", (), 30, section="mixture-search", notes="mixtures.md",
          last="0.817 (mixing law, chosen of 4 by the same cross-validation; sqrt-linear 0.704)"),
    Claim("mixture_vs_uniform", "proposed mixture vs uniform, beyond the 3-seed band", "lower by > band",
          "mixture_search", (), 30, section="mixture-search", notes="mixtures.md",
          last="5.227 vs 5.288: 0.061 lower, band 0.029"),
    Claim("proxy_run_size", "proxy run size", "<= 90 s", "mixture_search", (), 30, section="mixture-search",
          notes="mixtures.md", last="44.3 CPU-s per run; wall mean 51 s, max 96 s under load"),
    Claim("ray_vs_local", "Ray vs local on 16 small files, 2 cores (same rows)", ">= 0.8x", "ray_vs_local",
          ("--files", "16", "--cores", "2", "--repeats", "3"), 4, section="ray", notes="scale.md",
          last="1.34-1.43x best of 3 (0.91-1.21x for the build that starts the actors; under load)"),
    Claim("growth_rss", "peak RSS per task at 1x / 10x / 50x input", "flat", "growth",
          ("--shards", "zh-news-00", "--factors", "1", "10", "50", "--records-per-file", "35"), 12, section="growth",
          notes="scale.md", last="272 / 303 / 304 MiB; build process 230 / 252 / 252 MiB"),
    Claim("faults", "SIGKILL (build or worker) in every pipeline, raising task, full disk: rerun rows identical",
          "all", "tests_pass", ("--claim", "faults", "tests/corpus/test_faults.py", "tests/train/test_faults.py"), 10,
          data=False, section="faults", notes="scale.md", last="all pass (2 seeds; tokenise and train too)"),
]

BY_NAME = {c.name: c for c in CLAIMS}
assert len(BY_NAME) == len(CLAIMS), "two claims with one name"
