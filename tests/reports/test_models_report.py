import json

from filters.models.tradeoff import KeepRule, tradeoff
from reports.models import tradeoff_section


def _build_manifest(tmp_path, demo: bool) -> dict:
    good = {"wiki": [i / 100 for i in range(40, 100)], "rated 4-5 (train)": [0.3, 0.6, 0.9]}
    t = tradeoff(
        [i / 200 for i in range(200)],
        good,
        {"listings": [0.01, 0.02, 0.3]},
        "min",
        KeepRule(0.95),
        independent=list(good),
    )
    model = tmp_path / "quality" / "en"
    model.mkdir(parents=True)
    (model / "manifest.json").write_text(json.dumps({"tradeoff": t, "checksum": "abc"}))
    return {
        "scorer_models": {"demo": demo, "stages": ["quality"]},
        "models": {
            "quality": {
                "en": {"path": str(model), "sha256": "abc", "cutoffs": {"quality_score": {"min": t["cutoff"]}}}
            },
            "lang_id": {"*": {"path": "x", "sha256": "y"}},
        },
    }, t


def test_report_shows_each_learned_scorers_curve_and_the_rules_point(tmp_path):
    manifest, t = _build_manifest(tmp_path, demo=False)
    html = tradeoff_section(manifest)
    assert "id='tradeoffs'" in html and "<code>quality</code>, en" in html
    assert f"<b>{t['cutoff']:.6g}</b>" in html and t["binding_set"] in html  # the chosen point and what binds it
    assert "wiki kept (n=60)" in html and "listings removed (n=3)" in html and "crawl removed (n=200)" in html
    assert html.count("<tr>") == 1 + len(t["curve"]) + 1  # header, the curve's rows, the rule's point
    assert "has changed since the build" not in html


def test_no_curves_for_demo_models_and_a_changed_model_is_said(tmp_path):
    manifest, _ = _build_manifest(tmp_path, demo=True)
    assert tradeoff_section(manifest) == ""
    manifest["scorer_models"]["demo"] = False
    manifest["models"]["quality"]["en"]["sha256"] = "other"
    assert "has changed since the build" in tradeoff_section(manifest)


def test_a_cutoff_that_is_off_is_said_in_the_table(tmp_path):
    manifest, _ = _build_manifest(tmp_path, demo=False)
    path = tmp_path / "quality" / "en" / "manifest.json"
    good = {"wiki": [i / 100 for i in range(40, 100)]}
    t = tradeoff(
        [i / 200 for i in range(200)], good, {"listings": [0.01]}, "min", KeepRule(0.95), independent=[], lang="en"
    )
    path.write_text(json.dumps({"tradeoff": t, "checksum": "abc"}))
    manifest["models"]["quality"]["en"]["cutoffs"] = {}
    html = tradeoff_section(manifest)
    assert "<b>Cutoff off</b>: no good set independent of the training positives for en" in html
    assert "wiki kept (n=60) (information, no floor)" in html and html.count("<tr>") == 1 + len(t["curve"])


def test_a_shifted_quality_cutoff_is_shown_with_the_classifiers_own_probability(tmp_path):
    manifest, t = _build_manifest(tmp_path, demo=False)
    path = tmp_path / "quality" / "en" / "manifest.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "params": {"score_shift": 2.0}}))
    html = tradeoff_section(manifest)
    assert f"<b>{t['cutoff']:.6g}</b> (probability 0.880797, score_shift 2)" in html  # sigmoid(2)
