import json

import pytest

from corpus import vocab
from corpus.config import load_config
from corpus.configlib import ConfigError
from corpus.stages import STAGE_BUILDERS
from filters.coherence_segment import CoherenceSegmenter
from corpus.steps import ThresholdFilter
from filters.scorer_stages import perplexity_rules, quality_rules, safety_rules, thresholds

REF_EN = ("The lighthouse is a tower with a bright lamp that guides ships near dangerous coasts. "
          "Early lighthouses burned wood or coal, and keepers climbed the stairs to feed the flames.\n"
          "Glass lenses later focused the light into a narrow beam that sailors could see far out at sea.")
REF_ZH = "长江是中国最长的河流，发源于青藏高原，向东流经多个省份。长江中下游平原河网密布，湖泊众多，盛产稻米和淡水鱼。"
CASINO = ("Join the best online casino today for free spins on every slot machine and live baccarat tables. "
          "Our sports betting page has the best betting odds for football and tennis every weekend of the season.")


def cfg_for(models: str, **scorers):
    return load_config(None, scorers={"models_dir": models, **scorers})


def test_rules_come_from_defaults_file_manifest_and_overrides(demo_models):
    cfg = cfg_for(demo_models, quality={"thresholds": {"zh": {"min_score": 0.3}}})
    q = quality_rules(cfg)
    # en: the cutoff the quality manifest records (set from held-out good text); zh: the override
    quality_manifest = __import__("pathlib").Path(demo_models) / "quality" / "en" / "manifest.json"
    cut = json.loads(quality_manifest.read_text())["cutoffs"]
    assert q["en"][0].min == pytest.approx(cut["min_score"]) and q["zh"][0].min == 0.3
    assert q["en"][0].reason == vocab.R_LOW_QUALITY
    p = perplexity_rules(cfg)
    reasons = [r.reason for r in p["en"]]
    assert reasons == [vocab.R_PPL_TAIL, vocab.R_PPL_ABOVE_CAP]
    manifest = json.loads((__import__("pathlib").Path(demo_models) / "kenlm" / "en" / "manifest.json").read_text())
    assert p["en"][0].max == pytest.approx(manifest["bucket_cutoffs"]["middle"])
    s = safety_rules(cfg)
    assert [r.reason for r in s["zh"]] == [vocab.R_UNSAFE_URL, vocab.R_AGE_GATE, vocab.R_UNSAFE_TERMS, vocab.R_UNSAFE_CLASSIFIER]
    assert thresholds(cfg, "safety")["*"]["max_term_hits"] == 2


def test_demo_models_come_with_lenient_thresholds(demo_models, monkeypatch):
    import filters.models.demo as demo

    monkeypatch.setattr(demo, "cache_root", lambda: demo_models)
    cfg = load_config(None)
    assert quality_rules(cfg) == {"en": (), "zh": ()}
    assert [r.reason for r in perplexity_rules(cfg)["en"]] == [vocab.R_PPL_ABOVE_CAP]
    assert [r.reason for r in safety_rules(cfg)["zh"]] == [vocab.R_UNSAFE_URL, vocab.R_AGE_GATE, vocab.R_UNSAFE_TERMS]


def test_every_scorer_stage_is_registered_with_rules(demo_models):
    cfg = cfg_for(demo_models)
    for name in (vocab.PERPLEXITY, vocab.QUALITY, vocab.COHERENCE, vocab.SAFETY):
        spec = STAGE_BUILDERS[name]
        assert spec.rules_of(cfg) and isinstance(spec.builder()(cfg, None)[-1], ThresholdFilter)
    seg = load_config(None, scorers={"models_dir": demo_models, "coherence": {"action": "segment"}})
    assert STAGE_BUILDERS[vocab.COHERENCE].rules_of(seg) == {}
    assert isinstance(STAGE_BUILDERS[vocab.COHERENCE].builder()(seg, None)[-1], CoherenceSegmenter)
    off = load_config(None, scorers={"models_dir": demo_models, "safety": {"enabled": False}})
    assert STAGE_BUILDERS[vocab.SAFETY].builder()(off, None) == []


def test_bad_coherence_action_is_a_config_error():
    with pytest.raises(ConfigError, match="scorers.coherence.action"):
        load_config(None, scorers={"coherence": {"action": "split"}})


def test_segmenter_keeps_the_longer_side():
    from datatrove.data import Document

    text = "short head part.\n" + "a much longer tail part that stays " * 3
    d = Document(text=text, id="x", metadata={vocab.LANG: "en", vocab.COHERENCE_SCORE: 0.01,
                                             vocab.COHERENCE_WEAKEST_BOUNDARY: text.index("a much")})
    ok = Document(text="fine", id="y", metadata={vocab.LANG: "en", vocab.COHERENCE_SCORE: 0.9,
                                                 vocab.COHERENCE_WEAKEST_BOUNDARY: 2})
    out = list(CoherenceSegmenter({"*": 0.5}).run(iter([d, ok])))
    assert out[0].text.startswith("a much longer") and out[0].metadata[vocab.COHERENCE_SEGMENTED]
    assert out[1].text == "fine" and out[1].metadata[vocab.COHERENCE_SEGMENTED] is False


def test_build_with_scorers_drops_by_rule_and_refilter_sql_agrees(demo_models, tmp_path):
    from corpus.build import build
    from corpus.sql import connect

    src = tmp_path / "in.jsonl"
    docs = [REF_EN, REF_ZH, CASINO, REF_EN.replace("lighthouse", "beacon")]
    src.write_text("".join(json.dumps({"text": t, "url": f"http://example.org/{i}"}) + "\n" for i, t in enumerate(docs)))
    cfg = load_config(None, inputs=(str(src),), output=str(tmp_path / "out"),
                      stages=["lang_id", "perplexity", "quality", "coherence", "safety"],
                      scorers={"models_dir": demo_models, "perplexity": {"thresholds": {"*": {"drop_tail": 0}}},
                               "quality": {"thresholds": {"*": {"min_score": 0.0}}},
                               "coherence": {"thresholds": {"*": {"min_score": 0.0}}},
                               "safety": {"thresholds": {"*": {"max_score": 1.0}}}})
    result = build(cfg)
    assert result.funnel["totals"] == {"kept": 3, "dropped": 1, "failed": 0}
    con = connect(str(tmp_path / "out"))
    assert con.execute("select stage, reason, safety_term_hits from dropped").fetchall() == \
        [(vocab.SAFETY, vocab.R_UNSAFE_TERMS, 6)]
    rows = con.execute("select lang, ppl_kenlm, ppl_bucket, quality_score, safety_score from kept order by lang").fetchall()
    assert [r[0] for r in rows] == ["en", "en", "zh"] and all(r[1] > 1 and r[2] and 0 <= r[3] <= 1 for r in rows)
    fires = " or ".join(r.sql_fires() for r in safety_rules(cfg)["en"])
    assert con.execute(f"select count(*) from docs where {fires}").fetchone()[0] == 1


def test_unknown_threshold_name_is_a_config_error():
    with pytest.raises(ConfigError, match="scorers.quality.thresholds.en.drop_below_cutof"):
        load_config(None, scorers={"quality": {"thresholds": {"en": {"drop_below_cutof": 1}}}})
