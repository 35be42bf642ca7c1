import json

from filters.models.common import model_checksum, read_manifest, split
from filters.models.demo import DEMO_PARAMS, demo_data
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
