"""Native Chinese segmentation (rjieba, a binding of jieba-rs) against jieba, on all Chinese text of the
shared data: are the heuristic filters' decisions the same whichever segments the words?

Both segment the way filters/units.py does: dictionary only (jieba `lcut(text, HMM=False)`, rjieba
`cut(text, hmm=False)`), whitespace tokens dropped. Texts:

- the Chinese documents of one default build (one worker) of DATA/warc/zh-news-00.warc.gz and of a WARC
  of the HTML pages of DATA/html/zh-more (evalsets.retention_inputs `html_pages`): every kept row and
  every row dropped from page_type on, their text as stored (as benchmarks/stage_profile.py takes them);
- the Chinese reference sets of the retention benchmark (DATA/reference/zh-*, DATA/extra/reference/zh),
  both halves (evaluated and calibration rows), and the SIGHAN 2005 PKU/MSR test sentences and the
  Traditional DRCD contexts of DATA/extra/reference/zh/derived, one document per line or article.

Per document: whether the token lists differ; whether any heuristic signal differs (every family of
filters/heuristics/families.py, computed on units carrying each segmenter's words); whether any rule of
the default thresholds (filters/data/heuristics.yaml, zh) decides differently. Then the CPU seconds of
segmenting all texts with each (one process, the two alternated, best of 3) and their ratio, and of
every heuristic family (words included) on the build's Chinese documents with each.

    python -m benchmarks.zh_segmentation_check [--data ../shared/data] [--out DIR] [--reuse]

Records the claim zh_segmentation (documents whose decisions differ; target 0).
"""

from __future__ import annotations

import argparse
import gzip
import os
import shutil
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
os.environ.setdefault("LOGURU_LEVEL", "WARNING")

from benchmarks.results import add_data_arg, record, scratch  # noqa: E402

ZH = "zh"
EXTRA_LINES = {  # extra Chinese text of the shared data that no retention set reads, one document per line
    "sighan2005-pku-msr": "extra/reference/zh/derived/sighan2005_pku_msr_test_sentences.txt.gz",
    "drcd-zh-hant": "extra/reference/zh/derived/drcd_dev_test_contexts.zh-hant.txt.gz",
}


def jieba_words(text: str) -> list[str]:
    import jieba

    return [w for w in jieba.lcut(text, HMM=False) if not w.isspace()]


def rjieba_words(text: str) -> list[str]:
    import rjieba

    return [w for w in rjieba.cut(text, hmm=False) if not w.isspace()]


def build_docs(data: Path, work: Path, reuse: bool) -> dict[str, list[str]]:
    """{"build-zh-news" / "build-zh-more": texts} of the Chinese rows that reached the heuristics."""
    from corpus import build as build_mod
    from corpus.config import load_config
    from corpus.core import vocab
    from corpus.core.sql import connect
    from evalsets.retention_inputs import html_pages, write_warc

    out = work / "out"
    if not (reuse and out.exists()):
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        pages = [page for _, items in sorted(html_pages(data).items()) for page in items]
        write_warc(work / "zh-more.warc.gz", pages)
        inputs = [str(data / "warc" / "zh-news-00.warc.gz"), str(work / "zh-more.warc.gz")]
        cfg = load_config(None, inputs=inputs, output=str(out), executor={"workers": 1})
        res = build_mod.build(cfg)
        assert res.exit_code == 0, res
    early = (vocab.READ, vocab.CONTENT, vocab.EXTRACT, vocab.URL_FILTER, vocab.LANG_ID)
    rows = (
        connect(str(out))
        .execute(
            "select url, text from docs where lang = 'zh' and (fate = 'kept' or (fate = 'dropped' and stage not in "
            f"({', '.join(repr(s) for s in early)})))"
        )
        .fetchall()
    )
    docs: dict[str, list[str]] = {"build-zh-news": [], "build-zh-more": []}
    for url, text in sorted(rows):
        more = url.startswith(("https://gne.example/", "https://gerapy.example/"))
        docs["build-zh-more" if more else "build-zh-news"].append(text or "")
    return docs


