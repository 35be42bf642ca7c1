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


def test_cutoffs_are_recorded_and_keep_the_good_side(demo_models):
    for kind in ("quality", "coherence"):
        for lang in ("en", "zh"):
            m = read_manifest(model_dir(demo_models, kind, lang))
            assert 0 < m["cutoffs"]["min_score"] < 1 and m["params"]["keep_percentile"] == 1.0
    q = read_manifest(model_dir(demo_models, "quality", "en"))["metrics"]["share_below_cutoff"]
    assert q["spam"] > 0.5  # the demo's spam lines: most fall below the cutoff


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
