"""Every drop explained: the rule, value and threshold columns of `dropped` (written by the build and by
refilter alike), `corpus explain OUT ID`, and the report's samples; builds made before the columns."""

import json

import pyarrow.parquet as pq
import pytest

from corpus.core import vocab as v
from tests.clirun import corpus
from tests.corpus.helpers import make_config

STAGES = ["url_filter", "lang_id", "gopher_quality", "gopher_repetition", "c4", "fineweb", "garbled"]
RULE = (v.RULE_COL, v.VALUE_COL, v.THRESHOLD_COL)
TIGHTER = {"en": {"gopher_word_count": {"min": 200}}, "*": {"lang_score": {"min": 0.9}}}


def _build(src, out, **overrides):
    from corpus.build import build

    assert build(make_config([src], out, stages=STAGES, executor={"workers": 1}, **overrides)).exit_code == 0
    return out


@pytest.fixture(scope="module")
def annotated(demo_warc, tmp_path_factory):
    """The demo WARC through the heuristic stages, every signal for every document (do not modify)."""
    return _build(demo_warc, tmp_path_factory.mktemp("explain") / "out", annotate_all=True)


def _rows(out, where="true"):
    from corpus.core.sql import connect

    return (
        connect(str(out))
        .execute(f"select id, fate, stage, reason, {', '.join(RULE)} from docs where {where} order by id")
        .fetchall()
    )


def test_a_threshold_drop_names_its_signal_value_and_threshold(annotated):
    from corpus.core.sql import connect
    from corpus.core.steps import rules_for
    from corpus.refilter import effective_config, recorded_models, stage_rules

    rules = dict(stage_rules(effective_config(str(annotated)), recorded_models(str(annotated))))
    dropped = _rows(annotated, "fate = 'dropped'")
    by_rule = [r for r in dropped if r[2] in rules and r[3] != v.R_LANG_NOT_KEPT]
    assert {r[2] for r in by_rule} >= {"gopher_quality"}
    for did, _, stage, reason, signal, value, threshold in by_rule:
        assert v.KEYS[signal].stage == stage and reason in (v.KEYS[signal].below, v.KEYS[signal].above)
        assert isinstance(value, float) and isinstance(threshold, float)
        assert (value < threshold) if reason == v.KEYS[signal].below else (value > threshold)
        lang = connect(str(annotated)).execute(f"select lang from docs where id = '{did}'").fetchone()[0]
        assert any(r.reason == reason and r.crossed(value) == threshold for r in rules_for(rules[stage], lang))
    # a decision that is no threshold names no number: a blocklist, content, a language not kept
    others = {(r[2], r[3]): r[4:] for r in dropped if r not in by_rule}
    assert others[("url_filter", v.R_BLOCKED_DOMAIN)] == (None, None, None)
    assert others[("content", v.R_NOT_HTML)] == (None, None, None)
    assert others[("lang_id", v.R_LANG_NOT_KEPT)] == (v.LANG, None, None)
    assert all(r[4:] == (None, None, None) for r in _rows(annotated, "fate = 'kept'"))


def test_refilter_writes_the_rule_columns_as_a_rebuild_does(annotated, demo_warc, tmp_path):
    r = corpus(
        "refilter",
        annotated,
        "--set",
        "en.gopher_word_count.min=200",
        "--set",
        "lang_score.min=0.9",
        "-o",
        tmp_path / "re",
    )
    assert r.returncode == 0, r.stderr
    rebuilt = _build(demo_warc, tmp_path / "rebuilt", annotate_all=True, thresholds=TIGHTER)
    after = _rows(tmp_path / "re")
    assert after == _rows(rebuilt)
    assert after != _rows(annotated)  # the new thresholds decided something, with their own numbers
    assert ("gopher_word_count", 200.0) in {(r[4], r[6]) for r in after}
    assert ("lang_score", 0.9) in {(r[4], r[6]) for r in after}


