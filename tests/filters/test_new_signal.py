"""A new signal in an existing heuristic family, added the way docs/heuristics.md ("Adding a signal") says:
its declaration with its reason, its code in the family's function, its YAML default, and this test. In the
project those are a line in corpus/core/vocab.py, a line in filters/heuristics/garbled.py and a line per
language in filters/data/heuristics.yaml; here the same three are made at run time, and nothing else is touched:
the stage, the config check, the Parquet schema, refilter and the signal table find the signal themselves."""

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from datatrove.data import Document

from corpus.core import vocab
from corpus.stages import STAGES  # the stages exist before the signal does, as in a process that adds a plugin
from filters.heuristics import families, params

DIGITS = "garbled_digit_ratio"
R_DIGITS = "garbled_digits"


def digit_ratio(text: str) -> float:
    nonspace = [c for c in text if not c.isspace()]
    return sum(map(str.isdigit, nonspace)) / len(nonspace) if nonspace else 0.0


@pytest.fixture
def defaults_file(monkeypatch, tmp_path) -> str:
    """The three edits; the vocabulary and the family table are put back after the test."""
    monkeypatch.setattr(vocab, "KEYS", dict(vocab.KEYS))
    monkeypatch.setattr(vocab, "REASONS", dict(vocab.REASONS))
    # 1. the declaration, beside the garbled family's other signals in corpus/core/vocab.py
    vocab.key(
        DIGITS,
        "float64",
        vocab.GARBLED,
        "digits / non-space characters",
        above=(R_DIGITS, "more digits than prose carries"),
    )
    # 2. the code: one more entry in the dict filters.heuristics.garbled.garbled returns
    garbled = families.FAMILIES[vocab.GARBLED]
    monkeypatch.setitem(families.FAMILIES, vocab.GARBLED, lambda u, p: {**garbled(u, p), DIGITS: digit_ratio(u.text)})
    # 3. the default, in each language of filters/data/heuristics.yaml
    data = yaml.safe_load(params.DEFAULTS.read_text(encoding="utf-8"))
    for lang in ("en", "zh"):
        data[lang]["thresholds"][DIGITS] = {"max": 0.5}
    path = tmp_path / "heuristics.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return str(path)


def test_the_config_bounds_the_new_signal(defaults_file):
    from corpus.config import load_config
    from corpus.core.configlib import ConfigError
    from corpus.core.writers import document_row

    cfg = load_config(
        None, stages=[vocab.GARBLED], heuristics={"defaults": defaults_file}, thresholds={"zh": {DIGITS: {"max": 0.3}}}
    )
    rules = STAGES[vocab.GARBLED].rules_of(cfg)
    assert [(r.reason, r.max) for r in rules["en"] if r.key == DIGITS] == [(R_DIGITS, 0.5)]
    assert [(r.reason, r.max) for r in rules["zh"] if r.key == DIGITS] == [(R_DIGITS, 0.3)]
    # the vocabulary stays closed: a signal nobody declared is refused in the config and at write time
    with pytest.raises(ConfigError, match="garbled_typo"):
        load_config(None, heuristics={"defaults": defaults_file}, thresholds={"en": {"garbled_typo": {"max": 1}}})
    with pytest.raises(KeyError, match="garbled_typo"):
        document_row(Document(text="x", id="t", metadata={"garbled_typo": 1.0}))


def test_the_new_signal_is_a_column_and_drops_with_its_reason(defaults_file, tmp_path):
    from corpus.build import build
    from corpus.config import load_config
    from corpus.core.sql import connect
    from corpus.refilter import effective_config, refilter
    from filters.heuristics.table import markdown

    texts = {
        "prose": "The river rose overnight and the ferry stayed in port until the water went down again.",
        "numbers": "Order 1234 5678 9012 3456 7890 2468 1357 8642 9753 1029 3847 5610 7283 9182.",
    }
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in texts.items()))
    out = str(tmp_path / "out")
    cfg = load_config(
        None,
        inputs=(str(src),),
        output=out,
        stages=[vocab.GARBLED],
        input={"id_field": "id"},
        executor={"workers": 1},
        heuristics={"defaults": defaults_file},
    )
    assert build(cfg).exit_code == 0

    files = [f for fate in ("kept", "dropped") for f in (tmp_path / "out" / fate).glob("*.parquet")]
    assert files and all(pq.read_schema(f).field(DIGITS).type == pa.float64() for f in files)
    con = connect(out)
    assert con.execute(f"select id, stage, reason, {DIGITS} > 0.5 from dropped").fetchall() == [
        ("numbers", vocab.GARBLED, R_DIGITS, True)
    ]
    assert con.execute(f"select id, {DIGITS} from kept").fetchall() == [("prose", 0.0)]

    looser = effective_config(out, sets=(f"{DIGITS}.max=1",))
    assert refilter(out, str(tmp_path / "re"), looser).funnel["totals"]["kept"] == 2
    assert f"| `{DIGITS}` | {vocab.GARBLED} | float64 | digits / non-space characters |  | `{R_DIGITS}`:" in markdown()
