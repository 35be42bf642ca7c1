"""A new per-document stage written against the public contract only (corpus.core.steps), the way
docs/architecture.md describes: a "max line length" filter. In the project it would be one new
module plus one line placing it in corpus.stages.CASCADE; here the module is this test and the
stage is registered at run time, as a plugin would."""

import json

import pytest

from corpus.core import vocab
from corpus.core.steps import Scorer, Stage

# ---------------------------------------------------------------- the whole stage

MAX_LINE_LENGTH = "max_line_length"
LINE_LENGTH_MAX = "line_length_max"
R_LINE_TOO_LONG = "line_too_long"


class LongestLine(Scorer):
    name = "longest line"

    def score(self, doc) -> dict:
        return {LINE_LENGTH_MAX: max(map(len, doc.text.splitlines()), default=0)}


def build_steps(cfg, ctx) -> list:
    return [LongestLine(), STAGE.threshold_filter(cfg, ctx)]


def declare() -> Stage:
    return Stage(
        MAX_LINE_LENGTH,
        build_steps,
        signals={LINE_LENGTH_MAX: (None, R_LINE_TOO_LONG)},
        defaults=lambda cfg: {"*": {LINE_LENGTH_MAX: {"max": 200}}},
        keys=((LINE_LENGTH_MAX, "int64", "characters of the longest line"),),
        reasons=((R_LINE_TOO_LONG, "a line longer than thresholds.<lang>.line_length_max.max"),),
    )


STAGE: Stage | None = None

# ---------------------------------------------------------------- its test


@pytest.fixture
def registered():
    from corpus import stages

    global STAGE
    STAGE = declare()
    stages.register(STAGE, after=vocab.LANG_ID)
    yield STAGE
    stages.unregister(MAX_LINE_LENGTH)
    # leave the process's vocabulary as the other tests expect it
    del vocab.KEYS[LINE_LENGTH_MAX], vocab.REASONS[R_LINE_TOO_LONG]
    vocab.STAGES.remove(MAX_LINE_LENGTH)


def test_the_config_knows_the_new_stage_and_its_signal(registered):
    from corpus.config import load_config
    from corpus.core.configlib import ConfigError

    cfg = load_config(None, stages=[MAX_LINE_LENGTH], thresholds={"en": {LINE_LENGTH_MAX: {"max": 80}}})
    rules = registered.rules_of(cfg)
    assert [(r.key, r.reason, r.max) for r in rules["en"]] == [(LINE_LENGTH_MAX, R_LINE_TOO_LONG, 80)]
    assert [r.max for r in rules["*"]] == [200]  # the declared default
    with pytest.raises(ConfigError, match=f"thresholds.en.{LINE_LENGTH_MAX}.most"):
        load_config(None, stages=[MAX_LINE_LENGTH], thresholds={"en": {LINE_LENGTH_MAX: {"most": 80}}})


def test_build_drops_by_the_new_rule_and_refilter_replays_it(registered, tmp_path):
    from corpus.build import build
    from corpus.config import load_config
    from corpus.refilter import effective_config, refilter
    from corpus.core.sql import connect

    texts = ["short lines\nonly here", "x" * 300 + "\nand a short one", "fine\n" + "y" * 150]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"text": t, "id": f"d{i}"}) + "\n" for i, t in enumerate(texts)))
    cfg = load_config(
        None,
        inputs=(str(src),),
        output=str(tmp_path / "out"),
        stages=[MAX_LINE_LENGTH],
        input={"id_field": "id"},
        executor={"workers": 1},
    )
    result = build(cfg)
    assert result.exit_code == 0 and result.funnel["totals"] == {"kept": 2, "dropped": 1, "failed": 0}
    con = connect(str(tmp_path / "out"))
    assert con.execute(f"select id, stage, reason, {LINE_LENGTH_MAX} from dropped").fetchall() == [
        ("d1", MAX_LINE_LENGTH, R_LINE_TOO_LONG, 300)
    ]
    assert sorted(con.execute(f"select {LINE_LENGTH_MAX} from kept").fetchall()) == [(11,), (150,)]

    looser = effective_config(str(tmp_path / "out"), sets=(f"{LINE_LENGTH_MAX}.max=1000",))
    assert refilter(str(tmp_path / "out"), str(tmp_path / "re"), looser).funnel["totals"]["kept"] == 3
    tighter = effective_config(str(tmp_path / "out"), sets=(f"{LINE_LENGTH_MAX}.max=100",))
    assert refilter(str(tmp_path / "out"), str(tmp_path / "re2"), tighter).funnel["totals"]["kept"] == 1
