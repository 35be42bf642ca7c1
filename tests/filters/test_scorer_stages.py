import json

import pytest

from corpus.core import vocab
from corpus.config import load_config
from corpus.core.configlib import ConfigError
from corpus.stages import STAGES
from corpus.core.steps import ThresholdFilter
from filters.coherence_segment import CoherenceSegmenter

REF_EN = (
    "The lighthouse is a tower with a bright lamp that guides ships near dangerous coasts. "
    "Early lighthouses burned wood or coal, and keepers climbed the stairs to feed the flames.\n"
    "Glass lenses later focused the light into a narrow beam that sailors could see far out at sea."
)
REF_ZH = "长江是中国最长的河流，发源于青藏高原，向东流经多个省份。长江中下游平原河网密布，湖泊众多，盛产稻米和淡水鱼。"
CASINO = (
    "Join the best online casino today for free spins on every slot machine and live baccarat tables. "
    "Our sports betting page has the best betting odds for football and tennis every weekend of the season."
)


def cfg_for(models: str, thresholds: dict | None = None, **scorers):
    return load_config(None, scorers={"models_dir": models, **scorers}, thresholds=thresholds or {})


def rules(stage: str, cfg) -> dict:
    return STAGES[stage].rules_of(cfg)


def _with_cutoffs(demo_models, tmp_path, quality: float = 0.25, tail: float = 900.0) -> str:
    """A copy of the demo models whose en manifests record cutoffs (the demo's own are off: no good set
    independent of their training positives)."""
    import shutil

    root = tmp_path / "models"
    shutil.copytree(demo_models, root)
    for kind, section, name, value in (
        ("quality", "cutoffs", "min_score", quality),
        ("kenlm", "bucket_cutoffs", "middle", tail),
    ):
        path = root / kind / "en" / "manifest.json"
        m = json.loads(path.read_text())
        m[section][name] = value
        path.write_text(json.dumps(m))
    return str(root)


def test_rules_come_from_defaults_file_manifest_and_overrides(demo_models, tmp_path):
    models = _with_cutoffs(demo_models, tmp_path)
    cfg = cfg_for(models, {"zh": {"quality_score": {"min": 0.3}}})
    q = rules(vocab.QUALITY, cfg)
    # en: the cutoff the quality manifest records; zh: the override
    assert q["en"][0].min == 0.25 and q["zh"][0].min == 0.3
    assert q["en"][0].reason == vocab.R_LOW_QUALITY
    p = rules(vocab.PERPLEXITY, cfg)
    assert [r.reason for r in p["en"]] == [vocab.R_PPL_TAIL] and p["en"][0].max == 900.0
    s = rules(vocab.SAFETY, cfg)
    assert [r.reason for r in s["zh"]] == [
        vocab.R_UNSAFE_URL,
        vocab.R_AGE_GATE,
        vocab.R_UNSAFE_TERMS,
        vocab.R_UNSAFE_CLASSIFIER,
    ]
    assert STAGES[vocab.SAFETY].thresholds(cfg)["*"][vocab.SAFETY_TERM_HITS] == {"max": 2}
    # a number instead of `model` is an absolute cap, with its own reason
    capped = rules(vocab.PERPLEXITY, cfg_for(models, {"en": {"ppl_kenlm": {"max": 5000}}}))
    assert [(r.reason, r.max) for r in capped["en"]] == [(vocab.R_PPL_ABOVE_CAP, 5000)]


def test_a_model_bound_reads_the_record_not_the_models_directory(demo_models):
    """refilter hands the build's record in: a cutoff there wins over whatever the directory holds,
    and a stage with no record makes no model rule (nothing is looked up or trained afresh)."""
    cfg = cfg_for(demo_models)
    record = {"en": {"path": "elsewhere", "sha256": "0", "cutoffs": {vocab.QUALITY_SCORE: {"min": 0.123}}}}
    q = STAGES[vocab.QUALITY].rules_of(cfg, record)
    assert [r.min for r in q["en"]] == [0.123] and q["zh"] == ()
    assert all(not rs for rs in STAGES[vocab.QUALITY].rules_of(cfg, {}).values())


def test_demo_models_come_with_lenient_thresholds(demo_models, monkeypatch):
    import filters.models.demo as demo

    monkeypatch.setattr(demo, "cache_root", lambda: demo_models)
    cfg = load_config(None)
    assert rules(vocab.QUALITY, cfg) == {"*": (), "en": (), "zh": ()}
    assert [r.reason for r in rules(vocab.PERPLEXITY, cfg)["en"]] == [vocab.R_PPL_ABOVE_CAP]
    assert [r.reason for r in rules(vocab.SAFETY, cfg)["zh"]] == [
        vocab.R_UNSAFE_URL,
        vocab.R_AGE_GATE,
        vocab.R_UNSAFE_TERMS,
    ]


