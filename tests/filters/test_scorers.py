import pytest
from datatrove.data import Document

from corpus.core import vocab
from filters.models.coherence import CoherenceModel, make_negatives
from filters.models.coherence_features import segments
from filters.models.demo import DEMO_DIR
from filters.models.registry import model_dir
from filters.safety_lists import SafetyLists
from filters.scorers import CoherenceScorer, PerplexityScorer, QualityScorer, SafetyScorer

BEES = (
    "The honey bee lives in colonies of many thousands of workers and a single queen. "
    "Workers clean cells, feed larvae, build comb and guard the hive entrance.\n"
    "A forager bee that finds flowers returns to the hive and dances on the comb. "
    "The dance tells other bees the direction and distance of the flowers.\n"
    "Bees pollinate many crops, and farmers worry about the decline of bee colonies."
)
ENGINE = (
    "The steam engine turns the heat of burning coal into work: boiling water makes steam in a boiler. "
    "Steam pressure pushes a piston back and forth inside the cylinder of the engine.\n"
    "Early steam engines pumped water out of coal mines, and a separate condenser made the engine efficient.\n"
    "Railway locomotives and ships were later driven by steam engines burning coal."
)


def doc(text: str, lang: str = "en", url: str = "") -> Document:
    return Document(text=text, id="t", metadata={vocab.LANG: lang, vocab.URL: url})


def test_scorers_annotate_declared_keys_and_skip_unknown_languages(demo_models):
    docs = [doc(BEES), doc("冰川在移动过程中不断刨蚀地面。许多河流的源头来自冰川融水。", "zh"), doc("Hallo Welt", "de")]
    stages = {
        PerplexityScorer: vocab.PERPLEXITY,
        QualityScorer: vocab.QUALITY,
        CoherenceScorer: vocab.COHERENCE,
        SafetyScorer: vocab.SAFETY,
    }
    for cls, stage in stages.items():
        out = list(cls(demo_models, batch_size=2).run(iter([Document(d.text, d.id, dict(d.metadata)) for d in docs])))
        assert len(out) == 3 and [d.text for d in out] == [d.text for d in docs]  # never drops, never edits
        for d in out:
            assert set(d.metadata) - {vocab.LANG, vocab.URL} <= set(vocab.signal_keys(stage))
    ppl = list(PerplexityScorer(demo_models).run(iter(docs)))
    assert ppl[0].metadata[vocab.PPL_BUCKET] in ("head", "middle", "tail") and ppl[0].metadata[vocab.PPL_KENLM] > 1
    assert vocab.PPL_KENLM not in ppl[2].metadata  # no German model: no signal, no rule can fire


def test_quality_prefers_reference_text(demo_models):
    ref = (DEMO_DIR / "en_reference.txt").read_text().split("\n\n")[0]
    low = "CLICK HERE to get the best deals!!! limited offer, buy now and save 90% today only"
    scores = QualityScorer(demo_models).score_batch([doc(ref), doc(low)])
    assert scores[0][vocab.QUALITY_SCORE] > scores[1][vocab.QUALITY_SCORE]


def test_weakest_boundary_is_the_splice(demo_models):
    text = BEES + "\n" + ENGINE
    model = CoherenceModel(str(model_dir(demo_models, "coherence", "en")))
    score, boundary, sim = model(text)
    assert boundary == len(BEES) + 1  # the first character of the engine part
    assert 0.0 <= score <= 1.0 and sim < 0.2


def _reference_features(segs, idf):
    """The 13 coherence features straight from their definitions, on dense bags (slow, for checking)."""
    import math

    import numpy as np

    from filters.models.coherence_features import WINDOW, bucket, content_terms

    terms = [[bucket(t) for t in content_terms(s.text)] for s in segs]
    cols = sorted({b for ts in terms for b in ts})
    where = {b: k for k, b in enumerate(cols)}
    v = np.zeros((len(segs), len(cols)))
    for i, ts in enumerate(terms):
        for b in ts:
            v[i, where[b]] += float(idf[b])

    def cos(a, b):
        na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
        return float(a @ b) / (na * nb) if na and nb else 0.0

    n, total = len(segs), v.sum(axis=0)
    window = [cos(v[max(0, i - WINDOW) : i].sum(0), v[i : i + WINDOW].sum(0)) for i in range(1, n)]
    block = [cos(v[:i].sum(0), v[i:].sum(0)) for i in range(1, n)]
    rest = [cos(v[i], total - v[i]) for i in range(n)]
    adjacent = [cos(v[i - 1], v[i]) for i in range(1, n)]
    distant = [cos(v[i], v[j]) for i in range(n) for j in range(i + 2, min(n, i + 8))]
    weakest = int(np.argmin(np.asarray(window) + np.asarray(block)))
    mean_w, mean_a = float(np.mean(window)), float(np.mean(adjacent))
    return [
        min(block),
        block[weakest],
        float(np.mean(block)),
        min(window),
        mean_w,
        min(adjacent),
        mean_a,
        mean_a - (float(np.mean(distant)) if distant else mean_a),
        min(rest),
        min(window) / (mean_w + 1e-6),
        sum(a == 0.0 for a in adjacent) / len(adjacent),
        math.log(n),
        math.log1p(sum(map(len, terms)) / n),
    ], weakest + 1


