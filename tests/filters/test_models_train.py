import json

import pytest

from filters.models.common import model_checksum, read_manifest, split
from filters.models.demo import DEMO_DIR, DEMO_PARAMS, demo_data
from filters.models.registry import KINDS, model_dir
from filters.models.train import train_all


def test_manifests_record_inputs_params_and_metrics(demo_models):
    for kind in KINDS:
        for lang in ("en", "zh"):
            m = read_manifest(model_dir(demo_models, kind, lang))
            assert m["kind"] == kind and m["lang"] == lang
            assert m["files"] and all(len(f["sha256"]) == 64 and f["bytes"] > 0 for f in m["files"].values())
            assert m["train_seconds"] >= 0 and m["params"]["seed"] == 0
            assert m["metrics"] and m["inputs"]
    cut = read_manifest(model_dir(demo_models, "kenlm", "en"))["bucket_cutoffs"]
    assert cut["head"] > 0 and cut["middle"] is None  # the tail is off: no independent good set (below)


def test_training_twice_gives_the_same_checksums(demo_models, tmp_path):
    train_all(demo_data(), str(tmp_path), DEMO_PARAMS, log=lambda m: None)
    for kind in KINDS:
        for lang in ("en", "zh"):
            assert model_checksum(model_dir(tmp_path, kind, lang)) == model_checksum(model_dir(demo_models, kind, lang))


def test_heldout_split_is_deterministic_and_disjoint():
    texts = [f"document number {i}" for i in range(1000)]
    a_train, a_held = split(texts, 0.2, seed=0)
    b_train, b_held = split(texts, 0.2, seed=0)
    assert (a_train, a_held) == (b_train, b_held)
    assert not set(a_train) & set(a_held) and 120 < len(a_held) < 280
    assert split(texts, 0.2, seed=1)[1] != a_held


def test_index_lists_every_model(demo_models):
    index = json.loads((model_dir(demo_models, "kenlm", "en").parents[1] / "index.json").read_text())
    assert index["demo"] is True
    assert {(m["kind"], m["lang"]) for m in index["models"]} == {(k, lang) for k in KINDS for lang in ("en", "zh")}


def test_crawl_negatives_are_what_the_rules_reject():
    """A crawl document is a quality negative only when a heuristic rule or the safety lists reject
    it; well-formed text stays unlabelled whatever its genre."""
    from filters.models.crawl_labels import rejection_reasons

    docs = [d.strip() for d in (DEMO_DIR / "zh_reference.txt").read_text(encoding="utf-8").split("\n\n") if d.strip()]
    assert rejection_reasons(docs, [""] * len(docs), "zh") == [None] * len(docs)
    junk = ["Home | News | Sports | Login | Register\n" * 12, "free spins casino slots jackpot bonus " * 20]
    assert all(rejection_reasons(junk, ["", ""], "en"))
    assert rejection_reasons([docs[0]], ["http://www.baijiale-online.com/news/1.html"], "zh") == ["unsafe_url"]


def test_cutoffs_are_recorded_with_their_curve_and_rule(demo_models):
    """The demo data has no good set independent of the training positives (no rated pages): every curve
    is recorded, every cutoff is off with its reason, and the terminal says so in one line."""
    from filters.models.train import _report

    for kind, cut_of in (
        ("quality", lambda m: m["cutoffs"]["min_score"]),
        ("coherence", lambda m: m["cutoffs"]["min_score"]),
        ("kenlm", lambda m: m["bucket_cutoffs"]["middle"]),
    ):
        for lang in ("en", "zh"):
            m = read_manifest(model_dir(demo_models, kind, lang))
            t = m["tradeoff"]
            assert cut_of(m) is None and t["cutoff"] is None and t["chosen"] is None and t["curve"]
            assert t["off_reason"] == f"no good set independent of the training positives for {lang}"
            assert t["independent"] == [] and t["positives_bound"] is (kind == "kenlm")
            assert bool(t["information_only"]) is (kind != "kenlm")  # a tail's positives keep floors instead
            assert t["rule"].startswith("remove as much of the crawl sample as possible")
            said = [line for line in _report(kind, lang, m) if "cutoff OFF" in line]
            assert said == [f"  cutoff OFF: {t['off_reason']}; the signal is recorded, nothing is dropped by it"]
    q = read_manifest(model_dir(demo_models, "quality", "en"))["tradeoff"]["curve"]
    assert max(r["poor_removed"]["spam"] for r in q) > 0.5  # the curve still shows what a cutoff would remove


