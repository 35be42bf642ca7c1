import numpy as np
import pytest

from dedup.config import MinhashConfig, Shingling
from dedup.hashing import batch_shingles, jaccard, shingles
from dedup.minhash import MinHasher

EN = (
    "The committee met on Tuesday to discuss the new budget for the city library and agreed to extend "
    "opening hours on weekends, hire two more librarians and renovate the reading room before winter."
)
ZH = "市图书馆委员会周二开会讨论新的预算，同意延长周末开放时间，再招聘两名图书管理员，并在冬季之前翻新阅览室。"


def test_chinese_gets_character_shingles_by_default():
    cfg = MinhashConfig()
    assert cfg.shingling_for("zh") == Shingling("char", 5)
    assert cfg.shingling_for("en") == Shingling("word", 5)
    # whitespace words would make the whole Chinese sentence a handful of shingles
    assert len(shingles(ZH, Shingling("word", 5))) <= 2
    assert len(shingles(ZH, cfg.shingling_for("zh"))) > 30


@pytest.mark.parametrize("text,sh", [(EN, Shingling("word", 5)), (ZH, Shingling("char", 5))])
def test_one_edit_keeps_jaccard_high_and_normalisation_ignores_case_and_width(text, sh):
    edited = text.replace("weekends", "holidays").replace("周末", "假日")
    assert 0.6 < jaccard(shingles(text, sh), shingles(edited, sh)) < 1.0
    assert jaccard(shingles(text, sh), shingles(text.upper().replace("，", ","), sh)) == 1.0


def test_batch_equals_one_by_one():
    texts = [EN, ZH, "", "too short", EN[:40], "a NUL\x00inside a text stays in that text"]
    for sh in (Shingling("word", 5), Shingling("char", 3)):
        h, o = batch_shingles(texts, sh)
        for i, t in enumerate(texts):
            assert np.array_equal(h[o == i], shingles(t, sh))


def test_minhash_estimates_jaccard_and_is_seeded():
    rng = np.random.default_rng(1)
    a = np.unique(rng.integers(0, 2**63, 400, dtype=np.uint64))
    b = np.unique(np.concatenate([a[:300], rng.integers(0, 2**63, 100, dtype=np.uint64)]))
    sig = MinHasher(16, 8, seed=3).signatures([a, b])
    assert abs((sig[0] == sig[1]).mean() - jaccard(a, b)) < 0.12
    assert np.array_equal(sig, MinHasher(16, 8, seed=3).signatures([a, b]))
    assert not np.array_equal(sig, MinHasher(16, 8, seed=4).signatures([a, b]))
    keys = MinHasher(16, 8, seed=3).band_keys(sig)
    assert keys.shape == (2, 16) and keys.dtype == np.uint64
