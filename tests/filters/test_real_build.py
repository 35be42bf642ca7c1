"""On a real build (--annotate-all): every signal present, refilter vs rebuild, calibrate and
report. One build serves every test of the module."""

import json

import duckdb
import pytest

from corpus.core import vocab as v
from corpus.build import build
from corpus.config import load_config
from filters.heuristics.families import FAMILIES

STAGES = ("url_filter", "lang_id", *FAMILIES)
INPUTS = (
    "warc/en-articles-00.warc.gz",
    "warc/zh-news-00.warc.gz",
    "warc-real/other_real_crawls/dolma_sample-0000.warc.gz",
    "warc-real/commoncrawl_real/resiliparse_CC-MAIN-2020-34_sample.warc.gz",
)


def _build(inputs, out, annotate, thresholds=None, **extra):
    cfg = load_config(
        None,
        inputs=tuple(str(p) for p in inputs),
        output=str(out),
        stages=STAGES,
        annotate_all=annotate,
        executor={"workers": 2},
        thresholds=thresholds or {},
        **extra,
    )
    result = build(cfg, overwrite=True)
    assert result.exit_code == 0
    return cfg


@pytest.fixture(scope="module")
def annotated(shared_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("annotated")
    _build([shared_data / p for p in INPUTS], out, annotate=True)
    return out


@pytest.mark.realdata
def test_every_doc_of_a_kept_language_has_every_signal(annotated):
    con = duckdb.connect()
    nulls = con.execute(f"""select count(*) filter (where {v.GOPHER_WORD_COUNT} is null or {v.C4_SENTENCES} is null
                                                or {v.GARBLED_CONTROL_RATIO} is null), count(*)
                            from read_parquet('{annotated}/*/*.parquet', union_by_name=true)
                            where {v.LANG} in ('en', 'zh')""").fetchall()[0]
    assert nulls[1] > 250 and nulls[0] == 0


def _kept_ids(out) -> set:
    return {r[0] for r in duckdb.connect().execute(f"select id from read_parquet('{out}/kept/*.parquet')").fetchall()}


@pytest.mark.realdata
def test_refilter_equals_rebuild(annotated, tmp_path):
    """Both builds read the real build's extracted texts (JSONL with their ids), so the rebuild
    skips extraction and the test stays fast; the heuristic stages run in full both times."""
    from corpus.refilter import effective_config, refilter

    jsonl = tmp_path / "extracted.jsonl"
    duckdb.connect().execute(f"""copy (select id, text, {v.URL} as url from read_parquet('{annotated}/*/*.parquet',
                                 union_by_name=true) where {v.LANG} is not null order by id) to '{jsonl}' (format json)""")  # noqa: E501
    source = tmp_path / "source"
    _build([jsonl], source, annotate=True, input={"id_field": "id"})
    sets = (
        "en.gopher_word_count.min=120",
        "zh.gopher_word_count.min=150",
        "c4_sentences.min=3",
        "fineweb_char_dup_ratio.max=0.05",
        "en.gopher_alpha_words_ratio.min=0.7",
    )
    cfg = effective_config(str(source), sets=sets)
    result = refilter(str(source), str(tmp_path / "refiltered"), cfg)
    rebuilt = tmp_path / "rebuilt"
    _build(
        [jsonl], rebuilt, annotate=False, thresholds=json.loads(json.dumps(cfg.thresholds)), input={"id_field": "id"}
    )
    assert _kept_ids(tmp_path / "refiltered") == _kept_ids(rebuilt)
    assert _kept_ids(tmp_path / "refiltered") != _kept_ids(source)  # the new thresholds changed something
    assert len(_kept_ids(rebuilt)) > 100
    assert result.funnel["totals"] == json.load(open(rebuilt / "funnel.json"))["totals"]


@pytest.mark.realdata
def test_calibrate_proposes_thresholds(annotated, tmp_path):
    import yaml

    from corpus.calibrate import calibrate
    from corpus.refilter import effective_config

    cfg = effective_config(str(annotated))
    table, proposals, fragment = calibrate(str(annotated), cfg, percentile=10)
    assert table["en"][v.GOPHER_WORD_COUNT]["p50"] > table["en"][v.GOPHER_WORD_COUNT]["p10"]
    word_min = next(p for p in proposals if p.lang == "zh" and p.key == v.GOPHER_WORD_COUNT and p.bound == "min")
    assert 0.0 < word_min.removes <= 0.15  # about the percentile asked for
    parsed = yaml.safe_load(fragment)
    assert parsed["thresholds"]["zh"][v.GOPHER_WORD_COUNT]["min"] == word_min.proposed
    path = tmp_path / "cal.yaml"
    path.write_text(fragment)
    assert effective_config(str(annotated), config=str(path)).thresholds["zh"]


@pytest.mark.realdata
def test_report_needs_nothing_from_the_network(annotated, tmp_path):
    from reports.report import write_report

    path = write_report(str(annotated), str(tmp_path / "r.html"))
    page = open(path, encoding="utf-8").read()
    assert page.count('class="plot-data"') > 30 and 'src="http' not in page
    assert (tmp_path / "plotly.min.js").stat().st_size > 1_000_000  # the charting library, beside the page
    for needle in ("gopher_word_count", "fineweb_line_punct_ratio", "lang_not_kept", "too_few_sentences"):
        assert needle in page
    assert "<script" not in page.split("<pre>", 1)[-1].split("</pre>")[0]  # dropped text is escaped


@pytest.mark.realdata
def test_cli_calibrate_then_refilter(annotated, tmp_path):
    from typer.testing import CliRunner

    from corpus.cli import make_app

    app = make_app(("corpus.refilter_cli",))
    runner = CliRunner()
    frag = tmp_path / "t.yaml"
    r = runner.invoke(app, ["calibrate", str(annotated), "-p", "5", "-o", str(frag)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["refilter", str(annotated), "-c", str(frag), "-o", str(tmp_path / "o2")])
    assert r.exit_code == 0, r.output
    funnel = json.load(open(tmp_path / "o2" / "funnel.json"))
    assert funnel["totals"]["dropped"] > json.load(open(annotated / "funnel.json"))["totals"]["dropped"]
    r = runner.invoke(
        app, ["refilter", str(annotated), "--set", "en.gopher_word_count.min", "-o", str(tmp_path / "o3")]
    )
    assert r.exit_code == 2