GOOD = {"wiki": [i / 1000 for i in range(400, 1000, 3)], "news": [i / 1000 for i in range(200, 800, 3)]}  # 200 each


def _binomial_losses(n: int, floor: float, confidence: float = 0.9) -> int | None:
    """allowed_losses by direct summation with exact integers: the largest k with P(Binomial(n, 1 - floor) <= k)
    <= 1 - confidence."""
    from fractions import Fraction
    from math import comb

    p = 1 - Fraction(floor).limit_denominator(1000)
    alpha, cdf, k = 1 - Fraction(confidence).limit_denominator(1000), Fraction(0), -1
    while k < n and cdf + comb(n, k + 1) * p ** (k + 1) * (1 - p) ** (n - k - 1) <= alpha:
        cdf += comb(n, k + 1) * p ** (k + 1) * (1 - p) ** (n - k - 1)
        k += 1
    return None if k < 0 else k


@pytest.mark.parametrize("n", [1, 10, 11, 20, 44, 45, 60, 113, 114, 200, 741])
@pytest.mark.parametrize("floor", [0.8, 0.95, 0.98])
def test_a_set_may_lose_what_a_one_sided_binomial_test_allows(n, floor):
    from filters.models.tradeoff import allowed_losses

    assert allowed_losses(n, floor) == _binomial_losses(n, floor)


def test_rule_picks_the_farthest_cutoff_every_good_set_allows():
    """min: removed below the cutoff. 'news' is the loosest set: 200 documents may lose 5 at 95% with 90%
    confidence (P(Binomial(200, 0.05) <= 5) = 0.06, <= 6: 0.13), so the cutoff is its 6th lowest score."""
    from filters.models.tradeoff import KeepRule, choose, point

    cut, binding = choose(GOOD, "min", KeepRule(0.95))
    assert (cut, binding) == (0.215, "news")
    p = point(cut, [i / 10 for i in range(10)], GOOD, {"spam": [0.05, 0.1, 0.5]}, "min")
    assert p["good_kept"] == {"wiki": 1.0, "news": 0.975} and p["crawl_removed"] == 0.3
    assert p["poor_removed"] == {"spam": round(2 / 3, 4)}


def test_rule_on_the_upper_side_and_with_per_set_floors():
    """max (perplexity): removed above the cutoff. 20 rated-3 pages are too few for a 95% floor (45 needed);
    with their own floor of 80% they may lose one and bind."""
    from filters.models.tradeoff import KeepRule, choose

    ppl = {"ref": list(range(100, 300)), "rated 3 (train)": list(range(290, 310))}
    assert choose(ppl, "max", KeepRule(0.95)) == (294, "ref")  # 200 docs: may lose 5
    assert choose(ppl, "max", KeepRule(0.95, {"rated 3 (train)": 0.8})) == (308, "rated 3 (train)")


@pytest.mark.parametrize(
    "n,floor,ok",
    [(44, 0.95, False), (45, 0.95, True), (113, 0.98, False), (114, 0.98, True), (10, 0.8, False), (11, 0.8, True)],
)
def test_a_set_bounds_only_if_it_may_lose_none_with_confidence(n, floor, ok):
    """floor^n <= 10%: with every document kept, the share kept of text like them is >= floor at 90% confidence."""
    from filters.models.tradeoff import KeepRule, adequate, choose, needed

    assert adequate(n, floor) is ok and (n >= needed(floor)) is ok
    cut, binding = choose({"rated 4-5 (train)": [i / 100 for i in range(n)]}, "min", KeepRule(floor))
    assert (cut, binding) == ((0.0, "rated 4-5 (train)") if ok else (None, None))