@pytest.mark.parametrize("slab", [1, 3, 128])
def test_coherence_features_are_their_definitions_whatever_the_slab(monkeypatch, slab):
    """The features come from dot products of dense slabs of SLAB segments (and the 7 after them); a
    slab of 1 or 3 segments must give what the definitions give on the whole document."""
    import numpy as np

    from filters.models import coherence_features as cf

    monkeypatch.setattr(cf, "SLAB", slab)
    idf = np.random.default_rng(0).uniform(1.0, 4.0, cf.N_BUCKETS).astype(np.float32)
    river = "冰川融水汇入河流，沿岸的村庄依靠它灌溉农田和果园。"
    engine = "发动机的活塞在气缸里往复运动，把燃料的能量变成转动。"
    texts = (BEES + "\n" + ENGINE, "\n".join([BEES, ENGINE, "Buy now!", BEES, ENGINE]), "\n".join([river, engine] * 3))
    for text in texts:
        segs = cf.segments(text)
        assert len(segs) >= 2
        got, right, _ = cf.features(segs, idf)
        want, want_right = _reference_features(segs, idf)
        assert right == want_right
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


def test_one_segment_has_no_coherence_score(demo_models):
    model = CoherenceModel(str(model_dir(demo_models, "coherence", "en")))
    assert model("Just one short sentence here.") == (None, -1, None)


@pytest.mark.parametrize("text,n", [("Some text about bees.", 1), ("冰川 融水", 1), ("ok", 1)])
def test_segments_keep_offsets(text, n):
    segs = segments(text)
    assert len(segs) == n and all(text[s.start : s.start + len(s.text)] == s.text for s in segs)


def test_negatives_mix_documents():
    negs = make_negatives([BEES, ENGINE, BEES.replace("bee", "wasp")], seed=0)
    assert len(negs) == 3 and all(n not in (BEES, ENGINE) for n in negs)


@pytest.mark.parametrize(
    "text,url,hits,url_hit",
    [
        ("Visit our online casino for free spins and baccarat tonight", "", 3, 0),
        ("The casino was a building; a roulette table.", "", 1, 0),
        ("正规博彩娱乐城，真人荷官在线，百家乐", "", 4, 0),
        ("A quiet article about tea.", "http://best-casino.example/x", 0, 1),
        ("A quiet article about tea.", "http://example.org/tea", 0, 0),
    ],
)
def test_safety_lists(text, url, hits, url_hit, demo_models):
    out = SafetyScorer(demo_models).score_batch([doc(text, "zh" if "博" in text else "en", url)])[0]
    assert out[vocab.SAFETY_TERM_HITS] == hits and out[vocab.SAFETY_URL_HIT] == url_hit
    assert 0.0 <= out[vocab.SAFETY_SCORE] <= 1.0


@pytest.mark.parametrize(
    "links, hits",
    [(None, 1), ("", 1), ("Visit our online casino for free spins\nBaccarat tonight", 4), ("Casino news", 1)],
)
def test_safety_terms_count_the_link_lists_extraction_removed(links, hits, demo_models):
    d = doc("The casino was a building; a roulette table.")
    if links is not None:
        d.metadata[vocab.LINK_LISTS] = links
    assert SafetyScorer(demo_models).score_batch([d])[0][vocab.SAFETY_TERM_HITS] == hits


def test_safety_lists_load_user_file(tmp_path):
    p = tmp_path / "lists.yaml"
    p.write_text("terms:\n  en:\n    x: [bad word]\nurl_patterns: ['evil']\n")
    lists = SafetyLists.load(p)
    assert lists.term_hits("a Bad Word here, bad word again") == 1 and lists.url_hit("http://evil.example")
    assert lists.term_hits("badword") == 0


@pytest.mark.parametrize(
    "text,gate",
    [
        ("郑重声明：本站服务于海外华人，请未成年网友自觉离开！所有视频均来自网友分享。", 1),
        ("未满18岁者请自觉离开本站。", 1),
        ("This site contains explicit material. You must be 18 years of age or older to view adult content.", 1),
        ("新规要求网吧禁止未成年人进入，违者将被处罚。", 0),  # news about the rule, not a gate
        ("Voters must be 18 or older on election day.", 0),
    ],
)
def test_age_gate(text, gate):
    assert int(SafetyLists.load().age_gate(text)) == gate