def reference_sets(data: Path) -> dict[str, list[str]]:
    from evalsets.retention_inputs import REFERENCE, reference_docs

    zh = [name for name, (lang, _, _) in REFERENCE.items() if lang == ZH]
    docs = {name: reference_docs(data, name, 0) + reference_docs(data, name, 1) for name in zh}
    for name, rel in EXTRA_LINES.items():
        with gzip.open(data / rel, "rt", encoding="utf-8") as f:
            docs[name] = [ln.strip() for ln in f if ln.strip()]
    return docs


def signals_and_decisions(text: str, words: list[str], params: dict, rules: list) -> tuple[dict, dict]:
    """Every family's signals on units carrying `words`, and each default rule's verdict (True: drops)."""
    from filters.heuristics.families import FAMILIES
    from filters.units import Units

    u = Units(text, ZH)
    u.__dict__["words"] = words  # the cached_property's slot: these words, whichever segmenter made them
    sig = {}
    for fn in FAMILIES.values():
        sig.update(fn(u, params))
    return sig, {(r.key, r.reason): r.fires(sig.get(r.key)) for r in rules}


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (a != a and b != b)  # NaN == NaN here
    return a == b


def compare(sets: dict[str, list[str]]) -> tuple[dict, list]:
    from filters.config import HeuristicsConfig
    from filters.heuristics.families import FAMILIES
    from filters.heuristics.params import default_rules, lang_params

    hc = HeuristicsConfig()
    params = lang_params(hc, ZH)
    rules = [r for stage in FAMILIES for r in default_rules(hc, stage)[ZH]]
    per_set, examples = {}, []
    for name, texts in sets.items():
        n_tok = n_sig = n_dec = dropped_j = dropped_r = 0
        for text in texts:
            a, b = jieba_words(text), rjieba_words(text)
            if a == b:  # equal words: equal signals and decisions (the families are deterministic)
                _, dec = signals_and_decisions(text, a, params, rules)
                dropped_j += any(dec.values())
                dropped_r += any(dec.values())
                continue
            n_tok += 1
            sa, da = signals_and_decisions(text, a, params, rules)
            sb, db = signals_and_decisions(text, b, params, rules)
            changed = [k for k in sa if not _same(sa[k], sb.get(k))]
            flipped = [k for k in da if da[k] != db[k]]
            n_sig += bool(changed)
            n_dec += bool(flipped)
            dropped_j += any(da.values())
            dropped_r += any(db.values())
            if len(examples) < 20:
                i = next(i for i, (x, y) in enumerate(zip(a + [None], b + [None])) if x != y)
                examples.append(
                    {"set": name, "jieba": a[max(i - 2, 0) : i + 4], "rjieba": b[max(i - 2, 0) : i + 4]}
                    | {"signals": changed, "rules": [f"{k}:{r}" for k, r in flipped]}
                )
        per_set[name] = {
            "docs": len(texts),
            "chars": sum(map(len, texts)),
            "tokens_differ": n_tok,
            "signals_differ": n_sig,
            "decisions_differ": n_dec,
            "dropped_jieba": dropped_j,
            "dropped_rjieba": dropped_r,
        }
        print(f"{name:22} {per_set[name]}", flush=True)
    return per_set, examples


STARTUP = {
    "jieba": "import jieba; jieba.setLogLevel(60); jieba.initialize()",
    "rjieba": "import rjieba; rjieba.cut('预热')",
}


def _startup(code: str) -> float:
    """CPU seconds of `code` in a fresh interpreter, beyond the interpreter's own start."""
    probe = "import time; t = time.process_time(); {}; print(time.process_time() - t)"
    out = subprocess.run([sys.executable, "-c", probe.format(code)], capture_output=True, text=True, check=True)
    return round(float(out.stdout.split()[-1]), 3)