def test_small_sets_are_pooled_and_the_pool_is_judged_the_same_way():
    """Sets too small alone are read as one set at the highest floor among them, if that pool is large enough."""
    from filters.models.tradeoff import POOL, KeepRule, choose, pooled

    good = {"wiki": [i / 100 for i in range(40, 100)], "news": [i / 100 for i in range(20, 80)]}  # 60 each
    sets = {**good, "a": [0.01], "b": [0.5, 0.9]}
    assert pooled(sets, KeepRule(0.9)) == ({**good}, {"wiki": 0.9, "news": 0.9})  # 3 docs at 90%: too few
    assert choose(sets, "min", KeepRule(0.6)) == (0.38, "news")  # 60 docs at 60%: may lose 18
    small = {f"s{i}": [i / 100, 0.5] for i in range(25)}  # 25 sets of 2: a pool of 50
    assert choose(small, "min", KeepRule(0.95)) == (0.0, POOL)
    assert choose(small, "min", KeepRule(0.95, {"s0": 0.98})) == (None, None)  # the pool at 98% needs 114
    assert choose({**small, "s0": [0.0] * 50}, "min", KeepRule(0.95))[1] == "s0"  # s0 alone; 48 left: no pool


def test_only_good_sets_independent_of_the_training_positives_bound_the_cutoff():
    """A training source's held-out part scores like its training part: it stays in the curve as
    information, never as a floor. With no adequate independent set the cutoff is off, with the reason."""
    from filters.models.tradeoff import KeepRule, format_table, legend, tradeoff

    crawl, poor = [i / 200 for i in range(200)], {"spam": [0.01, 0.02, 0.3]}
    own = {"reference/zh-csl.txt.gz": [0.99] * 60, "rated 4-5 (train)": GOOD["wiki"]}
    t = tradeoff(crawl, own, poor, "min", KeepRule(0.95), independent=["rated 4-5 (train)"], lang="zh")
    assert (t["cutoff"], t["binding_set"]) == (0.415, "rated 4-5 (train)")  # not 0.99, where the positives sit
    assert t["chosen"]["good_kept"] == {"reference/zh-csl.txt.gz": 1.0, "rated 4-5 (train)": 0.975}
    assert t["information_only"] == ["reference/zh-csl.txt.gz"] and "off_reason" not in t
    assert any("information, no floor" in line for line in legend(t))
    off = tradeoff(crawl, own, poor, "min", KeepRule(0.95), independent=[], lang="zh")
    assert off["cutoff"] is None and off["chosen"] is None and off["binding_set"] is None
    assert off["off_reason"] == "no good set independent of the training positives for zh"
    assert len(off["curve"]) == len(t["curve"]) and not any("<- rule" in line for line in format_table(off))
    few = {**own, "rated 4-5 (train)": own["rated 4-5 (train)"][:30]}  # 30 documents: none may go at 98%
    small = tradeoff(crawl, few, poor, "max", KeepRule(0.98), independent=["rated 4-5 (train)"], lang="en")
    assert small["cutoff"] is None and small["off_reason"] == (
        "no good set independent of the training positives for en large enough: "
        "rated 4-5 (train) n=30 (needs 114 at 98%), pooled too"
    )


def test_a_perplexity_tail_keeps_every_positive_floor_once_an_independent_set_turns_it_on():
    """positives_bound: the held-out part of a training positive never turns a cutoff on, but once an
    independent set has, it keeps its floor too (the tail is far from every kind of good text)."""
    from filters.models.tradeoff import KeepRule, legend, tradeoff

    good = {"news (calibration)": list(range(100, 300)), "reference/zh-csl.txt.gz": list(range(200, 400))}
    args = ([], good, {"spam": [500, 900]}, "max")
    plain = tradeoff(*args, KeepRule(0.95), independent=["news (calibration)"])
    tail = tradeoff(*args, KeepRule(0.95, positives_bound=True), independent=["news (calibration)"])
    assert (plain["cutoff"], plain["binding_set"]) == (294, "news (calibration)")  # csl would lose 48%
    assert (tail["cutoff"], tail["binding_set"]) == (394, "reference/zh-csl.txt.gz")  # 200 docs: may lose 5
    assert tail["chosen"]["good_kept"]["reference/zh-csl.txt.gz"] == 0.975 and tail["information_only"] == []
    assert any("keeps its floor once a cutoff is on" in line for line in legend(tail))
    off = tradeoff(*args, KeepRule(0.95, positives_bound=True), independent=[])
    assert off["cutoff"] is None and off["off_reason"].startswith("no good set independent")


