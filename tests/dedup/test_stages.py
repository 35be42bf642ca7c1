import pytest

from corpus.core import vocab
from dedup.config import MinhashConfig, ParagraphConfig, Shingling
from dedup.synth import Doc

from dedup_testlib import run

EN1 = (
    "The committee met on Tuesday to discuss the new budget for the city library and agreed to extend "
    "opening hours on weekends, hire two more librarians and renovate the reading room before winter. "
    "Residents had asked for longer hours for years, and a survey last spring showed strong support."
)
EN2 = (
    "A small bakery on the corner of Fifth Street has started selling bread made from an old family "
    "recipe, and the queue now reaches the end of the block every Saturday morning before opening. "
    "The owner says the secret is a slow overnight rise and flour milled at a farm nearby."
)
ZH1 = (
    "市图书馆委员会周二开会讨论新的预算，同意延长周末开放时间，再招聘两名图书管理员，并在冬季之前翻新阅览室。"
    "居民多年来一直希望延长开放时间，去年春天的一项调查显示大多数人支持这一计划。"
)
ZH2 = (
    "第五街拐角的一家小面包店开始出售按照祖传配方制作的面包，每到周六早上开门之前，排队的人一直排到街尾。"
    "店主说秘诀在于面团要慢慢发酵一整夜，面粉则来自附近农场磨制的新麦。"
)
BOILER = "Subscribe to our newsletter to receive the latest stories every morning."
BOILER_ZH = "本文来源于网络，如有侵权请联系删除，谢谢合作。"


def test_paragraph_dedup_removes_later_copies_and_drops_emptied_docs(tmp_path):
    rule = "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"  # layout, not text
    docs = [
        Doc("a", f"{BOILER}\n{rule}\n{EN1}", "en"),
        Doc("b", f"{EN2}\n{BOILER}\n{rule}\nShare", "en"),
        Doc("c", f"{BOILER}\nShare", "en"),
        Doc("d", f"{BOILER_ZH}\n{ZH1}", "zh"),
        Doc("e", f"{ZH2}\n{BOILER_ZH}", "zh"),
    ]
    rows = run(vocab.DEDUP_PARAGRAPH, docs, tmp_path, files=1)
    assert rows["a"]["text"] == f"{BOILER}\n{rule}\n{EN1}" and rows["a"][vocab.DEDUP_PARAGRAPHS_REMOVED] == 0
    assert rows["b"]["text"] == f"{EN2}\n{rule}\nShare"  # too few letters to be removed
    assert rows["b"][vocab.DEDUP_PARAGRAPHS_REMOVED] == 1
    assert rows["b"][vocab.DEDUP_PARAGRAPH_CHARS_REMOVED] == len(BOILER)
    # nearly all of c was already seen: the remnant is dropped, not kept
    assert (rows["c"]["fate"], rows["c"]["reason"]) == ("dropped", vocab.R_MOSTLY_DUPLICATE_PARAGRAPHS)
    assert rows["c"]["text"] == "Share"
    assert rows["e"]["text"] == ZH2 and rows["e"][vocab.DEDUP_PARAGRAPHS_REMOVED] == 1
    assert rows["d"]["text"] == f"{BOILER_ZH}\n{ZH1}"


def test_remnant_threshold_is_configurable(tmp_path):
    docs = [Doc("a", f"{BOILER}\n{EN1}", "en"), Doc("c", f"{BOILER}\nShare", "en")]
    rows = run(vocab.DEDUP_PARAGRAPH, docs, tmp_path, files=1, paragraph=ParagraphConfig(max_removed_fraction=1.0))
    assert rows["c"]["fate"] == "kept" and rows["c"]["text"] == "Share"


def test_document_with_only_repeated_paragraphs_is_dropped_with_reason(tmp_path):
    docs = [Doc("a", f"{EN1}\n{BOILER}", "en"), Doc("b", f"{BOILER}\n\n{EN1}", "en"), Doc("c", EN2, "en")]
    rows = run(vocab.DEDUP_PARAGRAPH, docs, tmp_path, files=2, paragraph=ParagraphConfig(max_repeats=1))
    assert rows["b"]["fate"] == "dropped"
    assert (rows["b"]["stage"], rows["b"]["reason"]) == (vocab.DEDUP_PARAGRAPH, vocab.R_EMPTIED_BY_PARAGRAPH_DEDUP)
    assert [rows[i]["fate"] for i in "ac"] == ["kept", "kept"]


def test_max_repeats_allows_that_many_copies(tmp_path):
    docs = [Doc(str(i), f"{EN2}\nLine {i} is unique to this document and long enough.", "en") for i in range(4)]
    rows = run(vocab.DEDUP_PARAGRAPH, docs, tmp_path, files=1, paragraph=ParagraphConfig(max_repeats=2))
    assert [rows[str(i)][vocab.DEDUP_PARAGRAPHS_REMOVED] for i in range(4)] == [0, 0, 1, 1]


