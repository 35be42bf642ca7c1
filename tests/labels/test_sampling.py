"""Label-driven down-sampling: realised keep rates, determinism, and the SQL replay agreeing with the build."""

import duckdb
import pyarrow as pa
import pytest
from datatrove.data import Document

from corpus.core import vocab
from corpus.core.configlib import ConfigError
from labels.config import TopicConfig
from labels.sampling import LabelSampler, draw, label_rules
from corpus.core.steps import ANY_LANG

POLICY = {"ads": 0.1, "spam": 0.3, "sports": 0.5, "politics": 0.8, "business": 1.0}
PER_LABEL = 5000


def _docs():
    """PER_LABEL documents per label; formats on a topic nobody samples, topics on the article format."""
    docs = []
    for label in POLICY:
        is_format = label in ("ads", "spam")
        for i in range(PER_LABEL):
            md = {
                vocab.TOPIC_LABEL: "culture" if is_format else label,
                vocab.TOPIC_SCORE: 0.9,
                vocab.FORMAT: label if is_format else "article",
                vocab.FORMAT_SCORE: 0.9,
            }
            docs.append(Document(text="x", id=f"shard-{label}.warc.gz#{i}", metadata=md))
    return docs


def _fates(seed=0, policy=POLICY):
    sampler = LabelSampler(None, seed, label_rules(policy))
    return {d.id: sampler.filter(d) for d in _docs()}


def test_realised_keep_rate_within_two_points_per_label():
    fates = _fates()
    for label, p in POLICY.items():
        mine = [f for i, f in fates.items() if f"-{label}." in i]
        kept = sum(f is True for f in mine) / len(mine)
        assert abs(kept - p) <= 0.02, (label, kept, p)
        assert all(f is True or f == (False, f"downsampled_{label}") for f in mine)


def test_same_ids_same_fates_and_the_seed_changes_them():
    assert _fates(0) == _fates(0)
    a, b = _fates(0), _fates(1)
    assert sum(a[i] != b[i] for i in a) > 1000


def test_a_document_keeps_with_the_smaller_probability_of_its_two_labels():
    sampler = LabelSampler(None, 0, label_rules({"ads": 0.2, "sports": 0.9}))
    docs = [
        Document(
            text="x",
            id=f"d#{i}",
            metadata={
                vocab.TOPIC_LABEL: "sports",
                vocab.TOPIC_SCORE: 1.0,
                vocab.FORMAT: "ads",
                vocab.FORMAT_SCORE: 1.0,
            },
        )
        for i in range(5000)
    ]
    res = [sampler.filter(d) for d in docs]
    assert abs(sum(r is True for r in res) / len(res) - 0.2) <= 0.02
    assert {r[1] for r in res if r is not True} == {"downsampled_ads"}


def test_unsure_labels_are_not_sampled():
    sampler = LabelSampler(None, 0, label_rules({"ads": 0.0}, min_score=0.6))
    sure = Document(text="x", id="a", metadata={vocab.FORMAT: "ads", vocab.FORMAT_SCORE: 0.7})
    unsure = Document(text="x", id="b", metadata={vocab.FORMAT: "ads", vocab.FORMAT_SCORE: 0.5})
    assert sampler.filter(sure) == (False, "downsampled_ads") and sampler.filter(unsure) is True


def test_sql_replay_agrees_with_the_filter():
    rules = label_rules(POLICY, min_score=0.5)
    docs = _docs()
    sampler = LabelSampler(None, 7, rules)
    fates = [sampler.filter(d) for d in docs]  # also stores topic_draw
    cols = (vocab.TOPIC_LABEL, vocab.TOPIC_SCORE, vocab.FORMAT, vocab.FORMAT_SCORE, vocab.TOPIC_DRAW)
    table = pa.table({c: [d.metadata[c] for d in docs] for c in cols} | {"id": [d.id for d in docs]})
    con = duckdb.connect()
    con.register("t", table)
    case = " ".join(f"when {r.sql_fires()} then '{r.reason}'" for r in rules[ANY_LANG])
    sql = dict(con.execute(f"select id, case {case} else null end from t").fetchall())
    assert sql == {d.id: (None if f is True else f[1]) for d, f in zip(docs, fates)}


def test_draw_is_uniform_enough_and_stable():
    xs = [draw(f"f#{i}", 0) for i in range(20000)]
    assert 0 <= min(xs) and max(xs) < 1 and abs(sum(xs) / len(xs) - 0.5) < 0.01
    assert draw("same#1", 3) == draw("same#1", 3) != draw("same#1", 4)


@pytest.mark.parametrize("keep, key", [({"adz": 0.1}, "topic.keep.adz"), ({"ads": 1.5}, "topic.keep.ads")])
def test_policy_is_checked_at_load(keep, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        TopicConfig(keep=keep)