def test_curve_rows_remove_more_crawl_as_the_cutoff_moves_and_print_as_a_table():
    from filters.models.tradeoff import KeepRule, format_table, legend, tradeoff

    crawl = [i / 200 for i in range(200)]
    t = tradeoff(crawl, GOOD, {"listings": [0.01, 0.02, 0.3]}, "min", KeepRule(0.95), independent=list(GOOD))
    removed = [r["crawl_removed"] for r in t["curve"]]
    assert removed == sorted(removed) and removed[0] == 0.0 and 0.45 <= removed[-1] <= 0.55
    assert t["cutoff"] == 0.215 and t["binding_set"] == "news"
    assert t["chosen"]["crawl_removed"] == round(sum(c < 0.215 for c in crawl) / 200, 4) == 0.215
    lines = format_table(t)
    assert any(line.endswith("<- rule") for line in lines) and not any("{" in line for line in lines + legend(t))
    # no crawl sample: the rows step through the poor sets' scores instead
    rows = tradeoff(
        [], GOOD, {"listings": [i / 100 for i in range(100)]}, "min", KeepRule(0.95), independent=list(GOOD)
    )["curve"]
    assert [r["poor_removed"]["listings"] for r in rows] == [round(0.1 * i, 1) for i in range(10)] + [0.99]


def test_models_without_recorded_cutoffs_drop_nothing_by_default(demo_models, tmp_path):
    """A models directory trained before cutoffs were recorded: no quality rule unless min_score is set."""
    import shutil

    from corpus.config import load_config
    from corpus.stages import STAGES

    quality_rules = STAGES["quality"].rules_of

    root = tmp_path / "m"
    shutil.copytree(demo_models, root)
    path = model_dir(root, "quality", "en") / "manifest.json"
    m = json.loads(path.read_text())
    del m["cutoffs"]
    path.write_text(json.dumps(m))
    assert quality_rules(load_config(None, scorers={"models_dir": str(root)}))["en"] == ()
    cfg = load_config(None, scorers={"models_dir": str(root)}, thresholds={"en": {"quality_score": {"min": 0.2}}})
    assert quality_rules(cfg)["en"][0].min == 0.2


def test_what_the_retention_benchmark_reads_is_matched_by_whole_path_components():
    from filters.models.ratings import in_retention

    for src in (
        "html/zh-more",
        "html/zh-more/",
        "/data/shared/html/zh-more/gne_news_pages/tests/163/9.html.gz",
        "warc/zh-news-00.warc.gz",
        "/work/shared/data/warc/en-articles-00.warc.gz",
        "warc-real/commoncrawl_real/resiliparse_CC-MAIN-2020-34_sample.warc.gz",
    ):
        assert in_retention(src), src
    for src in ("html/zh-more-2", "warc/multi-cache-00.warc.gz", "x/zh-news-00.warc.gz", ""):
        assert not in_retention(src), src
    # html/zh-more's pages reach a build through a WARC written elsewhere, under the benchmark's urls
    assert in_retention("/tmp/recipe/zh-more.warc.gz", "https://gne.example/163/9.html")


def _page(title: str, body: str) -> bytes:
    paras = "".join(f"<p>{s}</p>" for s in body.split(". "))
    return (
        f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>{paras}</article></body></html>"
    ).encode()


