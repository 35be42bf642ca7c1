"""`corpus calibrate --reference`: bounds from clean reference text, joint budget, output."""

import gzip
import json

import numpy as np
import pandas as pd
import pytest
import yaml

from corpus.core import vocab as v
from corpus.calibrate_reference import (
    _Slot,
    _why_not,
    allocate,
    calibrate_reference,
    conservative,
    fragment,
    read_reference,
    table,
)

SENTENCES = [
    "The old harbour town grew slowly around the fishing trade that shaped the lives of most families there.",
    "Each morning the boats left before dawn and returned with the catch that was sold at the busy market.",
    "A small school was built near the church so that the children of the workers could learn to read.",
    "During the long winters the village relied on stored grain and on the salted fish kept in the cellars.",
    "The railway reached the coast in the late nineteenth century and brought visitors from the large cities.",
    "Hotels opened along the promenade and the town slowly turned from fishing to the business of tourism.",
    "Many older residents still remember the storms that destroyed the pier and flooded the lower streets.",
    "The local museum now keeps photographs, nets and tools that show how the harbour worked in the past.",
    "Historians have argued that the decline of fishing was caused by both overfishing and changing markets.",
    "Today the harbour is quiet in winter, but in summer it is full of sailing boats and crowded cafes.",
]
JUNK = [
    "Home",
    "About us",
    "Shop now",
    "Cheap shoes online",
    "Best price guaranteed",
    "Login",
    "Register",
    "Contact",
    "Free shipping today",
    "Sale items",
    "Gift cards",
    "Track your order",
]


C4_FIVE = {"en": {"c4_sentences": {"min": 5}}}  # C4's own value, whatever the shipped default


def article(i: int, k: int) -> str:
    """k distinct sentences, one a line: a clean short article."""
    return "\n".join(SENTENCES[(i + j) % len(SENTENCES)] for j in range(k))


def junk(i: int) -> str:
    return "\n".join(f"{JUNK[(i + j) % len(JUNK)]} {JUNK[(i + 2 * j) % len(JUNK)].lower()}" for j in range(12))


def write_jsonl(path, rows) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


# ---------------------------------------------------------------- pieces


@pytest.mark.parametrize(
    "x,bound,expected",
    [
        (0.123456, "min", 0.123),
        (0.123456, "max", 0.124),
        (1234, "min", 1230),
        (1234, "max", 1240),
        (0.0, "max", 0.0),
        (5.0, "min", 5.0),
        (0.00012345, "max", 0.000124),
    ],
)
def test_conservative_rounding_keeps_more(x, bound, expected):
    assert conservative(x, bound) == pytest.approx(expected)
    assert (conservative(x, bound) <= x) if bound == "min" else (conservative(x, bound) >= x)


def test_candidates_are_order_statistics():
    values = np.arange(1.0, 101.0)  # 100 reference documents, values 1..100
    s = _Slot("c4_sentences", "min", 5.0, values, "")
    assert s.candidates(0.9, tighten=True)[-1] == 11  # min 11 removes exactly 10 documents (1..10)
    assert s.candidates(0.9, tighten=True)[0] == 1  # min 1 removes none
    assert s.candidates(0.9, tighten=False)[-1] == 5  # never tighter than the current bound
    hi = _Slot("gopher_word_count", "max", 1000.0, values, "")
    assert hi.candidates(0.95, tighten=True) == [100, 99, 98, 97, 96, 95]
    assert hi.candidates(0.95, tighten=False) == [1000]


@pytest.mark.parametrize(
    "values,min_docs,note",
    [
        ([], 5, "no reference signal"),
        ([1.0, 2.0], 5, "too few reference docs (2 < 5)"),
        ([0.0] * 10, 5, "reference constant at 0"),
        ([0.0] * 9 + [0.5], 5, ""),
    ],
)
def test_where_the_reference_cannot_place_a_bound(values, min_docs, note):
    assert _why_not(np.array(values), min_docs) == note


def test_budget_goes_where_it_removes_most_crawl():
    """Two min rules each removing 10% of the reference: one also removes much crawl, the other
    none. A 10% budget keeps the first where it is and loosens the second."""
    n = 100
    ref = pd.DataFrame({v.C4_SENTENCES: [1.0] * 10 + [6.0] * 90, v.GOPHER_STOP_WORDS: [6.0] * 90 + [1.0] * 10})
    crawl = pd.DataFrame({v.C4_SENTENCES: [2.0] * 50 + [6.0] * 50, v.GOPHER_STOP_WORDS: [6.0] * 100})
    ss = [
        _Slot(v.C4_SENTENCES, "min", 5.0, np.sort(ref[v.C4_SENTENCES].to_numpy()), ""),
        _Slot(v.GOPHER_STOP_WORDS, "min", 5.0, np.sort(ref[v.GOPHER_STOP_WORDS].to_numpy()), ""),
    ]
    sentences, stop = allocate(ss, ref, crawl, keep=0.9, tighten=False)
    assert sentences == 5 and stop == 1
    removed = (ref[v.C4_SENTENCES] < sentences) | (ref[v.GOPHER_STOP_WORDS] < stop)
    assert removed.sum() <= round((1 - 0.9) * n)
    assert allocate(ss, ref, crawl, keep=0.95, tighten=False) == [1, 1]  # 5% cannot pay for either


