"""End-to-end retention: what a build (the default cascade unless a config says otherwise) keeps of
the good pages of `evalsets.retention_inputs`, what it lets through of the junk, and the floors.

One build over every set at once, as in a real crawl (so dedup sees everything together). Per set:
pages kept, content retention (micro token recall of the gold text inside kept text, a dropped
page counting 0), kept precision (gold tokens / kept tokens), extraction P/R/F1 whatever the fate,
and the (stage, reason) of every good page lost, with examples. A good page that dedup removed
while a duplicate of it was kept counts as kept: its text is in the corpus. `check_floors(summary)`
lists the floors a result breaks (tests/filters/test_retention.py, benchmarks/retention.py).
"""

from __future__ import annotations

import shutil
from collections import defaultdict
from pathlib import Path

from evalsets.labelled import SETS, prf, tokens
from evalsets.retention_inputs import KINDS, NO_FLOOR, REFERENCE, cc_spam_urls, prepare_inputs
from filters.models import ratings

FLOORS = {  # set -> {metric: floor}; "max" metrics are ceilings
    "en-articles": {"kept_share": 0.95, "content_retention": 0.92, "kept_precision": 0.95},
    "zh-news": {"kept_share": 0.90, "content_retention": 0.85, "kept_precision": 0.93},
    "gne-articles": {"kept_share": 0.90},
    "cc-zh-spam": {"dropped_share": 1.0},
    "list-pages": {"dropped": 11},
    **{name: {"max_dropped_share": 0.03} for name in REFERENCE if name not in NO_FLOOR},
    "planted-copies": {"pair_caught_share": 0.95, "max_originals_lost": 0},
}


def run_build(
    inputs: list[str],
    out: Path,
    config: str | None,
    models_dir: str | None,
    workers: int,
    overrides: dict | None = None,
):
    """The build, with `config` (None: the default) and config `overrides` (e.g. {"extract": {"mode": "fast"}})."""
    from corpus.build import build
    from corpus.config import load_config

    shutil.rmtree(out, ignore_errors=True)
    overrides = {**(overrides or {}), "inputs": inputs, "output": str(out), "executor": {"workers": workers}}
    if models_dir:
        overrides["scorers"] = {"models_dir": models_dir}
    cfg = load_config(config, **overrides)
    res = build(cfg)
    assert res.exit_code == 0, f"build failed: {res.shards}"
    return cfg


def fates(out: Path) -> dict[str, dict]:
    """url -> {fate, stage, reason, lang, text (the text at the end, '' before extraction), dup_of_kept,
    extractor}."""
    from corpus.core import vocab
    from corpus.core.sql import connect

    con = connect(str(out))
    # a near-duplicate whose cluster kept a member, or an exact copy: its text is in the corpus
    rows = con.execute(f"""select url, fate, stage, reason, lang, text, {vocab.EXTRACTOR},
                                  stage = '{vocab.DEDUP_EXACT}' or (stage = '{vocab.DEDUP_MINHASH}' and
                                  {vocab.DEDUP_CLUSTER_ID} in (select {vocab.DEDUP_CLUSTER_ID} from kept))
                           from docs""").fetchall()
    before_extract = (vocab.READ, vocab.CONTENT, vocab.EXTRACT)
    res = {}
    for url, fate, stage, reason, lang, text, extractor, dup_of_kept in rows:
        extracted = fate == "kept" or (fate == "dropped" and stage not in before_extract)
        res[url] = {
            "fate": fate,
            "stage": stage or "",
            "reason": reason or "",
            "lang": lang,
            "text": (text or "") if extracted else "",
            "dup_of_kept": bool(dup_of_kept),
            "extractor": extractor,
        }
    return res


def _snippet(text: str, n: int = 70) -> str:
    return " ".join(text.split())[:n]