def test_no_page_of_a_retention_source_reaches_training_or_the_cutoff_rule(tmp_path, monkeypatch):
    """Rated train-split pages on a retention shard are held out whatever their split field says, and
    a crawl build that read a retention shard contributes none of its pages to the crawl sample."""
    from corpus.build import build
    from corpus.config import load_config
    from evalsets.retention_inputs import write_warc
    from filters.models import ratings
    from filters.models.collect import collect
    from filters.models.train import TrainParams

    text = (
        "The harbour town of Kirkwall grew around a red sandstone cathedral built in the twelfth century. "
        "Fishing boats still land their catch at the old pier every morning before the ferries arrive. "
        "Visitors walk the narrow streets to the museum, where the history of the islands is told in "
        "letters, maps and tools that farmers and sailors used for many generations. "
    ) * 3
    data = tmp_path / "data"
    shards = {
        "warc/zh-news-00.warc.gz": "https://news.example/",
        "warc/multi-cache-00.warc.gz": "https://blog.example/",
    }
    for shard, host in shards.items():
        (data / shard).parent.mkdir(parents=True, exist_ok=True)
        town = host.split("//")[1].split(".")[0]  # news, blog: each page's text names its shard and number
        write_warc(
            data / shard,
            [(f"{host}{i}.html", _page(f"{town} {i}", text.replace("Kirkwall", f"{town}{i}xq"))) for i in range(4)],
        )
    own = tmp_path / "ratings.jsonl"
    own.write_text(
        "".join(
            json.dumps({"url": f"{host}{i}.html", "lang": "en", "rating": 4, "split": "train", "source_file": shard})
            + "\n"
            for shard, host in shards.items()
            for i in range(2)
        )
    )
    monkeypatch.setattr(ratings, "OWN", own)
    assert {r.url: r.split for r in ratings.load(None)} == {
        **{f"https://news.example/{i}.html": "heldout" for i in range(2)},
        **{f"https://blog.example/{i}.html": "train" for i in range(2)},
    }
    cfg = load_config(
        None,
        inputs=tuple(str(data / s) for s in shards),
        output=str(tmp_path / "out"),
        stages=["url_filter", "lang_id"],
    )
    assert build(cfg).exit_code == 0
    (data / "ref.txt").write_text("\n".join([text] * 10), encoding="utf-8")
    (tmp_path / "sources.yaml").write_text("reference: {en: [{path: ref.txt}]}\n", encoding="utf-8")
    got = collect(
        str(data),
        (str(tmp_path / "out"),),
        str(tmp_path / "sources.yaml"),
        ("en",),
        TrainParams(),
        (str(tmp_path / "out"),),
    )["en"]
    assert list(got.rated) == ["good"] and sorted(t.split("xq")[0][-5:] for t in got.rated["good"]) == [
        "blog0",
        "blog1",
    ]
    sample = got.crawl + got.crawl_rejected  # the unrated pages of multi-cache; none of zh-news
    assert sorted(t.split("xq")[0][-5:] for t in sample) == ["blog2", "blog3"]
    assert got.inputs["crawl"][0]["left_out"] == 6  # 4 of zh-news, 2 rated pages


@pytest.mark.parametrize("mode, band", [("trafilatura", "good"), ("native", "poor")])
def test_a_rated_page_is_banded_by_the_rating_of_the_text_its_extractor_gave(tmp_path, monkeypatch, mode, band):
    """rerated.jsonl rates again the text the native core gives: a build that extracted the page that way
    sets the cutoff rule's sets with that rating, one that used trafilatura with the first."""
    from corpus.build import build
    from corpus.config import load_config
    from corpus.core.sql import connect
    from evalsets.retention_inputs import write_warc
    from filters.models import ratings
    from filters.models.collect import rated_train_texts

    text = (
        "The harbour town of Kirkwall grew around a red sandstone cathedral built in the twelfth century. "
        "Fishing boats still land their catch at the old pier every morning before the ferries arrive. "
    ) * 4
    url, shard = "https://blog.example/0.html", "warc/multi-cache-00.warc.gz"
    (tmp_path / "warc").mkdir()
    write_warc(tmp_path / shard, [(url, _page("Kirkwall", text))])
    row = {"url": url, "lang": "en", "rating": 4, "split": "train", "source_file": shard}
    (tmp_path / "own.jsonl").write_text(json.dumps(row) + "\n")
    (tmp_path / "again.jsonl").write_text(json.dumps({"url": url, "extractor": "native", "rating": 1}) + "\n")
    monkeypatch.setattr(ratings, "OWN", tmp_path / "own.jsonl")
    monkeypatch.setattr(ratings, "RERATED", tmp_path / "again.jsonl")
    (page,) = ratings.load(None)
    assert (page.rating, page.rating_of("native"), page.rating_of("trafilatura"), page.rating_of(None)) == (4, 1, 4, 4)
    out = tmp_path / "out"
    cfg = load_config(
        None, inputs=(str(tmp_path / shard),), output=str(out), stages=["lang_id"], extract={"mode": mode}
    )
    assert build(cfg).exit_code == 0
    assert connect(str(out)).execute("select extractor from docs").fetchall() == [(mode,)]  # the core takes it
    assert list(rated_train_texts((str(out),), "en", {url: page})) == [band]


