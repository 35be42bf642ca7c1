import pytest
from datatrove.data import Document

from corpus.core import vocab as v


@pytest.mark.parametrize("text,lang", [
    # Chinese set with ASCII punctuation: lid.176 alone says "sv" for this abstract
    ("归责原则是环境侵权制度的核心和关键,考察现行归责原则理论和实践不难发现,学说上存在过错责任与无过错责任之争,"
     "立法上面临较大的困境.本文在分析现行归责原则的基础上,提出了完善我国环境侵权归责原则的建议.", "zh"),
    ("東京は日本の首都です。人口がとても多い都市として知られています。", "ja"),  # kana: not Chinese
    ("한국어 문장입니다. 漢字가 조금 있습니다.", "ko"),
    ("The quick brown fox jumped over the lazy dog while 小狗 watched from the garden.", "en"),
])
def test_language_id_reads_the_script_of_han_text(text, lang):
    from filters.language import LanguageScorer

    got = LanguageScorer().score(Document(text=text, id="x"))
    assert got[v.LANG] == lang and got[v.LANG_SCORE] >= 0.5
