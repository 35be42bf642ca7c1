"""Training text in web shapes: the `teasers` negatives (home pages composed from (headline, blurb) rows
and interface words) and the quality positives' web layout."""

import csv
import dataclasses
import gzip
import random

import pytest

from filters.models.common import read_manifest
from filters.models.demo import DEMO_PARAMS, demo_data
from filters.models.registry import model_dir
from filters.models.sources import read_source
from filters.models.synthetic import first_sentence, interface_words, layout_spec, relayout, teaser_pages, web_layout
from filters.models.train import train_quality

ITEMS = [
    (f"Headline number {i} (AP)", f"AP - The first sentence of item {i} says what happened today. A second one.")
    for i in range(20)
]


def test_teaser_pages_are_headlines_blurbs_and_interface_lines_and_repeat_with_the_seed():
    pages = teaser_pages(ITEMS, 50, "en", seed=3)
    assert len(pages) == 50 and pages == teaser_pages(ITEMS, 50, "en", seed=3)
    assert pages != teaser_pages(ITEMS, 50, "en", seed=4)
    words = interface_words("en")
    interface = {*words["navigation"], *words["actions"]}
    for page in pages:
        lines = page.split("\n")
        headlines = [x for x in lines if x.startswith("Headline number ")]
        assert 4 <= len(headlines) <= 10 and not any("(AP)" in x for x in headlines)
        assert all(
            x in interface or x.startswith(("Headline", "AP - The first", "©")) or x[:3] in words["months"]
            for x in lines
        ), page
        assert "A second one." not in page  # a blurb is its first sentence
    assert sum(any(x in words["actions"] for x in p.split("\n")) for p in pages) > 25


@pytest.mark.parametrize(
    "text, first",
    [
        ("Short. " + "x" * 300, "Short. " + "x" * 213),  # no sentence end within 30-220 characters: the start
        ("A sentence that is long enough to count. Then more.", "A sentence that is long enough to count."),
        ("Line one\\nstill one sentence here, and it ends! Next", "Line one nstill one sentence here, and it ends!"),
    ],
)
def test_a_blurb_is_the_first_sentence(text, first):
    assert first_sentence(text) == first


def test_a_teasers_source_reads_title_and_blurb_columns(tmp_path):
    path = tmp_path / "news.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([["3", t, b] for t, b in ITEMS])
    spec = {"path": "news.csv.gz", "format": "csv", "header": False, "field": "1", "blurb": "2", "teasers": 7}
    pages = read_source(tmp_path, spec, "en")
    assert len(pages) == 7 and all("Headline number" in p for p in pages)
    with pytest.raises(ValueError, match="no interface words for 'xx'"):
        read_source(tmp_path, spec, "xx")


ZH = "今天上午，市政府召开发布会。会议介绍了新的交通规划：地铁三号线将于明年开通！市民怎么看？记者进行了采访。"
EN = "The council met on Monday. It approved the plan, which costs more than expected! Will it pass? Nobody knows."


@pytest.mark.parametrize("text", [ZH, EN])
@pytest.mark.parametrize("clauses", [False, True])
def test_relayout_keeps_every_character_in_order_and_only_moves_line_breaks(text, clauses):
    for seed in range(5):
        got = relayout(text, random.Random(seed), clauses)
        assert got.replace("\n", "").replace(" ", "") == text.replace(" ", "")
        lines = got.split("\n")
        assert all(line.strip() == line and line for line in lines)
        ends = "。！？" if text is ZH else ".!?"
        marks = ends + ("，；：" if text is ZH else ",;:") * clauses
        assert 2 <= len(lines) <= sum(map(text.count, marks))
        assert all(line[-1] in marks for line in lines)  # a line ends where a sentence (or clause) does


def test_clause_lines_are_shorter_than_sentence_lines():
    sentences = relayout(ZH * 4, random.Random(1), False).split("\n")
    clauses = relayout(ZH * 4, random.Random(1), True).split("\n")
    assert len(clauses) > len(sentences) and max(map(len, clauses)) < max(map(len, sentences))


def test_web_layout_relays_its_share_and_repeats_with_the_seed():
    texts = [f"{ZH}{i}" for i in range(400)]
    got = web_layout(texts, 0.5, 0.3, seed=5)
    changed = [g for g, t in zip(got, texts) if g != t]
    assert 160 < len(changed) < 240 and got == web_layout(texts, 0.5, 0.3, seed=5)
    assert got != web_layout(texts, 0.5, 0.3, seed=6)
    assert web_layout(texts, 0.0, 1.0) == texts and all("\n" in g for g in web_layout(texts, 1.0))


@pytest.mark.parametrize(
    "spec, error",
    [
        ({"share": 1.5}, "share must be a number between 0 and 1"),
        ({"share": "half"}, "share must be a number between 0 and 1, got 'half'"),
        ({"share": 0.5, "clauses": -0.1}, "clauses must be a number between 0 and 1"),
        ({"share": 0.5, "clause": 0.1}, "unknown keys \\['clause'\\]"),
        ({"clauses": 0.2}, "`share` is required"),
    ],
)
def test_a_bad_layout_entry_is_refused_with_its_key(spec, error):
    with pytest.raises(ValueError, match=error):
        layout_spec(spec, "zh")


def test_a_quality_model_records_the_layout_of_its_positives(tmp_path):
    data = demo_data()["zh"]
    train_quality(
        "zh", dataclasses.replace(data, layout={"share": 1.0, "clauses": 0.5, "seed": 2}), str(tmp_path), DEMO_PARAMS
    )
    train_quality("zh", data, str(tmp_path / "plain"), DEMO_PARAMS)
    got = read_manifest(model_dir(tmp_path, "quality", "zh"))
    plain = read_manifest(model_dir(tmp_path / "plain", "quality", "zh"))
    assert got["params"]["positives_layout"] == {"share": 1.0, "clauses": 0.5, "seed": 2}
    assert plain["params"]["positives_layout"] is None
    assert got["files"]["model.ftz"]["sha256"] != plain["files"]["model.ftz"]["sha256"]


@pytest.mark.parametrize(
    "sources, error",
    [
        (
            "reference: {zh: [{path: ref.txt}]}\nlayout: {zh: {share: 2}}\n",
            "layout.zh.share must be a number between 0 and 1, got 2",
        ),
        ("reference: {zh: [{path: missing.txt}]}\n", "missing.txt"),
    ],
)
def test_models_train_refuses_a_bad_sources_file_in_one_line_and_writes_nothing(tmp_path, sources, error):
    from tests.clirun import corpus

    (tmp_path / "sources.yaml").write_text(sources, encoding="utf-8")
    (tmp_path / "ref.txt").write_text(ZH + "\n", encoding="utf-8")
    out = tmp_path / "models"
    r = corpus(
        "models", "train", "--data", tmp_path, "--sources", tmp_path / "sources.yaml", "--langs", "zh", "-o", out
    )
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert r.stderr.startswith("error: training data (") and error in r.stderr
    assert not out.exists()
