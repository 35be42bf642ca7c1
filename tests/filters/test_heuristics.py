"""Each heuristic rule on tiny English and Chinese documents: signal values and reason codes."""

import pytest
from datatrove.data import Document

from corpus.core import vocab as v
from corpus.config import load_config
from corpus.stages import STAGES
from filters.config import HeuristicsConfig
from filters.heuristics.families import FAMILIES, SIGNALS
from filters.heuristics.params import default_thresholds
from filters.heuristics.steps import HeuristicScorer
from filters.heuristics.table import markdown
from filters.units import UNITS_KEY, count_sentences, units_of

EN_GOOD = (
    "The quick brown fox jumps over the lazy dog near the river bank. It was a sunny day.\n"
    "The animals were happy to be outside with their friends, and the birds sang in the trees.\n"
    "Later that afternoon a small boat drifted past the old mill, carrying two fishermen home.\n"
    "Nobody in the village could remember a summer as warm and as quiet as that one had been.\n"
)
ZH_GOOD = (
    "今天天气很好，我们在公园里散步，看到了很多美丽的花朵和绿色的树木。\n"
    "孩子们在草地上奔跑，老人们坐在长椅上聊天，这是一个和平而快乐的下午。\n"
    "研究人员指出，城市绿地对居民的身心健康有重要作用，政府也在不断增加公园的数量。\n"
)


def signals(text: str, lang: str, family: str) -> dict:
    doc = Document(text=text, id="t", metadata={v.LANG: lang})
    return HeuristicScorer((family,)).score(doc)


def decide(text: str, lang: str, family: str, **overrides):
    cfg = load_config(None, thresholds=overrides.get("thresholds", {}))
    doc = Document(text=text, id="t", metadata={v.LANG: lang})
    doc.metadata.update(HeuristicScorer((family,), cfg.heuristics).score(doc))
    return STAGES[family].threshold_filter(cfg, None).filter(doc)


@pytest.mark.parametrize("text,lang", [(EN_GOOD, "en"), (ZH_GOOD, "zh")])
@pytest.mark.parametrize("family", FAMILIES)
def test_clean_text_passes(text, lang, family):
    assert decide(text, lang, family) is True


def test_gopher_quality_counts_english():
    s = signals("Hello world, this is the text ... #tag #tag\n- item\n- item two…", "en", v.GOPHER_QUALITY)
    # words: Hello world , this is the text ... # tag # tag - item - item two … -> 10 non-symbol words
    assert s[v.GOPHER_WORD_COUNT] == 11
    assert s[v.GOPHER_STOP_WORDS] == 1  # "the"
    assert s[v.GOPHER_BULLET_LINES_RATIO] == pytest.approx(2 / 3)
    assert s[v.GOPHER_ELLIPSIS_LINES_RATIO] == pytest.approx(1 / 3)
    assert s[v.GOPHER_HASH_RATIO] > 0.1


def test_chinese_is_measured_in_jieba_words_not_whitespace():
    s = signals("我们今天在北京大学图书馆学习人工智能。", "zh", v.GOPHER_QUALITY)
    assert s[v.GOPHER_WORD_COUNT] >= 6  # whitespace would give 1
    assert 1 <= s[v.GOPHER_MEAN_WORD_LENGTH] <= 3
    assert s[v.GOPHER_STOP_WORDS] >= 1  # 在


@pytest.mark.parametrize(
    "text,lang,reason",
    [
        ("Too short to be a document.", "en", "gopher_short_doc"),
        ("短文本。", "zh", "gopher_short_doc"),
        (" ".join(["supercalifragilistic"] * 60) + " the and", "en", "gopher_long_words"),
        ((EN_GOOD + "\n") + "#" * 200, "en", "gopher_too_many_hashes"),
        ("\n".join(["• item number %d of the and list" % i for i in range(30)]), "en", "gopher_too_many_bullets"),
        ("\n".join(["1234 5678 9012 3456 7890 the and"] * 20), "en", "gopher_few_alpha_words"),
        (" ".join(["apple banana cherry delta echo foxtrot golf"] * 10), "en", "gopher_few_stop_words"),
        ("。".join(["苹果香蕉橙子葡萄西瓜"] * 30), "zh", "gopher_few_stop_words"),
    ],
)
def test_gopher_quality_reasons(text, lang, reason):
    assert decide(text, lang, v.GOPHER_QUALITY) == (False, reason)


@pytest.mark.parametrize(
    "text,lang,reason",
    [
        ("Same paragraph repeated here.\n\n" * 10 + EN_GOOD, "en", "gopher_dup_para_frac"),
        ("重复的段落内容在这里出现。\n\n" * 10 + ZH_GOOD, "zh", "gopher_dup_para_frac"),
    ],
)
def test_gopher_repetition_reasons(text, lang, reason):
    assert decide(text, lang, v.GOPHER_REPETITION) == (False, reason)