def _strip_rule_columns(out):
    """The build as builds made before the rule columns wrote it."""
    for path in out.glob("*/*.parquet"):
        table = pq.read_table(path)
        pq.write_table(table.drop_columns([c for c in RULE if c in table.column_names]), path)


def test_a_build_made_before_the_rule_columns_still_refilters_reports_and_explains(annotated, copy_build, tmp_path):
    old = copy_build(annotated, "old")
    _strip_rule_columns(old)
    r = corpus("sql", old, "select count(rule) as n from dropped", "--format", "csv")
    assert r.returncode == 0 and r.stdout.splitlines() == ["n", "0"], r.stderr
    r = corpus("refilter", old, "--set", "en.gopher_word_count.min=200", "-o", tmp_path / "re")
    assert r.returncode == 0, r.stderr
    assert ("gopher_word_count", 200.0) in {(row[4], row[6]) for row in _rows(tmp_path / "re")}
    r = corpus("report", old, "-o", tmp_path / "old.html")
    assert r.returncode == 0, r.stderr
    dropped_id = _rows(annotated, "reason = 'gopher_short_doc'")[0][0]
    r = corpus("explain", old, dropped_id)
    assert r.returncode == 0 and "dropped at gopher_quality (gopher_short_doc" in r.stdout, r.stderr


def test_explain_shows_every_stage_signal_threshold_and_the_fate(annotated):
    did, _, _, _, signal, value, threshold = _rows(annotated, "reason = 'gopher_short_doc'")[0]
    r = corpus("explain", annotated, did)
    assert r.returncode == 0, r.stderr
    assert (
        f"fate: dropped at gopher_quality (gopher_short_doc: too few words): gopher_word_count "
        f"{value:g} < min {threshold:g}" in r.stdout
    )
    lines = r.stdout.splitlines()
    table = lines[lines.index("") + 1 :]
    verdicts = {
        cells[0]: cells[1] for cells in ([c.strip() for c in line.split("|")] for line in table[2:]) if cells[0]
    }
    assert [s for s in verdicts] == ["read", "content", "extract", *STAGES]
    assert [verdicts[s] for s in ("read", "content", "extract", "url_filter", "lang_id")] == ["passed"] * 5
    assert verdicts["gopher_quality"] == "dropped"
    # --annotate-all: the stages after the drop scored the document but decided nothing
    assert verdicts["c4"] == "scored after the drop"
    crossed = next(line for line in table if "gopher_word_count" in line)
    assert f"min {threshold:g} (crossed)" in crossed and "max" in crossed
    assert next(line for line in table if " lang_score " in line).rstrip().endswith("min 0.65")

    kept = _rows(annotated, "fate = 'kept' and lang = 'zh'")[0][0]
    r = corpus("explain", annotated, kept, "--json")
    assert r.returncode == 0, r.stderr
    (ex,) = json.loads(r.stdout)
    assert ex["fate"] == "kept" and {s["verdict"] for s in ex["stages"]} == {"passed"}
    words = next(s for st in ex["stages"] for s in st["signals"] if s["signal"] == "gopher_word_count")
    assert words["threshold"].startswith("min ")  # zh's own bound, not English's 50


@pytest.mark.parametrize(
    "args, message",
    [
        (["explain", "{out}", "no-such-id"], "no document with id 'no-such-id'"),
        (["explain", "{tmp}", "x"], "is not a finished build output directory"),
    ],
)
def test_explain_mistakes_are_one_line(annotated, tmp_path, args, message):
    r = corpus(*[a.format(out=annotated, tmp=tmp_path) for a in args])
    assert r.returncode == 2 and r.stderr.startswith("error: ") and message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_the_report_shows_the_rule_beside_each_dropped_sample(annotated, tmp_path):
    from reports.report import write_report

    page = open(write_report(str(annotated), str(tmp_path / "r.html")), encoding="utf-8").read()
    _, _, _, _, signal, value, threshold = _rows(annotated, "reason = 'gopher_short_doc'")[0]
    assert f"<span class='rule'><code>{signal}</code> {value:.6g} &lt; min {threshold:.6g}</span>" in page
