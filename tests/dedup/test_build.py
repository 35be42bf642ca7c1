"""`corpus build` with the dedup stages in the default cascade, on real text with planted copies."""

import json

import numpy as np

from corpus.core import vocab
from corpus.build import build
from corpus.config import BuildConfig, ExecutorConfig
from corpus.core.sql import connect
from dedup.synth import BOILER, plant, real_docs


def test_build_runs_the_dedup_cascade_and_every_record_is_accounted_for(tmp_path, shared_data):
    rng = np.random.default_rng(3)
    docs = plant(real_docs(shared_data, "en", 160) + real_docs(shared_data, "zh", 100), rng, share=0.5)
    paths = []
    for part in range(2):
        path = tmp_path / f"part{part}.jsonl"
        with open(path, "w", encoding="utf-8") as f:
            for i, d in enumerate(docs[part::2]):
                text = d.text if i % 7 else f"{BOILER[d.lang][0]}\n{d.text}"  # a shared boilerplate line
                f.write(
                    json.dumps({"text": text, "url": f"https://site{i % 13}.example/{d.id}"}, ensure_ascii=False) + "\n"
                )
        paths.append(str(path))
    default_order = BuildConfig().stages
    assert (
        default_order.index(vocab.DEDUP_MINHASH)
        < default_order.index(vocab.DEDUP_EXACT)
        < default_order.index(vocab.DEDUP_PARAGRAPH)
    )
    # the dedup cascade alone: other families' thresholds would drop planted copies first
    cfg = BuildConfig(
        inputs=tuple(paths),
        output=str(tmp_path / "out"),
        executor=ExecutorConfig(workers=1),
        stages=(vocab.LANG_ID, vocab.DEDUP_MINHASH, vocab.DEDUP_EXACT, vocab.DEDUP_PARAGRAPH),
    )
    result = build(cfg)
    assert result.exit_code == 0
    assert all(s["balanced"] for s in result.shards.values())
    assert sum(result.funnel["totals"].values()) == len(docs)
    con = connect(cfg.output)
    reasons = dict(con.execute("select reason, count(*) from dropped where stage like 'dedup%' group by 1").fetchall())
    # MinHash runs first and takes most planted copies; paragraph dedup then empties the copies
    # made of seen paragraphs that MinHash could not pair (short or heavily reordered ones)
    assert reasons[vocab.R_DUPLICATE_FUZZY] >= 50
    assert reasons[vocab.R_EMPTIED_BY_PARAGRAPH_DEDUP] + reasons[vocab.R_MOSTLY_DUPLICATE_PARAGRAPHS] >= 3
    removed = con.execute(f"select sum({vocab.DEDUP_PARAGRAPHS_REMOVED}) from kept").fetchone()[0]
    assert removed >= 20
    assert con.execute(f"select count(*) from kept where {vocab.DEDUP_EXACT_COPIES} is null").fetchone()[0] == 0
    # a cluster's members are visible with SQL, kept and dropped alike, its size is right, and
    # exactly one member survives MinHash (a later stage may still drop it)
    bad = con.execute(f"""select {vocab.DEDUP_CLUSTER_ID}, max({vocab.DEDUP_CLUSTER_SIZE}), count(*),
                                 sum(case when stage = 'dedup_minhash' then 0 else 1 end)
                          from docs where {vocab.DEDUP_CLUSTER_ID} is not null
                          group by 1 having count(*) <> max({vocab.DEDUP_CLUSTER_SIZE})
                              or sum(case when stage = 'dedup_minhash' then 0 else 1 end) <> 1""").fetchall()
    assert bad == []


def test_consecutive_dedup_stages_need_no_copy_segment_between_them():
    from corpus.build import plan_segments
    from corpus.stages import DEFAULT_ORDER

    kinds = [(s.corpus_level, [x.name for x in s.stages]) for s in plan_segments(tuple(DEFAULT_ORDER))]
    dedup = [vocab.DEDUP_MINHASH, vocab.DEDUP_EXACT, vocab.DEDUP_PARAGRAPH]
    at = kinds.index((True, [vocab.DEDUP_MINHASH]))
    assert kinds[at : at + 3] == [(True, [name]) for name in dedup]
    assert kinds[0][0] is False and kinds[-1][0] is False
