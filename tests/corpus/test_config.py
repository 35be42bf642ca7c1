import pytest

from corpus.config import BuildConfig, dump_config, load_config
from corpus.configlib import ConfigError


@pytest.mark.parametrize("yaml_text, key", [
    ("foo: 1\n", "foo"),
    ("lang: {min_score: {en: 2}}\n", "lang.min_score.en"),
    ("executor: {kind: kubernetes}\n", "executor.kind"),
    ("executor: {workers: 0}\n", "executor.workers"),
    ("extract: {timeout_s: -1}\n", "extract.timeout_s"),
    ("extract: {mode: quick}\n", "extract.mode"),
    ("extract: {fast_max_links: -1}\n", "extract.fast_max_links"),
    ("stages: [lang_id, nonsense]\n", "stages[1]"),
    ("lang: {keep: en}\n", "lang.keep"),
    ("content: {max_bytes: ten}\n", "content.max_bytes"),
])
def test_bad_config_names_the_key(tmp_path, yaml_text, key):
    path = tmp_path / "c.yaml"
    path.write_text(yaml_text)
    with pytest.raises(ConfigError) as e:
        load_config(path)
    assert e.value.key == key


def test_print_config_round_trips(tmp_path):
    cfg = load_config(None, inputs=("a.warc.gz",), output="o", executor={"workers": 2})
    path = tmp_path / "eff.yaml"
    path.write_text(dump_config(cfg))
    assert load_config(path) == cfg
    assert cfg.executor.workers == 2 and cfg.stages == BuildConfig().stages