def heuristics_timing(texts: list[str], repeats: int) -> dict:
    """CPU seconds of every heuristic family, words included, on the build's Chinese documents with each
    segmenter (alternated, best of `repeats`): what the switch saves of the heuristic stages."""
    from filters.config import HeuristicsConfig
    from filters.heuristics.families import FAMILIES
    from filters.heuristics.params import lang_params
    from filters.units import Units

    params = lang_params(HeuristicsConfig(), ZH)
    best = {"jieba": float("inf"), "rjieba": float("inf")}
    for _ in range(repeats):
        for name, cut in (("jieba", jieba_words), ("rjieba", rjieba_words)):
            t0 = time.process_time()
            for t in texts:
                u = Units(t, ZH)
                u.__dict__["words"] = cut(t)
                for fn in FAMILIES.values():
                    fn(u, params)
            best[name] = min(best[name], time.process_time() - t0)
    return {
        "heuristics_jieba_cpu_s": round(best["jieba"], 3),
        "heuristics_rjieba_cpu_s": round(best["rjieba"], 3),
        "heuristics_speedup": round(best["jieba"] / best["rjieba"], 2),
    }


def timing(texts: list[str], repeats: int) -> dict:
    """CPU seconds to segment all texts with each, alternated, best of `repeats`; and each one's start-up
    (import and dictionary load) in a fresh process, as a build worker pays it."""
    import jieba
    import rjieba

    jieba.setLogLevel(60)
    jieba.initialize()
    rjieba.cut("预热")
    init = {name: _startup(code) for name, code in STARTUP.items()}
    best = {"jieba": float("inf"), "rjieba": float("inf")}
    for _ in range(repeats):
        for name, fn in (("jieba", jieba_words), ("rjieba", rjieba_words)):
            t0 = time.process_time()
            for t in texts:
                fn(t)
            best[name] = min(best[name], time.process_time() - t0)
    chars = sum(map(len, texts))
    return {
        "jieba_cpu_s": round(best["jieba"], 3),
        "rjieba_cpu_s": round(best["rjieba"], 3),
        "speedup": round(best["jieba"] / best["rjieba"], 2),
        "jieba_us_per_char": round(1e6 * best["jieba"] / chars, 3),
        "rjieba_us_per_char": round(1e6 * best["rjieba"] / chars, 3),
        "jieba_startup_cpu_s": init["jieba"],
        "rjieba_startup_cpu_s": init["rjieba"],
        "repeats": repeats,
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    add_data_arg(ap)
    ap.add_argument("--out", type=Path, default=scratch("zh-segmentation"))
    ap.add_argument("--reuse", action="store_true", help="read the build already in OUT instead of building")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    sets = build_docs(args.data, args.out, args.reuse) | reference_sets(args.data)
    timed = timing([t for texts in sets.values() for t in texts], args.repeats)
    timed |= heuristics_timing(
        [t for name, texts in sets.items() if name.startswith("build-") for t in texts], args.repeats
    )
    per_set, examples = compare(sets)
    total = {k: sum(s[k] for s in per_set.values()) for k in next(iter(per_set.values()))}
    print(f"{'all':22} {total}")
    print(f"CPU seconds, best of {timed['repeats']}: {timed}")
    for ex in examples:
        print("  differs:", ex)
    record(
        "zh_segmentation",
        total["decisions_differ"],
        0,
        "documents whose decisions differ",
        total["decisions_differ"] == 0,
        {
            "docs": total["docs"],
            "chars": total["chars"],
            "tokens_differ": total["tokens_differ"],
            "signals_differ": total["signals_differ"],
            "decisions_differ": total["decisions_differ"],
            "dropped_jieba": total["dropped_jieba"],
            "dropped_rjieba": total["dropped_rjieba"],
            **timed,
            "versions": {"jieba": version("jieba"), "rjieba": version("rjieba")},
            "sets": per_set,
            "examples": examples,
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