def test_every_scorer_stage_is_registered_with_rules(demo_models):
    cfg = cfg_for(demo_models)
    for name in (vocab.PERPLEXITY, vocab.QUALITY, vocab.COHERENCE, vocab.SAFETY):
        stage = STAGES[name]
        assert stage.rules_of(cfg) and isinstance(stage.build(cfg, None)[-1], ThresholdFilter)
        assert stage.model_records(cfg)["en"]["sha256"]
    seg = load_config(None, scorers={"models_dir": demo_models, "coherence": {"action": "segment"}})
    assert STAGES[vocab.COHERENCE].rules_of(seg) == {}
    assert isinstance(STAGES[vocab.COHERENCE].build(seg, None)[-1], CoherenceSegmenter)


def test_bad_coherence_action_is_a_config_error():
    with pytest.raises(ConfigError, match="scorers.coherence.action"):
        load_config(None, scorers={"coherence": {"action": "split"}})


def test_segmenter_keeps_the_longer_side():
    from datatrove.data import Document

    text = "short head part.\n" + "a much longer tail part that stays " * 3
    d = Document(
        text=text,
        id="x",
        metadata={
            vocab.LANG: "en",
            vocab.COHERENCE_SCORE: 0.01,
            vocab.COHERENCE_WEAKEST_BOUNDARY: text.index("a much"),
        },
    )
    ok = Document(
        text="fine",
        id="y",
        metadata={vocab.LANG: "en", vocab.COHERENCE_SCORE: 0.9, vocab.COHERENCE_WEAKEST_BOUNDARY: 2},
    )
    out = list(CoherenceSegmenter({"*": 0.5}).run(iter([d, ok])))
    assert out[0].text.startswith("a much longer") and out[0].metadata[vocab.COHERENCE_SEGMENTED]
    assert out[1].text == "fine" and out[1].metadata[vocab.COHERENCE_SEGMENTED] is False


def test_build_with_scorers_drops_by_rule_and_refilter_sql_agrees(demo_models, tmp_path):
    from corpus.build import build
    from corpus.core.sql import connect

    src = tmp_path / "in.jsonl"
    docs = [REF_EN, REF_ZH, CASINO, REF_EN.replace("lighthouse", "beacon")]
    src.write_text(
        "".join(json.dumps({"text": t, "url": f"http://example.org/{i}"}) + "\n" for i, t in enumerate(docs))
    )
    cfg = load_config(
        None,
        inputs=(str(src),),
        output=str(tmp_path / "out"),
        stages=["lang_id", "perplexity", "quality", "coherence", "safety"],
        scorers={"models_dir": demo_models},
        thresholds={
            "*": {
                "ppl_kenlm": {"max": None},
                "quality_score": {"min": 0.0},
                "coherence_score": {"min": 0.0},
                "safety_score": {"max": 1.0},
            }
        },
    )
    result = build(cfg)
    assert result.funnel["totals"] == {"kept": 3, "dropped": 1, "failed": 0}
    con = connect(str(tmp_path / "out"))
    assert con.execute("select stage, reason, safety_term_hits from dropped").fetchall() == [
        (vocab.SAFETY, vocab.R_UNSAFE_TERMS, 6)
    ]
    rows = con.execute(
        "select lang, ppl_kenlm, ppl_bucket, quality_score, safety_score from kept order by lang"
    ).fetchall()
    assert [r[0] for r in rows] == ["en", "en", "zh"] and all(r[1] > 1 and r[2] and 0 <= r[3] <= 1 for r in rows)
    fires = " or ".join(r.sql_fires() for r in rules(vocab.SAFETY, cfg)["en"])
    assert con.execute(f"select count(*) from docs where {fires}").fetchone()[0] == 1
    # the manifest records every model the build used, and refilter replays from that record
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    for stage in ("perplexity", "quality", "coherence", "safety"):
        assert set(manifest["models"][stage]) == {"en", "zh"}
    assert manifest["models"]["lang_id"]["*"]["sha256"]
    en_quality = manifest["models"]["quality"]["en"]
    assert en_quality["path"].startswith(demo_models) and len(en_quality["sha256"]) == 64
    assert en_quality["cutoffs"] == {}  # the demo's cutoff is off (no independent good set): nothing to replay


def test_unknown_threshold_name_is_a_config_error():
    with pytest.raises(ConfigError, match="thresholds.en.drop_below_cutof"):
        load_config(None, thresholds={"en": {"drop_below_cutof": {"min": 1}}})