def score_gold(pages: dict[str, dict], res: dict[str, dict], copies: dict[str, str]) -> dict:
    """`copies`: original url -> planted copy url. An original that dedup dropped for its kept
    copy is scored by the copy: its text is in the corpus."""
    kept = ov_kept = tok_kept = ngold = 0
    ex = [0, 0, 0]
    for url, page in pages.items():
        r = res[url]
        copy = res.get(copies.get(url, ""))
        if r["stage"].startswith("dedup_") and copy and copy["fate"] == "kept":
            r = copy
        gold = tokens(page["text"])
        got = tokens(r["text"])
        _, _, _, ov, npred, ng = prf(got, gold)
        ex = [ex[0] + ov, ex[1] + npred, ex[2] + ng]
        ngold += ng
        if r["fate"] == "kept":
            kept += 1
            ov_kept += ov
            tok_kept += npred
    p, rc = ex[0] / max(ex[1], 1), ex[0] / max(ex[2], 1)
    return {
        "pages": len(pages),
        "kept": kept,
        "kept_share": kept / len(pages),
        "content_retention": ov_kept / max(ngold, 1),
        "kept_precision": ov_kept / max(tok_kept, 1),
        "extract_p": p,
        "extract_r": rc,
        "extract_f1": 2 * p * rc / (p + rc) if p + rc else 0.0,
    }


def score_planted(planted: list[tuple[str, bytes, str]], en_gold: dict, res: dict, stages: tuple[str, ...]) -> dict:
    """A pair is reachable when both copies got to the first dedup stage; caught when a dedup
    stage dropped one of them. Originals without a copy must not be dropped by dedup."""
    dedup = [s for s in stages if s.startswith("dedup_")]
    before = set(stages[: stages.index(dedup[0])]) if dedup else set(stages)
    before |= {"read", "content", "extract"}

    def reached(r):
        return not (r["fate"] in ("dropped", "failed") and r["stage"] in before)

    reachable = caught = both = 0
    for copy_url, _, orig_url in planted:
        a, b = res[orig_url], res[copy_url]
        if not (reached(a) and reached(b)):
            continue
        reachable += 1
        lost = [r["fate"] == "dropped" and r["stage"] in dedup for r in (a, b)]
        caught += any(lost)
        both += all(lost)
    originals = {o for _, _, o in planted}
    lone_lost = [u for u in en_gold if u not in originals and res[u]["fate"] == "dropped" and res[u]["stage"] in dedup]
    return {
        "pairs": len(planted),
        "reachable": reachable,
        "caught": caught,
        "both_lost": both,
        "pair_caught_share": caught / reachable if reachable else 0.0,
        "originals_lost": len(lone_lost),
        "originals_lost_examples": lone_lost[:3],
    }


def evaluate(inputs_info: dict, set_of: dict[str, str], res: dict, stages: tuple[str, ...]) -> dict:
    members = defaultdict(list)
    for url, name in set_of.items():
        members[name].append(url)
    missing = [u for u in set_of if u not in res]
    assert not missing, f"{len(missing)} pages not found in the build (e.g. {missing[:2]})"
    gold = inputs_info["gold"]
    summary: dict[str, dict] = {}
    copies = {orig: copy for copy, _, orig in inputs_info["planted"]}
    for lang in SETS:
        summary[SETS[lang]] = score_gold(gold[lang], res, copies)
    for name, urls in members.items():
        kind = KINDS[name]
        if kind in ("gold", "planted", "other"):
            continue
        n_kept = sum(res[u]["fate"] == "kept" or (kind != "junk" and res[u]["dup_of_kept"]) for u in urls)
        # (n - kept) / n, not 1 - kept / n: 18 of 600 must read 0.03 exactly against a 3% ceiling
        dropped_share = (len(urls) - n_kept) / len(urls)
        summary[name] = {
            "pages": len(urls),
            "kept": n_kept,
            "kept_share": n_kept / len(urls),
            "dropped": len(urls) - n_kept,
            "dropped_share": dropped_share,
            "max_dropped_share": dropped_share,
            "kept_examples": [u for u in urls if res[u]["fate"] == "kept"][:5] if kind == "junk" else [],
        }
    for name, bands in kept_by_rating(set_of, res, inputs_info.get("rated", {})).items():
        summary[name]["by_rating"] = bands
    summary["planted-copies"] = score_planted(inputs_info["planted"], gold["en"], res, stages)
    # good pages lost: (set, stage, reason) -> count and examples
    losses: dict[tuple, list] = defaultdict(list)
    for url, name in set_of.items():
        if (
            KINDS[name] in ("gold", "article", "reference")
            and res[url]["fate"] != "kept"
            and not res[url]["dup_of_kept"]
        ):
            r = res[url]
            losses[(name, r["stage"], r["reason"])].append(f"{url}  |{_snippet(r['text'])}")
    summary["_losses"] = {
        " / ".join(k): {"count": len(v), "examples": v[:2]}
        for k, v in sorted(losses.items(), key=lambda kv: (kv[0][0], -len(kv[1])))
    }
    return summary