def test_read_reference_formats(tmp_path):
    j = write_jsonl(tmp_path / "r.jsonl", [{"text": "a b", "lang": "en"}, {"text": "中文"}])
    assert read_reference(j) == [("a b", "en"), ("中文", None)]
    t = tmp_path / "r.txt.gz"
    with gzip.open(t, "wt", encoding="utf-8") as f:
        f.write("first doc\n\nsecond doc\n")
    assert read_reference(str(t)) == [("first doc", None), ("second doc", None)]
    bad = write_jsonl(tmp_path / "bad.jsonl", [{"content": "x"}])
    with pytest.raises(ValueError, match="bad.jsonl:1"):
        read_reference(bad)


# ---------------------------------------------------------------- a real build


@pytest.fixture(scope="module")
def crawl_and_reference(tmp_path_factory):
    """A crawl build (short articles and navigation junk) and a reference of short articles,
    a third of which have 3-4 sentences: C4's min 5 drops them."""
    from corpus.build import build
    from corpus.config import load_config

    root = tmp_path_factory.mktemp("calref")
    ref = write_jsonl(root / "ref.jsonl", [{"text": article(i, 3 + i % 6)} for i in range(30)])
    rows = [{"text": article(i, 2 + i % 7), "id": f"good{i}"} for i in range(20)]
    rows += [{"text": junk(i), "id": f"junk{i}"} for i in range(10)]
    crawl = write_jsonl(root / "crawl.jsonl", rows)
    stages = ("lang_id", "gopher_quality", "gopher_repetition", "c4", "fineweb")
    cfg = load_config(
        None,
        inputs=(crawl,),
        output=str(root / "out"),
        stages=stages,
        annotate_all=True,
        input={"id_field": "id"},
        executor={"workers": 1},
        thresholds=C4_FIVE,
    )
    assert build(cfg).exit_code == 0
    return root, cfg, ref


def _kept(ref, out, stages, thresholds) -> int:
    import duckdb

    from corpus.build import build
    from corpus.config import load_config

    cfg = load_config(
        None, inputs=(ref,), output=str(out), stages=stages, executor={"workers": 1}, thresholds=thresholds
    )
    build(cfg)
    return duckdb.connect().execute(f"select count(*) from read_parquet('{out}/kept/*.parquet')").fetchone()[0]


def test_proposals_keep_the_reference_and_drop_the_junk(crawl_and_reference, tmp_path):
    from corpus.refilter import effective_config, refilter

    root, cfg, ref = crawl_and_reference
    results, other = calibrate_reference(cfg.output, ref, cfg, keep=0.9, min_docs=10)
    assert other == 0 and [r.lang for r in results] == ["en"]
    en = results[0]
    assert en.ref_now > 0.2 and en.ref_new <= 0.1  # C4's 5 sentences drop a third of the reference
    assert en.crawl_new >= 10 / 30  # the junk still goes
    sentences = next(b for b in en.bounds if b.key == v.C4_SENTENCES)
    assert sentences.current == 5 and sentences.proposed == 3 and sentences.ref_new == 0
    assert "c4_sentences" in table(en) and "all rules" in table(en)

    frag = tmp_path / "t.yaml"
    frag.write_text(fragment(results))
    parsed = yaml.safe_load(frag.read_text())
    assert parsed["thresholds"]["en"][v.C4_SENTENCES] == {"min": 3}
    # the proposal, built: the reference keeps its share; refiltered: the junk still goes
    assert _kept(ref, tmp_path / "before", cfg.stages, C4_FIVE) < 0.8 * 30
    assert _kept(ref, tmp_path / "after", cfg.stages, parsed["thresholds"]) >= 0.9 * 30
    refilter(cfg.output, str(tmp_path / "re"), effective_config(cfg.output, str(frag)))
    import duckdb

    kept = {
        r[0]
        for r in duckdb.connect().execute(f"select id from read_parquet('{tmp_path}/re/kept/*.parquet')").fetchall()
    }
    assert not any(k.startswith("junk") for k in kept) and len(kept) > 10


