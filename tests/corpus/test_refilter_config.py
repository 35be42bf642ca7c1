"""`--set` parsing and the refilter SQL's treatment of stages without rules."""

import pytest

from corpus.configlib import ConfigError
from corpus.refilter import parse_set


@pytest.mark.parametrize("item,expected", [
    ("en.gopher_word_count.min=80", {"heuristics": {"thresholds": {"en": {"gopher_word_count": {"min": 80}}}}}),
    ("c4_sentences.min=3", {"heuristics": {"thresholds": {"*": {"c4_sentences": {"min": 3}}}}}),
    ("zh.gopher_mean_word_length.max=none", {"heuristics": {"thresholds": {"zh": {"gopher_mean_word_length": {"max": None}}}}}),
    ("heuristics.thresholds.en.fineweb_newline_ratio.max=0.4",
     {"heuristics": {"thresholds": {"en": {"fineweb_newline_ratio": {"max": 0.4}}}}}),
])
def test_parse_set(item, expected):
    assert parse_set(item) == expected


def test_parse_set_needs_a_value():
    with pytest.raises(ConfigError):
        parse_set("en.gopher_word_count.min")


def test_unknown_signal_is_a_config_error_at_load():
    from corpus.config import load_config

    # at load, not when the rules are built mid-build: a build must not start with it
    with pytest.raises(ConfigError, match="heuristics.thresholds.en.not_a_signal"):
        load_config(None, heuristics={"thresholds": {"en": {"not_a_signal": {"min": 1}}}})


def test_rule_sql_names_every_rule_stage():
    from corpus.config import load_config
    from corpus.refilter import fate_sql

    sql = fate_sql(load_config(None))
    for stage in ("gopher_quality", "gopher_repetition", "c4", "fineweb", "garbled", "word_blocklist"):
        assert f"then '{stage}'" in sql
    assert "then 'lang_id'" not in sql  # a stage without rules keeps its recorded decisions
