import pytest

from corpus.config import load_config
from corpus.core.configlib import ConfigError
from dedup.config import Shingling


def test_yaml_overrides_merge_into_typed_sections(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(
        "dedup:\n  memory_mb: 64\n  minhash:\n    bands: 20\n    rows: 5\n"
        "    shingles: {zh: {unit: char, n: 3}, '*': {unit: word, n: 4}}\n",
        encoding="utf-8",
    )
    d = load_config(str(path)).dedup
    assert (d.minhash.bands, d.minhash.rows, d.minhash.permutations, d.memory_mb) == (20, 5, 100, 64)
    assert d.minhash.shingling_for("zh") == Shingling("char", 3)
    assert d.minhash.shingling_for("de") == Shingling("word", 4)
    assert d.paragraph.min_chars_for("zh") == 15  # from dedup/data/defaults.yaml


@pytest.mark.parametrize(
    "dedup,key",
    [
        ({"survivor_key": ["-no_such_signal"]}, "dedup.survivor_key"),
        ({"minhash": {"bands": 0}}, "dedup.minhash.bands"),
        ({"minhash": {"shingles": {"zh": {"unit": "char", "n": 3}}}}, "dedup.minhash.shingles"),
        ({"minhash": {"shingles": {"*": {"unit": "syllable", "n": 3}}}}, "dedup.minhash.shingles.*.unit"),
        ({"paragraph": {"max_repeats": 0}}, "dedup.paragraph.max_repeats"),
        ({"memory_mb": 0}, "dedup.memory_mb"),
    ],
)
def test_bad_values_name_the_key(dedup, key):
    with pytest.raises(ConfigError) as e:
        load_config(None, dedup=dedup)
    assert e.value.key == key


def test_dedup_explain_reads_the_dedup_section_of_a_build_config(tmp_path):
    from dedup.cli import dedup_section

    path = tmp_path / "build.yaml"
    path.write_text("stages: [lang_id, dedup_minhash]\nlang_id: {keep: [en]}\ndedup: {minhash: {bands: 20, rows: 5}}\n")
    m = dedup_section(str(path)).minhash
    assert (m.bands, m.rows, m.verify_threshold) == (20, 5, 0.8)
    assert dedup_section(None) == load_config(None).dedup
    path.write_text("dedup: {minhash: {rows: 0}}\n")
    with pytest.raises(ConfigError) as e:
        dedup_section(str(path))
    assert e.value.key == "dedup.minhash.rows"
