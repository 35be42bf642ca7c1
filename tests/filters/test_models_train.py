import json

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
    assert 0 < cut["head"] <= cut["middle"]


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
    assert {(m["kind"], m["lang"]) for m in index["models"]} == {(k, l) for k in KINDS for l in ("en", "zh")}


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
    for kind in ("quality", "coherence"):
        for lang in ("en", "zh"):
            m = read_manifest(model_dir(demo_models, kind, lang))
            t = m["tradeoff"]
            assert 0 < m["cutoffs"]["min_score"] < 1 and m["cutoffs"]["min_score"] == t["cutoff"]
            assert t["rule"].startswith("remove as much of the crawl sample as possible") and t["curve"]
            assert all(v >= t["min_kept"] for v in t["chosen"]["good_kept"].values() if v is not None) or \
                t["binding_set"] == "(small sets pooled)"
    kenlm = read_manifest(model_dir(demo_models, "kenlm", "en"))
    assert kenlm["bucket_cutoffs"]["middle"] == kenlm["tradeoff"]["cutoff"] and kenlm["tradeoff"]["bound"] == "max"
    q = read_manifest(model_dir(demo_models, "quality", "en"))["tradeoff"]["chosen"]["poor_removed"]
    assert q["spam"] > 0.5  # the demo's spam lines: most fall below the cutoff


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
    assert choose(ppl, "max", KeepRule(0.95, min_docs=10)) == (168, "rated 3 (train)")  # 20 docs: may lose 1
    assert choose(ppl, "max", KeepRule(0.95, {"rated 3 (train)": 0.8}, min_docs=10)) == (165, "rated 3 (train)")
    assert choose({"ref": ppl["ref"]}, "max", KeepRule(0.95)) == (156, "ref")  # 60 docs: may lose 3


def test_small_sets_are_pooled_before_the_rule_reads_them():
    """Sets under min_docs are read as one set, which the rule then holds to the same floor."""
    from filters.models.tradeoff import KeepRule, choose, pooled

    sets = {**GOOD, "a": [0.01], "b": [0.5, 0.9]}
    assert pooled(sets, 20) == {**GOOD, "(small sets pooled)": [0.01, 0.5, 0.9]}
    assert choose(sets, "min", KeepRule(0.9)) == (0.01, "(small sets pooled)")
    assert choose(sets, "min", KeepRule(0.9, min_docs=1)) == (0.01, "a")
    assert choose(sets, "min", KeepRule(0.6)) == (0.44, "news")  # 60 docs at 60%: may lose 24


def test_curve_rows_remove_more_crawl_as_the_cutoff_moves_and_print_as_a_table():
    from filters.models.tradeoff import KeepRule, format_table, legend, tradeoff

    crawl = [i / 200 for i in range(200)]
    t = tradeoff(crawl, GOOD, {"listings": [0.01, 0.02, 0.3]}, "min", KeepRule(0.95))
    removed = [r["crawl_removed"] for r in t["curve"]]
    assert removed == sorted(removed) and removed[0] == 0.0 and 0.45 <= removed[-1] <= 0.55
    assert t["chosen"]["crawl_removed"] == round(46 / 200, 4) and t["binding_set"] == "news"
    lines = format_table(t)
    assert any(line.endswith("<- rule") for line in lines) and not any("{" in line for line in lines + legend(t))
    # no crawl sample: the rows step through the poor sets' scores instead
    rows = tradeoff([], GOOD, {"listings": [i / 100 for i in range(100)]}, "min", KeepRule(0.95))["curve"]
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

    for src in ("html/zh-more", "html/zh-more/", "/data/shared/html/zh-more/gne_news_pages/tests/163/9.html.gz",
                "warc/zh-news-00.warc.gz", "/work/shared/data/warc/en-articles-00.warc.gz",
                "warc-real/commoncrawl_real/resiliparse_CC-MAIN-2020-34_sample.warc.gz"):
        assert in_retention(src), src
    for src in ("html/zh-more-2", "warc/multi-cache-00.warc.gz", "x/zh-news-00.warc.gz", ""):
        assert not in_retention(src), src
    # html/zh-more's pages reach a build through a WARC written elsewhere, under the benchmark's urls
    assert in_retention("/tmp/recipe/zh-more.warc.gz", "https://gne.example/163/9.html")


def _page(title: str, body: str) -> bytes:
    paras = "".join(f"<p>{s}</p>" for s in body.split(". "))
    return (f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>{paras}</article>"
            "</body></html>").encode()


def test_no_page_of_a_retention_source_reaches_training_or_the_cutoff_rule(tmp_path, monkeypatch):
    """Rated train-split pages on a retention shard are held out whatever their split field says, and
    a crawl build that read a retention shard contributes none of its pages to the crawl sample."""
    from corpus.build import build
    from corpus.config import load_config
    from evalsets.retention_inputs import write_warc
    from filters.models import ratings
    from filters.models.collect import collect
    from filters.models.train import TrainParams

    text = ("The harbour town of Kirkwall grew around a red sandstone cathedral built in the twelfth century. "
            "Fishing boats still land their catch at the old pier every morning before the ferries arrive. "
            "Visitors walk the narrow streets to the museum, where the history of the islands is told in "
            "letters, maps and tools that farmers and sailors used for many generations. ") * 3
    data = tmp_path / "data"
    shards = {"warc/zh-news-00.warc.gz": "https://news.example/", "warc/multi-cache-00.warc.gz": "https://blog.example/"}
    for shard, host in shards.items():
        (data / shard).parent.mkdir(parents=True, exist_ok=True)
        town = host.split("//")[1].split(".")[0]  # news, blog: each page's text names its shard and number
        write_warc(data / shard, [(f"{host}{i}.html", _page(f"{town} {i}", text.replace("Kirkwall", f"{town}{i}xq")))
                                  for i in range(4)])
    own = tmp_path / "ratings.jsonl"
    own.write_text("".join(json.dumps({"url": f"{host}{i}.html", "lang": "en", "rating": 4, "split": "train",
                                       "source_file": shard}) + "\n"
                           for shard, host in shards.items() for i in range(2)))
    monkeypatch.setattr(ratings, "OWN", own)
    assert {r.url: r.split for r in ratings.load(None)} == {
        **{f"https://news.example/{i}.html": "heldout" for i in range(2)},
        **{f"https://blog.example/{i}.html": "train" for i in range(2)}}
    cfg = load_config(None, inputs=tuple(str(data / s) for s in shards), output=str(tmp_path / "out"),
                      stages=["url_filter", "lang_id"])
    assert build(cfg).exit_code == 0
    (data / "ref.txt").write_text("\n".join([text] * 10), encoding="utf-8")
    (tmp_path / "sources.yaml").write_text("reference: {en: [{path: ref.txt}]}\n", encoding="utf-8")
    got = collect(str(data), (str(tmp_path / "out"),), str(tmp_path / "sources.yaml"), ("en",), TrainParams(),
                  (str(tmp_path / "out"),))["en"]
    assert list(got.rated) == ["good"] and sorted(t.split("xq")[0][-5:] for t in got.rated["good"]) == ["blog0",
                                                                                                         "blog1"]
    sample = got.crawl + got.crawl_rejected  # the unrated pages of multi-cache; none of zh-news
    assert sorted(t.split("xq")[0][-5:] for t in sample) == ["blog2", "blog3"]
    assert got.inputs["crawl"][0]["left_out"] == 6  # 4 of zh-news, 2 rated pages
