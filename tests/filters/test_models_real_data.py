"""Small trainings on the real data folder (skipped when it is absent)."""

import random

from filters.models.sources import load_sources, read_role
from filters.models.train import LangData, TrainParams, train_quality, train_safety

SMALL = TrainParams(fasttext={"epoch": 5, "lr": 0.5, "wordNgrams": 2, "dim": 32, "minCount": 1, "bucket": 50_000})


def _sample(xs, n):
    return random.Random(0).sample(xs, min(n, len(xs)))


def test_reference_readers_undo_wikitext_tokenisation(shared_data):
    docs, inputs = read_role(shared_data, load_sources(), "reference", "en")
    assert len(docs) > 300 and all(len(i["sha256"]) == 64 for i in inputs)
    wiki = docs[0]
    assert " @-@ " not in wiki and "<unk>" not in wiki and " , " not in wiki and "\n" in wiki


def test_quality_separates_reference_from_low_quality_text(shared_data, tmp_path):
    s = load_sources()
    ref, _ = read_role(shared_data, s, "reference", "zh")
    low, _ = read_role(shared_data, s, "low_quality", "zh")
    m = train_quality("zh", LangData(reference=_sample(ref, 600), low_quality=_sample(low, 600)), str(tmp_path), SMALL)
    assert m["metrics"]["auc_reference_vs_low_quality"] > 0.95


def test_safety_classifier_on_davidson_sample(shared_data, tmp_path):
    labelled, _ = read_role(shared_data, load_sources(), "safety", "en")
    m = train_safety("en", LangData(reference=[], safety=_sample(labelled, 4000)), str(tmp_path), SMALL)
    assert m["metrics"]["auc"] > 0.85 and m["metrics"]["precision"] > 0.8
