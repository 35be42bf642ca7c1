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
            assert t["independent"] == [] and t["information_only"]
            assert t["rule"].startswith("remove as much of the crawl sample as possible")
            said = [line for line in _report(kind, lang, m) if "cutoff OFF" in line]
            assert said == [f"  cutoff OFF: {t['off_reason']}; the signal is recorded, nothing is dropped by it"]
    q = read_manifest(model_dir(demo_models, "quality", "en"))["tradeoff"]["curve"]
    assert max(r["poor_removed"]["spam"] for r in q) > 0.5  # the curve still shows what a cutoff would remove


GOOD = {"wiki": [i / 100 for i in range(40, 100)], "news": [i / 100 for i in range(20, 80)]}  # 60 scores each


def test_rule_picks_the_farthest_cutoff_every_good_set_allows():
    """min: removed below the cutoff. 'news' is the loosest set: at 95% it may lose 3 of its 60
    documents (0.20, 0.21, 0.22), so the cutoff is its 4th lowest score, 0.23."""
    from filters.models.tradeoff import KeepRule, choose, point

    cut, binding = choose(GOOD, "min", KeepRule(0.95))
    assert (cut, binding) == (0.23, "news")
    p = point(cut, [i / 10 for i in range(10)], GOOD, {"spam": [0.05, 0.1, 0.5]}, "min")
    assert p["good_kept"] == {"wiki": 1.0, "news": 0.95} and p["crawl_removed"] == 0.3
    assert p["poor_removed"] == {"spam": round(2 / 3, 4)}


def test_rule_on_the_upper_side_and_with_per_set_floors():
    """max (perplexity): removed above the cutoff. A set with its own floor (rated 3 at 80%) may
    lose more than the others."""
    from filters.models.tradeoff import KeepRule, choose

    ppl = {"ref": list(range(100, 160)), "rated 3 (train)": list(range(150, 170))}
    assert choose(ppl, "max", KeepRule(0.95)) == (168, "rated 3 (train)")  # 20 docs: may lose 1
    assert choose(ppl, "max", KeepRule(0.95, {"rated 3 (train)": 0.8})) == (165, "rated 3 (train)")
    assert choose({"ref": ppl["ref"]}, "max", KeepRule(0.95)) == (156, "ref")  # 60 docs: may lose 3


@pytest.mark.parametrize(
    "n,floor,ok",
    [(19, 0.95, False), (20, 0.95, True), (49, 0.98, False), (50, 0.98, True), (4, 0.8, False), (5, 0.8, True)],
)
def test_a_set_bounds_only_if_it_may_lose_one_document_at_its_floor(n, floor, ok):
    from filters.models.tradeoff import KeepRule, adequate, choose

    assert adequate(n, floor) is ok
    cut, binding = choose({"rated 4-5 (train)": [i / 100 for i in range(n)]}, "min", KeepRule(floor))
    assert (cut, binding) == ((0.01, "rated 4-5 (train)") if ok else (None, None))


def test_small_sets_are_pooled_and_the_pool_is_judged_the_same_way():
    """Sets too small alone are read as one set at the highest floor among them, if that pool is large enough."""
    from filters.models.tradeoff import POOL, KeepRule, choose, pooled

    sets = {**GOOD, "a": [0.01], "b": [0.5, 0.9]}
    assert pooled(sets, KeepRule(0.9)) == ({**GOOD}, {"wiki": 0.9, "news": 0.9})  # 3 docs at 90%: too few
    assert choose(sets, "min", KeepRule(0.6)) == (0.44, "news")  # 60 docs at 60%: may lose 24
    small = {f"s{i}": [i / 100, 0.5] for i in range(10)}  # 10 sets of 2: a pool of 20
    assert choose(small, "min", KeepRule(0.95)) == (0.01, POOL)
    assert choose(small, "min", KeepRule(0.95, {"s0": 0.98})) == (None, None)  # the pool at 98% needs 50
    assert choose({**small, "s0": [0.0] * 20}, "min", KeepRule(0.95))[1] == "s0"  # s0 alone; 18 left: no pool


def test_only_good_sets_independent_of_the_training_positives_bound_the_cutoff():
    """A training source's held-out part scores like its training part: it stays in the curve as
    information, never as a floor. With no adequate independent set the cutoff is off, with the reason."""
    from filters.models.tradeoff import KeepRule, format_table, legend, tradeoff

    crawl, poor = [i / 200 for i in range(200)], {"spam": [0.01, 0.02, 0.3]}
    own = {"reference/zh-csl.txt.gz": [0.99] * 60, "rated 4-5 (train)": [i / 100 for i in range(40, 100)]}
    t = tradeoff(crawl, own, poor, "min", KeepRule(0.95), independent=["rated 4-5 (train)"], lang="zh")
    assert (t["cutoff"], t["binding_set"]) == (0.43, "rated 4-5 (train)")  # not 0.99, where the positives sit
    assert t["chosen"]["good_kept"] == {"reference/zh-csl.txt.gz": 1.0, "rated 4-5 (train)": 0.95}
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
        "rated 4-5 (train) n=30 (needs 50 at 98%), pooled too"
    )


def test_curve_rows_remove_more_crawl_as_the_cutoff_moves_and_print_as_a_table():
    from filters.models.tradeoff import KeepRule, format_table, legend, tradeoff

    crawl = [i / 200 for i in range(200)]
    t = tradeoff(crawl, GOOD, {"listings": [0.01, 0.02, 0.3]}, "min", KeepRule(0.95), independent=list(GOOD))
    removed = [r["crawl_removed"] for r in t["curve"]]
    assert removed == sorted(removed) and removed[0] == 0.0 and 0.45 <= removed[-1] <= 0.55
    assert t["chosen"]["crawl_removed"] == round(46 / 200, 4) and t["binding_set"] == "news"
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
