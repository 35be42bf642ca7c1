"""No heuristic family may drop more than 10% of clean reference text, in either language."""

import pytest
from datatrove.data import Document

from corpus.core import vocab as v
from corpus.core.steps import rules_for
from filters.config import HeuristicsConfig
from filters.heuristics.params import default_rules
from filters.heuristics.steps import FAMILIES, HeuristicScorer
from filters.reference import lines, wikitext_articles

MAX_SHARE = 0.10


def drop_shares(docs: list[str], lang: str) -> dict[str, float]:
    hc = HeuristicsConfig()
    scorer = HeuristicScorer(tuple(FAMILIES), hc)
    rules = {fam: rules_for(default_rules(hc, fam), lang) for fam in FAMILIES}
    dropped = dict.fromkeys(FAMILIES, 0)
    for i, text in enumerate(docs):
        md = scorer.score(Document(text=text, id=str(i), metadata={v.LANG: lang}))
        for fam, rs in rules.items():
            dropped[fam] += any(r.fires(md.get(r.key)) for r in rs)
    return {fam: n / len(docs) for fam, n in dropped.items()}


@pytest.mark.realdata
@pytest.mark.parametrize(
    "name,lang,load",
    [
        ("en-wikitext2", "en", lambda d: wikitext_articles(d / "reference/en-wikitext2.txt.gz")[::3]),  # 41 articles
        ("zh-csl-abstracts", "zh", lambda d: lines(d / "reference/zh-csl-abstracts.txt.gz", 400)),
        ("zh-chid-passages", "zh", lambda d: lines(d / "reference/zh-chid-passages.txt.gz", 150, per_doc=3)),
    ],
)
def test_no_family_drops_much_clean_text(shared_data, name, lang, load):
    docs = load(shared_data)
    assert len(docs) >= 40
    shares = drop_shares(docs, lang)
    assert all(s <= MAX_SHARE for s in shares.values()), (name, shares)


def test_wikitext_detokenise():
    from filters.reference import detokenise

    assert (
        detokenise("the oak @-@ stump bonnet , a species ( mushroom ) 's cap is 4 @.@ 5 cm .")
        == "the oak-stump bonnet, a species (mushroom)'s cap is 4.5 cm."
    )
