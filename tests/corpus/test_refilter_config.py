"""`--set` parsing and the refilter SQL's treatment of stages without rules."""

import pytest

from corpus.core.configlib import ConfigError
from corpus.refilter import parse_set


@pytest.mark.parametrize(
    "item,expected",
    [
        ("en.gopher_word_count.min=80", {"thresholds": {"en": {"gopher_word_count": {"min": 80}}}}),
        ("c4_sentences.min=3", {"thresholds": {"*": {"c4_sentences": {"min": 3}}}}),
        ("zh.gopher_mean_word_length.max=none", {"thresholds": {"zh": {"gopher_mean_word_length": {"max": None}}}}),
        (
            "thresholds.en.fineweb_newline_ratio.max=0.4",
            {"thresholds": {"en": {"fineweb_newline_ratio": {"max": 0.4}}}},
        ),
        # every stage speaks the one dialect: scorers and page type too
        ("quality_score.min=0.5", {"thresholds": {"*": {"quality_score": {"min": 0.5}}}}),
        ("zh.ppl_kenlm.max=model", {"thresholds": {"zh": {"ppl_kenlm": {"max": "model"}}}}),
        ("page_type_prose_run.min=100", {"thresholds": {"*": {"page_type_prose_run": {"min": 100}}}}),
    ],
)
def test_parse_set(item, expected):
    assert parse_set(item) == expected


def test_a_misspelt_signal_is_named():
    from corpus.config import load_config
    from corpus.core.configlib import merge

    with pytest.raises(ConfigError, match="thresholds.\\*.quality_scor'") as e:
        load_config(None, **merge({}, parse_set("quality_scor.min=0.5")))
    assert "not a signal" in str(e.value)


def test_parse_set_needs_a_value():
    with pytest.raises(ConfigError):
        parse_set("en.gopher_word_count.min")


def test_unknown_signal_is_a_config_error_at_load():
    from corpus.config import load_config

    # at load, not when the rules are built mid-build: a build must not start with it
    with pytest.raises(ConfigError, match="thresholds.en.not_a_signal"):
        load_config(None, thresholds={"en": {"not_a_signal": {"min": 1}}})
    with pytest.raises(ConfigError, match="thresholds.en.gopher_word_count.low"):
        load_config(None, thresholds={"en": {"gopher_word_count": {"low": 1}}})
    # a signal that is declared but has no rule (stored for study) is not a threshold either
    with pytest.raises(ConfigError, match="thresholds.en.page_type_links"):
        load_config(None, thresholds={"en": {"page_type_links": {"min": 1}}})
    # `model` only where the stage records a model's cutoff
    with pytest.raises(ConfigError, match="thresholds.en.gopher_word_count.min"):
        load_config(None, thresholds={"en": {"gopher_word_count": {"min": "model"}}})


@pytest.mark.parametrize(
    "old,new",
    [
        ({"heuristics": {"enabled": False}}, "stages"),
        ({"heuristics": {"families": ["c4"]}}, "stages"),
        ({"scorers": {"enabled": False}}, "stages"),
        ({"scorers": {"quality": {"enabled": False}}}, "stages"),
        ({"dedup": {"enabled": False}}, "stages"),
        ({"heuristics": {"thresholds": {"en": {}}}}, "thresholds.<lang>.<signal>"),
        ({"page_type": {"thresholds": {}}}, "thresholds.<lang>.<signal>"),
        ({"scorers": {"quality": {"thresholds": {"*": {"min_score": 0.5}}}}}, "quality_score.min"),
    ],
)
def test_retired_switches_name_the_new_form(old, new):
    from corpus.config import load_config

    with pytest.raises(ConfigError, match="no longer a setting") as e:
        load_config(None, **old)
    assert new in str(e.value)


def test_rule_sql_names_every_rule_stage():
    from corpus.config import load_config
    from corpus.refilter import fate_sql
    from filters.heuristics.families import FAMILIES

    sql = fate_sql(load_config(None), {})
    for stage in (*FAMILIES, "lang_id", "page_type"):
        assert f"then '{stage}'" in sql
    for stage in ("url_filter", "correction", "dedup_minhash"):
        assert f"then '{stage}'" not in sql  # a stage without rules keeps its recorded decisions
