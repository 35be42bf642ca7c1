import json

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tokens.shards import TokenizeConfig, open_split, tokenize
from tokens.sources import iter_docs, split_of
from tokens.tokenizer import EOS_ID, TokenizerConfig, load, train_tokenizer

EN = [
    "The river rose 42 feet in 1927 , flooding the valley .",
    "A short note about lobsters and their claws .",
    "Trains left the station every 15 minutes on weekdays .",
]
ZH = ["今天的天气很好，我们去公园散步。", "这篇论文研究了贵州东南部的地质构造特征。", "他在2019年出版了第一本小说！"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """A Parquet file in a build's layout (id, text, lang) and a trained tokenizer."""
    root = tmp_path_factory.mktemp("corpus")
    docs = [(f"en-{i}", f"{t} ({i})", "en") for i in range(60) for t in EN[i % 3 : i % 3 + 1]]
    docs += [(f"zh-{i}", f"{t}（{i}）", "zh") for i in range(60) for t in ZH[i % 3 : i % 3 + 1]]
    pq.write_table(
        pa.table({"id": [d[0] for d in docs], "text": [d[1] for d in docs], "lang": [d[2] for d in docs]}),
        root / "kept.parquet",
    )
    train_tokenizer([str(root / "kept.parquet")], str(root / "tok"), TokenizerConfig(vocab_size=400, char_budget=10**6))
    return root


def test_tokenizer_splits_digits_keeps_fullwidth_punctuation_and_falls_back_to_bytes(corpus):
    sp = load(str(corpus / "tok"))
    pieces = sp.encode("year 2024", out_type=str)
    assert [p for p in pieces if p.strip("▁").isdigit()] == ["2", "0", "2", "4"]
    for text in ("你好，世界。（测试）", "rare: 🦜 ǂ", "  two  spaces"):
        ids = sp.encode(text)
        assert sp.decode(ids) == text  # identity normalisation: nothing rewritten, no dummy prefix
        assert sp.unk_id() not in ids  # byte fallback instead of unknown
    assert sp.encode("，")[0] != sp.encode(",")[0]  # full-width comma not folded into ASCII
    manifest = json.loads((corpus / "tok" / "manifest.json").read_text())
    assert manifest["params"]["vocab_size"] == 400 and len(manifest["sha256"]) == 64


def test_shards_hold_every_selected_document_with_eos(corpus, tmp_path):
    out = tmp_path / "shards"
    index = tokenize(
        [str(corpus / "kept.parquet")],
        str(corpus / "tok"),
        str(out),
        TokenizeConfig(val_fraction=0.2, shard_tokens=500, workers=1),
        where="lang = 'zh'",
    )
    assert index["dtype"] == "uint16"
    docs = duckdb.sql(f"select * from '{out / 'docs.parquet'}'").df()
    assert set(docs["source"]) == {"zh"} and len(docs) == 60  # the predicate selected the Chinese rows
    assert index["splits"]["train"]["docs"] + index["splits"]["val"]["docs"] == 60
    assert 0 < index["splits"]["val"]["docs"] < 30
    assert len(index["splits"]["train"]["shards"]) > 1  # small shard size: several shards
    sp = load(str(corpus / "tok"))
    texts = dict(duckdb.sql(f"select id, text from '{corpus / 'kept.parquet'}'").fetchall())
    for split in ("train", "val"):
        shards = open_split(str(out), split)
        assert sum(len(s) for s in shards) == index["splits"][split]["tokens"]
        for _, d in docs[docs["split"] == split].iterrows():
            ids = shards[d["shard"]][d["offset"] : d["offset"] + d["tokens"]]  # a document never straddles shards
            assert ids[-1] == EOS_ID
            assert sp.decode(ids[:-1].tolist()) == texts[d["id"]]
            assert split_of(texts[d["id"]], 0.2) == split


def test_output_is_the_same_for_any_worker_count(corpus, tmp_path):
    a = tokenize([str(corpus / "kept.parquet")], str(corpus / "tok"), str(tmp_path / "a"), TokenizeConfig(workers=1))
    b = tokenize([str(corpus / "kept.parquet")], str(corpus / "tok"), str(tmp_path / "b"), TokenizeConfig(workers=2))
    assert a["splits"] == b["splits"]
    for s in a["splits"]["train"]["shards"]:
        assert (tmp_path / "a" / s["file"]).read_bytes() == (tmp_path / "b" / s["file"]).read_bytes()


def test_split_is_stable_and_near_the_fraction():
    texts = [f"document number {i}" for i in range(4000)]
    val = sum(split_of(t, 0.05) == "val" for t in texts)
    assert 140 < val < 260
    assert [split_of(t, 0.05) for t in texts[:50]] == [split_of(t, 0.05) for t in texts[:50]]


def test_text_and_jsonl_sources(tmp_path):
    (tmp_path / "a.txt").write_text("first line\n\n  \nsecond line\n", encoding="utf-8")
    (tmp_path / "b.jsonl").write_text(json.dumps({"id": "x1", "text": "中文文档"}, ensure_ascii=False) + "\n")
    docs = list(iter_docs([str(tmp_path)]))
    assert [(d.text, d.source) for d in docs] == [("first line", "a"), ("second line", "a"), ("中文文档", "b")]
    assert docs[2].id == "x1"
    with pytest.raises(ValueError):
        list(iter_docs([str(tmp_path / "a.txt")], where="lang = 'en'"))


def test_uint32_for_large_vocabularies():
    from tokens.shards import token_dtype

    assert token_dtype(65536) == np.uint16 and token_dtype(64000) == np.uint16 and token_dtype(100_000) == np.uint32


def test_inputs_whose_path_holds_a_quote(corpus, tmp_path):
    """Paths reach DuckDB as SQL string literals, quotes doubled."""
    src = tmp_path / "it's" / "kept.parquet"
    src.parent.mkdir()
    src.write_bytes((corpus / "kept.parquet").read_bytes())
    docs = list(iter_docs([str(src)], where="lang = 'zh'"))
    assert len(docs) == 60


def test_a_training_sentencepiece_refuses_is_one_line_for_the_user(tmp_path):
    """A vocabulary smaller than the characters the text needs: SentencePiece's reason, as a ValueError (the CLI
    prints it in one line, exit 2), never its RuntimeError and traceback."""
    src = tmp_path / "t.txt"
    src.write_text("\n".join("".join(chr(0x4E00 + (i * 7 + j) % 3000) for j in range(40)) for i in range(200)))
    with pytest.raises(ValueError, match="SentencePiece refused the training: Vocabulary size is smaller"):
        train_tokenizer([str(src)], str(tmp_path / "tok"), TokenizerConfig(vocab_size=300, character_coverage=1.0))


def test_a_script_without_a_main_guard_fails_instead_of_hanging(corpus, tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    script = tmp_path / "tok.py"
    script.write_text(
        f"import sys; sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})\n"
        "from tokens.shards import TokenizeConfig, tokenize\n"
        f"tokenize([{str(corpus / 'kept.parquet')!r}], {str(corpus / 'tok')!r}, {str(tmp_path / 'out')!r}, "
        "TokenizeConfig(workers=2))\n"
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "BrokenProcessPool" in done.stderr