def kept_by_rating(set_of: dict[str, str], res: dict, rated: dict) -> dict[str, dict]:
    """{good set: {"3-5"|"0-2": {kept, pages}}} over its pages that a rating set rates (`rated`: url ->
    filters.models.ratings.Rated; the rating of the text the page's extractor gave): whether what a set
    loses is what the rubric calls poor."""
    out: dict[str, dict] = {}
    for url, name in set_of.items():
        if KINDS[name] in ("gold", "article") and url in rated:
            rating = rated[url].rating_of(res[url]["extractor"])
            band = out.setdefault(name, {}).setdefault("3-5" if rating >= 3 else "0-2", {"kept": 0, "pages": 0})
            band["pages"] += 1
            band["kept"] += res[url]["fate"] == "kept" or res[url]["dup_of_kept"]
    return out


def check_floors(summary: dict) -> list[str]:
    broken = []
    for name, floors in FLOORS.items():
        s = summary[name]
        for metric, floor in floors.items():
            if metric.startswith("max_"):
                value = s[metric[4:]]
                if value > floor:
                    broken.append(f"{name}: {metric[4:]} {value:.3f} > {floor}")
            elif s[metric] < floor:
                broken.append(f"{name}: {metric} {s[metric]:.3f} < {floor}")
    return broken


def run(
    data: Path,
    work: Path,
    config: str | None = None,
    models_dir: str | None = None,
    workers: int = 2,
    overrides: dict | None = None,
) -> dict:
    """Inputs written under work/inputs, the build in work/out, its summary (`check_floors` reads it)."""
    inputs, set_of, info = prepare_inputs(data, work / "inputs")
    for u in cc_spam_urls(data):
        set_of[u] = "cc-zh-spam"
    cfg = run_build(inputs, work / "out", config, models_dir, workers, overrides)
    res = fates(work / "out")
    info["rated"] = {r.url: r for r in ratings.load(data)}
    summary = evaluate(info, set_of, res, tuple(cfg.stages))
    summary["_config"] = {
        "stages": list(cfg.stages),
        "models_dir": cfg.scorers.models_dir or "(demo models)",
        "extract_mode": cfg.extract.mode,
    }
    return summary


def print_summary(summary: dict) -> None:
    print(f"stages: {' '.join(summary['_config']['stages'])}\nmodels: {summary['_config']['models_dir']}\n")
    print(
        f"{'set':18} {'pages':>5} {'kept':>5} {'kept%':>6} {'content':>7} {'keptP':>6} {'exP':>6} {'exR':>6} {'exF1':>6}"  # noqa: E501
    )
    for name, s in summary.items():
        if name.startswith("_") or name == "planted-copies":
            continue
        row = f"{name:18} {s['pages']:5d} {s['kept']:5d} {100 * s['kept'] / max(s['pages'], 1):5.1f}%"
        if "content_retention" in s:
            row += (
                f" {s['content_retention']:7.3f} {s['kept_precision']:6.3f} {s['extract_p']:6.3f} "
                f"{s['extract_r']:6.3f} {s['extract_f1']:6.3f}"
            )
        if s.get("by_rating"):
            row += "   rated " + ", ".join(f"{b}: {v['kept']}/{v['pages']}" for b, v in sorted(s["by_rating"].items()))
        print(row)
        for u in s.get("kept_examples") or []:
            print(f"{'':20}kept junk: {u}")
    p = summary["planted-copies"]
    print(
        f"\nplanted near-duplicates: {p['pairs']} pairs, {p['reachable']} reach dedup, {p['caught']} lose a copy "
        f"({100 * p['pair_caught_share']:.1f}%), {p['both_lost']} lose both; originals without a copy lost "
        f"to dedup: {p['originals_lost']}"
    )
    print("\ngood pages lost (set / stage / reason: count, examples):")
    for key, v in summary["_losses"].items():
        print(f"  {key}: {v['count']}")
        for e in v["examples"]:
            print(f"      {e}")
    broken = check_floors(summary)
    print("\nfloors: " + ("all met" if not broken else "BROKEN\n  " + "\n  ".join(broken)))