POS = [f"The river survey counted {i} nesting birds along the northern bank this spring." for i in range(40)]
NEG = [f"cheap pills buy now {i} click here win prize" for i in range(40)]


def test_training_errors_come_back_from_the_fresh_process(tmp_path):
    from filters.models.textclf import Classifier, train_fasttext

    assert train_fasttext(POS, NEG, str(tmp_path / "m.ftz"), {"epoch": 5, "lr": 0.5}, 0, 1) == 0
    assert Classifier(str(tmp_path / "m.ftz"))(POS[:1])[0] > 0.5
    with pytest.raises(ValueError, match="m.ftz"):  # fastText's own error, raised in the child
        train_fasttext(POS, NEG, str(tmp_path / "missing" / "m.ftz"), {"epoch": 1}, 0, 1)


def test_a_script_without_a_main_guard_fails_in_one_error_instead_of_hanging(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    script = tmp_path / "train.py"
    script.write_text(
        f"import sys; sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})\n"
        "from filters.models.textclf import train_fasttext\n"
        f"train_fasttext({POS!r}, {NEG!r}, {str(tmp_path / 'm.ftz')!r}, {{'epoch': 1}}, 0, 1)\n"
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "if __name__ == '__main__':" in done.stderr.strip().splitlines()[-1]


def _killed() -> None:
    import os
    import signal

    os.kill(os.getpid(), signal.SIGKILL)


def test_a_training_process_killed_ends_the_call_with_the_signal():
    from filters.models.textclf import in_fresh_process

    with pytest.raises(RuntimeError, match="killed \\(signal 9\\)"):
        in_fresh_process(_killed)


@pytest.mark.parametrize("cut", [0.0003, 0.2, 0.93])
def test_the_quality_score_shift_puts_the_cutoff_at_one_half_and_keeps_every_decision(cut):
    from filters.models.textclf import shift_note, shifted
    from filters.models.train import _score_shift

    raw = [0.0, 1e-6, cut / 2, cut, (1 + cut) / 2, 0.999999, 1.0]
    got = shifted([*raw, None], _score_shift(cut))
    assert got[3] == 0.5 and got[0] == 0.0 and got[6] == 1.0 and got[7] is None
    assert got[:7] == sorted(got[:7]) and len(set(got[:7])) == 7
    assert [g >= 0.5 for g in got[:7]] == [r >= cut for r in raw]
    assert _score_shift(None) == _score_shift(0.0) == _score_shift(1.0) == 0.0
    said = shift_note({"score_shift": _score_shift(cut)})  # the terminal's and the report's cutoff line
    assert said.startswith(f" (probability {cut:.6g}, score_shift ")


def test_a_quality_model_loads_with_the_shift_its_manifest_records(tmp_path):
    from filters.models.common import MANIFEST
    from filters.models.textclf import MODEL_FILE, Classifier, shifted, train_fasttext

    train_fasttext(POS, NEG, str(tmp_path / MODEL_FILE), {"epoch": 5, "lr": 0.5}, 0, 1)
    (tmp_path / MANIFEST).write_text(json.dumps({"params": {"line_marks": False, "score_shift": 2.0}}))
    texts = POS[:3] + NEG[:3]
    raw = Classifier(str(tmp_path / MODEL_FILE))(texts)
    assert Classifier.from_dir(tmp_path)(texts) == shifted(raw, 2.0) != raw