def test_gopher_repetition_values():
    s = signals("a b\n\nc d\n\na b", "en", v.GOPHER_REPETITION)
    assert s[v.GOPHER_DUP_PARA_FRAC] == pytest.approx(1 / 3)
    assert s[v.GOPHER_DUP_PARA_CHAR_FRAC] == pytest.approx(3 / 13)
    # top 2-gram "a b" twice: (1 + 1 + 1) * 2 chars over 13
    assert s[v.TOP_NGRAM_KEYS[2]] == pytest.approx(6 / 13)
    words = " ".join(["one two three four five"] * 4)
    s = signals(words, "en", v.GOPHER_REPETITION)
    assert s[v.DUP_NGRAM_KEYS[5]] == pytest.approx(3 * 19 / len(words))  # 3 repeats of 19 letters


@pytest.mark.parametrize(
    "text,lang,reason",
    [
        ("Lorem ipsum dolor sit amet, consectetur.\n" + EN_GOOD, "en", "lorem_ipsum"),
        ("Use the braces { and } in your code carefully.\n" + EN_GOOD, "en", "curly_bracket"),
        ("One sentence here only.\nNo punctuation line", "en", "too_few_sentences"),
        ("没有任何句号的一行文字而已", "zh", "too_few_sentences"),
    ],
)
def test_c4_reasons(text, lang, reason):
    assert decide(text, lang, v.C4) == (False, reason)


@pytest.mark.parametrize(
    "text,lang,n",
    [
        # a Chinese paragraph cut short keeps the sentences that end inside it
        ("今天下雨了。我们没有出门！你呢", "zh", 2),
        ("今天下雨了，我们没有出门", "zh", 0),
        # typeset English ends a quoted sentence with a curly quote
        ("“We will win the league this year,” he said. “Nobody doubts it.”", "en", 2),
    ],
)
def test_c4_sentences(text, lang, n):
    assert signals(text, lang, v.C4)[v.C4_SENTENCES] == n


def test_c4_values():
    text = "Please enable JavaScript to view this page.\nWe value your privacy policy here.\n" + EN_GOOD
    s = signals(text, "en", v.C4)
    assert s[v.C4_JAVASCRIPT_LINES] == 1 and s[v.C4_POLICY_LINES] == 1
    assert s[v.C4_SENTENCES] == 5
    assert s[v.C4_KEPT_LINES_FRAC] == pytest.approx(4 / 6)


@pytest.mark.parametrize(
    "line,lang,n",
    [
        ("Mr. Smith went to the U.S. today. He liked it!", "en", 2),
        ("Connecting to example.com... connected.", "en", 1),
        ("今天下雨了。我们没有出门！你呢？", "zh", 3),
        ("没有句号的一行", "zh", 1),
    ],
)
def test_sentences(line, lang, n):
    assert count_sentences(line, lang) == n


@pytest.mark.parametrize(
    "text,lang,reason",
    [
        (
            "\n".join(
                [f"Menu item number {i} without any stop at all" for i in range(9)] + ["Some line that ends well."]
            ),
            "en",
            "fineweb_line_punct_ratio",
        ),
        ("\n".join(["首页", "新闻", "体育", "娱乐", "财经。"]), "zh", "fineweb_short_line_ratio"),
        ("This line is repeated many times over.\n" * 12 + EN_GOOD, "en", "fineweb_char_dup_ratio"),
    ],
)
def test_fineweb_reasons(text, lang, reason):
    assert decide(text, lang, v.FINEWEB) == (False, reason)


def test_markup_lines_are_not_duplicates():
    # "-" and "|" lines that extraction leaves between list items repeat no text
    text = EN_GOOD + "\n" + "\n".join(["-", "| |"] * 10)
    assert signals(text, "en", v.FINEWEB)[v.FINEWEB_CHAR_DUP_RATIO] == 0
    assert signals(text, "en", v.GOPHER_REPETITION)[v.GOPHER_DUP_LINE_FRAC] == 0


def test_alpha_ratio_counts_whitespace_words():
    # Gopher's unit: "6-2," is one word without a letter, the comma is not a word of its own
    s = signals("Nadal won 6-2, 2-6, 6-4 in Madrid on Friday night", "en", v.GOPHER_QUALITY)
    assert s[v.GOPHER_ALPHA_WORDS_RATIO] == pytest.approx(7 / 10)
    s = signals("我们在2019年看了3场比赛。", "zh", v.GOPHER_QUALITY)  # jieba words, punctuation left out
    assert 0.6 < s[v.GOPHER_ALPHA_WORDS_RATIO] < 1


def test_fineweb_values():
    s = signals("Short.\nA much longer line that clearly ends with a period.\nno stop", "en", v.FINEWEB)
    assert s[v.FINEWEB_LINE_PUNCT_RATIO] == pytest.approx(2 / 3)
    assert s[v.FINEWEB_SHORT_LINE_RATIO] == pytest.approx(2 / 3)
    assert s[v.FINEWEB_NEWLINE_RATIO] == pytest.approx(2 / 15)  # 15 words incl. punctuation