def test_refilter_replays_the_recorded_cutoffs_without_the_models(demo_models, tmp_path):
    """The build's manifest carries each model's cutoffs; refilter decides from them even when the
    models directory is gone (and never trains or looks up models of its own)."""
    import shutil

    from corpus.build import build
    from corpus.refilter import effective_config, refilter
    from corpus.core.sql import connect

    from pathlib import Path

    models = Path(_with_cutoffs(demo_models, tmp_path))
    src = tmp_path / "in.jsonl"
    docs = [REF_EN, REF_ZH, CASINO, REF_EN.replace("lighthouse", "beacon")]
    src.write_text("".join(json.dumps({"text": t}) + "\n" for t in docs))
    cfg = load_config(
        None,
        inputs=(str(src),),
        output=str(tmp_path / "out"),
        stages=["lang_id", "quality"],
        scorers={"models_dir": str(models)},
    )
    assert build(cfg).exit_code == 0
    manifest_path = tmp_path / "out" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    recorded = manifest["models"]["quality"]
    assert set(recorded) == {"en", "zh"} and all(r["path"].startswith(str(models)) for r in recorded.values())
    shutil.rmtree(models)
    # what refilter reads is the record: a stricter cutoff written there decides
    recorded["en"]["cutoffs"][vocab.QUALITY_SCORE]["min"] = 0.9999
    manifest_path.write_text(json.dumps(manifest))

    strict = effective_config(str(tmp_path / "out"), sets=("quality_score.min=model",))
    result = refilter(str(tmp_path / "out"), str(tmp_path / "re"), strict)
    assert recorded["zh"]["cutoffs"] == {}  # off in the model: no rule to replay
    con = connect(str(tmp_path / "out"))
    below = sum(
        n
        for lang, rec in recorded.items()
        if rec["cutoffs"]
        for (n,) in con.execute(
            "select count(*) from docs where lang = ? and quality_score < ?",
            [lang, rec["cutoffs"][vocab.QUALITY_SCORE]["min"]],
        ).fetchall()
    )
    assert result.funnel["totals"]["dropped"] == below > 0
    assert json.loads((tmp_path / "re" / "manifest.json").read_text())["models"]["quality"] == recorded


def test_a_page_scoring_exactly_the_cutoff_is_kept_as_the_rule_kept_it(demo_models, tmp_path):
    """A cutoff is the score of a good page (the rule keeps >= it); the build reads it exactly as the
    manifest recorded it, so that page is kept by the build too, on both sides (min and max)."""
    import math
    import shutil

    from filters.models.tradeoff import removed_share
    from filters.scorer_stages import model_records

    root = tmp_path / "models"
    shutil.copytree(demo_models, root)
    cuts = {
        vocab.QUALITY: ("quality", ("cutoffs", "min_score"), 0.123456789123, "min"),
        vocab.PERPLEXITY: ("kenlm", ("bucket_cutoffs", "middle"), 812.3456789123, "max"),
    }
    for kind, (section, name), value, _ in cuts.values():
        path = root / kind / "en" / "manifest.json"
        m = json.loads(path.read_text())
        m[section][name] = value
        path.write_text(json.dumps(m))
    cfg = cfg_for(str(root))
    for stage, (_, _, value, bound) in cuts.items():
        signal = vocab.QUALITY_SCORE if stage == vocab.QUALITY else vocab.PPL_KENLM
        assert model_records(cfg, stage)["en"]["cutoffs"] == {signal: {bound: value}}
        rule = rules(stage, cfg)["en"][0]
        outside = math.nextafter(value, -math.inf if bound == "min" else math.inf)
        assert not rule.fires(value) and rule.fires(outside)
        assert removed_share([value], value, bound) == 0.0 and removed_share([outside], value, bound) == 1.0


def test_a_cutoff_that_is_off_makes_no_rule_and_says_why(demo_models):
    """The demo models have no good set independent of their training positives: their manifests record
    cutoff null with the reason, a `model` bound makes no rule (nothing dropped), the signal is still scored."""
    from filters.models.common import read_manifest
    from filters.models.registry import model_dir

    for kind, section, name in (
        ("quality", "cutoffs", "min_score"),
        ("kenlm", "bucket_cutoffs", "middle"),
        ("coherence", "cutoffs", "min_score"),
    ):
        m = read_manifest(model_dir(demo_models, kind, "zh"))
        assert m[section][name] is None and m["tradeoff"]["cutoff"] is None
        assert (
            m[section]["reason"]
            == m["tradeoff"]["off_reason"]
            == "no good set independent of the training positives for zh"
        )
    cfg = cfg_for(demo_models)
    assert rules(vocab.QUALITY, cfg)["zh"] == () and rules(vocab.PERPLEXITY, cfg)["zh"] == ()