def test_a_build_of_the_reference_gives_the_same_proposals(crawl_and_reference, tmp_path):
    """Scoring the reference in calibrate and building it (--annotate-all) run the same code."""
    from dataclasses import replace

    from corpus.build import build

    root, cfg, ref = crawl_and_reference
    built = replace(cfg, inputs=(ref,), output=str(tmp_path / "ref"), input=replace(cfg.input, id_field=""))
    assert build(built).exit_code == 0
    from_file, _ = calibrate_reference(cfg.output, ref, cfg, keep=0.9, min_docs=10)
    from_build, _ = calibrate_reference(cfg.output, str(tmp_path / "ref"), cfg, keep=0.9, min_docs=10)
    assert from_file == from_build


def test_cli_writes_a_fragment(crawl_and_reference, tmp_path):
    import typer
    from typer.testing import CliRunner

    from corpus.refilter_cli import register

    app = typer.Typer()
    register(app)
    root, cfg, ref = crawl_and_reference
    out = tmp_path / "t.yaml"
    r = CliRunner().invoke(
        app,
        [
            "calibrate",
            cfg.output,
            "--reference",
            ref,
            "--keep",
            "0.9",
            "--min-docs",
            "10",
            "--write",
            str(out),
            "--per-rule",
        ],
    )
    assert r.exit_code == 0, r.output
    assert "each rule alone may remove 10.0% of the reference" in r.output
    assert yaml.safe_load(out.read_text())["thresholds"]["en"][v.C4_SENTENCES] == {"min": 3}
    r = CliRunner().invoke(app, ["calibrate", cfg.output, "--reference", ref, "--keep", "0.3"])
    assert r.exit_code == 2 and "keep must be within" in r.output


# ---------------------------------------------------------------- real data


def _drop_share(rows: list[dict], thresholds: dict, lang: str) -> float:
    """Share of rows any heuristic rule drops, by the build's own Rule objects."""
    from corpus.config import load_config
    from corpus.stages import STAGES
    from corpus.core.steps import rules_for
    from filters.heuristics.steps import FAMILIES

    cfg = load_config(None, thresholds=thresholds)
    rules = [r for fam in FAMILIES for r in rules_for(STAGES[fam].rules_of(cfg), lang)]
    return sum(any(r.fires(row.get(r.key)) for r in rules) for row in rows) / len(rows)


@pytest.mark.realdata
def test_csl_abstracts_against_real_chinese_spam(shared_data, tmp_path):
    """Reference: the CSL abstracts (plain text, language found by the build's LID); crawl: the
    Common Crawl 2020-34 sample (11 Chinese gambling/porn/spam pages). The proposals keep 98% of
    the abstracts, checked by the build's rules on signals scored anew, and still drop the spam."""
    import duckdb

    from corpus.build import build
    from corpus.calibrate_reference import reference_frame
    from corpus.config import load_config
    from filters.heuristics.families import FAMILIES

    stages = ("url_filter", "lang_id", *FAMILIES)
    crawl = shared_data / "warc-real/commoncrawl_real/resiliparse_CC-MAIN-2020-34_sample.warc.gz"
    cfg = load_config(
        None,
        inputs=(str(crawl),),
        output=str(tmp_path / "crawl"),
        stages=stages,
        annotate_all=True,
        executor={"workers": 1},
    )
    assert build(cfg).exit_code == 0
    reference = str(shared_data / "reference/zh-csl-abstracts.txt.gz")
    results, other = calibrate_reference(cfg.output, reference, cfg, keep=0.98)
    zh = next(r for r in results if r.lang == "zh")
    assert zh.ref_docs > 1000 and other < 20 and zh.crawl_docs >= 10
    thresholds = yaml.safe_load(fragment(results))["thresholds"]

    ref, _ = reference_frame(reference, cfg)
    ref_rows = ref[ref[v.LANG] == "zh"].to_dict("records")
    assert _drop_share(ref_rows, thresholds, "zh") == pytest.approx(zh.ref_new) and zh.ref_new <= 0.02
    assert _drop_share(ref_rows, {}, "zh") == pytest.approx(zh.ref_now)
    crawl_rows = (
        duckdb.connect()
        .execute(f"""select * from read_parquet('{cfg.output}/*/*.parquet', union_by_name=true)
                                              where {v.LANG} = 'zh' and {v.C4_SENTENCES} is not null""")
        .fetchdf()
    )
    crawl_rows = crawl_rows.to_dict("records")
    assert _drop_share(crawl_rows, thresholds, "zh") == pytest.approx(zh.crawl_new)
    assert zh.crawl_new >= zh.crawl_now - 0.1  # the spam stays out (at most one page of 11 let through)