@pytest.mark.parametrize(
    "text,lang,key,reason",
    [
        (
            "Some text with broken \ufffd\ufffd\ufffd characters in it.",
            "en",
            v.GARBLED_REPLACEMENT_RATIO,
            "garbled_replacement_chars",
        ),
        ("Itâ€™s a cafÃ© where peopleâ€™s dreams come true.", "en", v.GARBLED_MOJIBAKE_RATIO, "garbled_mojibake"),
        ("锟斤拷锟斤拷烫烫烫的页面内容", "zh", v.GARBLED_MOJIBAKE_RATIO, "garbled_mojibake"),
        # UTF-8 read as GBK
        ("关于婢虫床28鏄?笉鏄??瑙勭殑最新相关内容", "zh", v.GARBLED_MOJIBAKE_RATIO, "garbled_mojibake"),
        (
            "Это текст на русском языке, а не английский text.",
            "en",
            v.GARBLED_UNEXPECTED_SCRIPT_RATIO,
            "garbled_unexpected_script",
        ),
        ("中文内容\x00\x01\x02\x03控制字符", "zh", v.GARBLED_CONTROL_RATIO, "garbled_control_chars"),
    ],
)
def test_garbled(text, lang, key, reason):
    assert signals(text, lang, v.GARBLED)[key] > 0
    assert decide(text, lang, v.GARBLED) == (False, reason)


@pytest.mark.parametrize(
    "text,lang,distinct",
    [
        ("Best online casino with free spins and sports betting, plus a casino bonus.", "en", 4),
        ("Casinos and pornographic are not matched inside other words; porn is.", "en", 1),
        ("澳门赌场真人娱乐百家乐在线投注，六合彩开奖。", "zh", 5),  # longest match: 六合彩, not 六合
    ],
)
def test_blocklist(text, lang, distinct):
    s = signals(text, lang, v.WORD_BLOCKLIST)
    assert s[v.BLOCKLIST_DISTINCT] == distinct
    assert (decide(text, lang, v.WORD_BLOCKLIST) == (False, "blocklist_terms")) == (distinct > 2)


def test_user_blocklist_is_loaded(tmp_path):
    f = tmp_path / "mine.txt"
    f.write_text("# mine\nfrobnicate\n")
    hc = HeuristicsConfig(blocklists={"en": (str(f),)}, use_default_blocklists=False)
    doc = Document(text="We frobnicate, you frobnicate. Casino.", id="t", metadata={v.LANG: "en"})
    s = HeuristicScorer((v.WORD_BLOCKLIST,), hc).score(doc)
    assert s[v.BLOCKLIST_HITS] == 2 and s[v.BLOCKLIST_DISTINCT] == 1


def test_threshold_override_changes_decision():
    text = " ".join(["word"] * 40) + " the and"
    assert decide(text, "en", v.GOPHER_QUALITY) == (False, "gopher_short_doc")
    assert decide(text, "en", v.GOPHER_QUALITY, thresholds={"en": {"gopher_word_count": {"min": 30}}}) is True


def test_units_computed_once_and_shared():
    doc = Document(text=EN_GOOD, id="t", metadata={v.LANG: "en"})
    HeuristicScorer(tuple(FAMILIES)).score(doc)
    units = doc.metadata[UNITS_KEY]
    HeuristicScorer((v.GOPHER_QUALITY,)).score(doc)
    assert units_of(doc) is units
    doc.text = doc.text + " More."  # a formatter rewrote it: units are recomputed
    assert units_of(doc) is not units


def test_every_family_declares_its_signals():
    for family in FAMILIES:
        for lang, text in (("en", EN_GOOD), ("zh", ZH_GOOD)):
            keys = set(signals(text, lang, family))
            assert keys and keys <= set(v.signal_keys(family)), family


def test_the_stages_bound_what_the_vocabulary_declares():
    for family in FAMILIES:
        declared = {k.name: (k.below, k.above) for k in v.KEYS.values() if k.stage == family and (k.below or k.above)}
        assert declared and dict(STAGES[family].signals) == declared, family
    assert set(SIGNALS) == {k for family in FAMILIES for k in STAGES[family].signals}


def test_every_bounded_signal_has_a_default_in_every_language():
    # a signal declared with a reason but without a default never fires: the recipe is declaration, code, default
    hc = HeuristicsConfig()
    for lang, by_key in default_thresholds(hc).items():
        assert set(by_key) == set(SIGNALS), lang


def test_the_signal_table_lists_every_signal_with_its_reasons():
    text = markdown()
    for k in v.KEYS.values():
        if k.stage in FAMILIES:
            row = next(line for line in text.splitlines() if line.startswith(f"| `{k.name}` |"))
            assert all(f"`{r}`" in row for r in (k.below, k.above) if r), k.name


def test_punctuation_ratio_catches_bracketed_characters():
    spam = "澳门" + "".join(f"【{c}】" for c in "随着经济社会的发展以及女性收入和教育程度的提高不少人的婚姻观念") + "。"
    assert decide(spam, "zh", v.GARBLED) == (False, "garbled_punctuation")
    prose = "随着经济社会的发展，以及女性收入和教育程度的提高，不少人的婚姻观念发生了变化。"
    assert decide(prose, "zh", v.GARBLED) is True
