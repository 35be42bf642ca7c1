"""Chinese word units: rjieba (native) and jieba's own dictionary-only cut give the same words, hence the
same signals; without rjieba, filters.units falls back to jieba."""

import sys

import jieba
import pytest

from corpus.core import vocab as v
from filters import units
from filters.config import HeuristicsConfig
from filters.heuristics.families import FAMILIES
from filters.heuristics.params import lang_params

try:
    import rjieba
except ImportError:  # the fallback test still runs
    rjieba = None
needs_rjieba = pytest.mark.skipif(rjieba is None, reason="rjieba is not installed")
jieba_lcut = jieba.lcut  # the original, before a test patches it

SENTENCES = [
    "我们今天在北京大学图书馆学习人工智能。",
    "2024年3月15日，苹果公司发布了iPhone 15 Pro，售价$999.99（约合人民币7,200元）！",
    "北京大学的C++课程和C#、.NET 3.5；满意度100%——“非常好”。",
    "网址https://www.example.com/a_b?x=1&y=2，邮箱abc@example.cn。",
    "  多个   空格\r\n换行\t制表\u3000全角空格\n\n第二段。",
    "繁體中文的測試句子，臺灣大學。ＦＵＬＬ１２３全角。㐀字与𠀀字。",
    "中文English混合mixed文本123abc456，emoji😀不算汉字。",
]
DOC = "\n".join(SENTENCES * 3) + "\n研究人员指出，城市绿地对居民的身心健康有重要作用，政府也在不断增加公园的数量。"


def jieba_cut(text):
    return jieba_lcut(text, HMM=False)


def rjieba_cut(text):
    return rjieba.cut(text, hmm=False)


@needs_rjieba
@pytest.mark.parametrize("text", SENTENCES)
def test_rjieba_cuts_like_jieba(text):
    assert rjieba_cut(text) == jieba_cut(text)


@pytest.fixture(autouse=True)
def fresh_segmenter():
    """Each test chooses the segmenter afresh, and leaves none of its choices to the next."""
    units._segmenter.cache_clear()
    yield
    units._segmenter.cache_clear()


def family_signals(monkeypatch, cut) -> dict:
    monkeypatch.setattr(units, "_segmenter", lambda: cut)
    u = units.Units(DOC, "zh")
    params = lang_params(HeuristicsConfig(), "zh")
    out = {}
    for fn in FAMILIES.values():
        out.update(fn(u, params))
    return out


@needs_rjieba
def test_unit_signals_are_the_same_with_either_segmenter(monkeypatch):
    with_jieba = family_signals(monkeypatch, jieba_cut)
    with_rjieba = family_signals(monkeypatch, rjieba_cut)
    assert with_rjieba == with_jieba
    assert with_jieba[v.GOPHER_WORD_COUNT] > 100


@needs_rjieba
def test_units_use_rjieba_when_installed(monkeypatch):
    calls, cut = [], rjieba.cut
    monkeypatch.setattr(rjieba, "cut", lambda text, hmm=True: calls.append(hmm) or cut(text, hmm=hmm))
    assert units.zh_words(DOC) == [w for w in jieba_cut(DOC) if not w.isspace()]
    assert calls == [False]  # rjieba's dictionary-only cut


def test_units_fall_back_to_jieba_without_rjieba(monkeypatch):
    monkeypatch.setitem(sys.modules, "rjieba", None)  # `import rjieba` raises ImportError
    cut = units._segmenter()
    calls = []
    monkeypatch.setattr(jieba, "lcut", lambda text, HMM=True: calls.append(HMM) or jieba_lcut(text, HMM=HMM))
    assert cut("我们在北京大学学习。") == jieba_lcut("我们在北京大学学习。", HMM=False)
    assert calls == [False]  # jieba's dictionary-only cut
    assert units.zh_words(" 我们在北京 大学学习。") == ["我们", "在", "北京", "大学", "学习", "。"]
    assert len(calls) == 2