def near_dup_docs(edit: str = "three more") -> list[Doc]:
    return [
        Doc("en-a", EN1, "en"),
        Doc("en-b", EN1.replace("two more", edit), "en"),
        Doc("en-c", EN2, "en"),
        Doc("zh-a", ZH1, "zh"),
        Doc("zh-b", ZH1.replace("两名", "三名"), "zh"),
        Doc("zh-c", ZH2, "zh"),
    ]


def test_minhash_clusters_near_duplicates_in_both_languages(tmp_path):
    rows = run(vocab.DEDUP_MINHASH, near_dup_docs(), tmp_path, files=2)
    for lang in ("en", "zh"):
        a, b, c = (rows[f"{lang}-{x}"] for x in "abc")
        assert a[vocab.DEDUP_CLUSTER_ID] == b[vocab.DEDUP_CLUSTER_ID] == f"{lang}-a"
        assert a[vocab.DEDUP_CLUSTER_SIZE] == b[vocab.DEDUP_CLUSTER_SIZE] == 2
        assert (c[vocab.DEDUP_CLUSTER_ID], c[vocab.DEDUP_CLUSTER_SIZE], c["fate"]) == (f"{lang}-c", 1, "kept")
        assert sorted([a["fate"], b["fate"]]) == ["dropped", "kept"]
        gone = a if a["fate"] == "dropped" else b
        assert (gone["stage"], gone["reason"]) == (vocab.DEDUP_MINHASH, vocab.R_DUPLICATE_FUZZY)


def test_whitespace_word_shingles_miss_chinese_near_duplicates(tmp_path):
    words = MinhashConfig(shingles={"*": Shingling("word", 5)})
    rows = run(vocab.DEDUP_MINHASH, near_dup_docs(), tmp_path, files=1, minhash=words)
    assert rows["zh-a"][vocab.DEDUP_CLUSTER_SIZE] == 1 and rows["zh-b"]["fate"] == "kept"
    assert rows["en-a"][vocab.DEDUP_CLUSTER_SIZE] == 2


DAY1, DAY2 = "2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z"


@pytest.mark.parametrize(
    "edit,extra,survivor",
    [
        ("one more", {"en-a": {vocab.QUALITY_SCORE: 0.2}, "en-b": {vocab.QUALITY_SCORE: 0.9}}, "en-b"),  # best quality
        ("one more", {"en-a": {vocab.QUALITY_SCORE: 0.2}}, "en-a"),  # a missing score ranks last
        ("three more", {"en-a": {vocab.WARC_DATE: DAY1}, "en-b": {vocab.WARC_DATE: DAY2}}, "en-b"),  # then longest
        ("six more", {"en-a": {vocab.WARC_DATE: DAY2}, "en-b": {vocab.WARC_DATE: DAY1}}, "en-b"),  # then earliest
        ("six more", {}, "en-a"),  # then the smallest id
    ],
)
def test_default_survivor_key(tmp_path, edit, extra, survivor):
    rows = run(vocab.DEDUP_MINHASH, near_dup_docs(edit), tmp_path, files=2, extra=extra)
    assert rows[survivor]["fate"] == "kept"
    assert rows["en-a" if survivor == "en-b" else "en-b"]["fate"] == "dropped"


def test_survivor_key_earliest_date_when_configured(tmp_path):
    docs = [Doc("x1", EN1, "en"), Doc("x2", EN1 + " ", "en")]
    extra = {"x1": {vocab.WARC_DATE: "2024-05-01T00:00:00Z"}, "x2": {vocab.WARC_DATE: "2023-05-01T00:00:00Z"}}
    rows = run(vocab.DEDUP_MINHASH, docs, tmp_path, files=1, extra=extra, survivor_key=("warc_date",))
    assert rows["x2"]["fate"] == "kept" and rows["x1"]["reason"] == vocab.R_DUPLICATE_FUZZY


def test_exact_dedup_normalises_case_and_spaces(tmp_path):
    docs = [
        Doc("p", EN2, "en"),
        Doc("q", "  " + EN2.upper().replace(" ", "  "), "en"),
        Doc("r", EN1, "en"),
        Doc("s", ZH1, "zh"),
        Doc("t", ZH1 + "\n", "zh"),
    ]
    rows = run(vocab.DEDUP_EXACT, docs, tmp_path, files=2)
    assert rows["p"][vocab.DEDUP_EXACT_COPIES] == rows["q"][vocab.DEDUP_EXACT_COPIES] == 2
    assert rows["r"][vocab.DEDUP_EXACT_COPIES] == 1
    assert sorted(rows[i]["fate"] for i in "pq") == ["dropped", "kept"]
    assert sorted(rows[i]["fate"] for i in "st") == ["dropped", "kept"]
    assert {rows[i]["reason"] for i in "pqst" if rows[i]["fate"] == "dropped"} == {vocab.R_DUPLICATE_EXACT}
