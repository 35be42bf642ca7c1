import math

import pytest

from filters.models.common import normalize_line
from filters.models.lm import LM_BINARY, SP_MODEL, Perplexity
from filters.models.registry import model_dir

DOCS = [
    "The honey bee lives in colonies.\nWorkers collect nectar and pollen from flowers in 2024.",
    "Buy now!!! cheap cheap cheap\n\nclick here",
    "冰川在移动过程中不断刨蚀地面。\n许多河流的源头来自冰川融水。",
    "",
]


def ccnet_perplexity(sp, lm, text: str) -> float | None:
    """CCNet's per-line formula, written out directly against sentencepiece and kenlm.Model."""
    log_score, length = 0.0, 0
    for line in text.split("\n"):
        line = normalize_line(line)
        if not line:
            continue
        pieces = " ".join(sp.encode_as_pieces(line))
        log_score += lm.score(pieces)
        length += len(pieces.split()) + 1
    return 10.0 ** (-log_score / length) if length else None


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_perplexity_agrees_with_direct_kenlm(demo_models, lang):
    import kenlm
    import sentencepiece as spm

    d = model_dir(demo_models, "kenlm", lang)
    sp = spm.SentencePieceProcessor(model_file=str(d / SP_MODEL))
    lm = kenlm.Model(str(d / LM_BINARY))
    ours = Perplexity(str(d))(DOCS)
    for text, got in zip(DOCS, ours):
        want = ccnet_perplexity(sp, lm, text)
        if want is None:
            assert got is None
        else:
            assert math.isclose(got, want, rel_tol=1e-6), (text, got, want)


def test_reference_text_has_lower_perplexity_than_spam(demo_models):
    ppl = Perplexity(str(model_dir(demo_models, "kenlm", "en")))
    ref, spam = ppl(
        ["The moon is the only natural satellite of the Earth.", "CLICK HERE 4 FREE $$$ win win win lol!!!"]
    )
    assert ref < spam
