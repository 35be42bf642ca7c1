import pytest

from corpus.config import BuildConfig, dump_config, load_config
from corpus.core.configlib import ConfigError


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


def test_every_section_a_registered_stage_declares_is_a_build_config_field(monkeypatch):
    from dataclasses import dataclass

    from corpus import stages

    from corpus.core import vocab
    from corpus.config import check_stage_sections
    from corpus.core.steps import Stage

    @dataclass(frozen=True)
    class ProbeConfig:
        n: int = 1

    check_stage_sections()  # the project's own stages
    vocabulary = list(vocab.STAGES)
    probe = Stage("probe", lambda cfg, ctx: [], section=("probe", ProbeConfig))
    assert vocab.STAGES == vocabulary  # declaring a stage declares nothing; the registry does, placing it
    monkeypatch.setitem(stages.STAGES, "probe", probe)
    with pytest.raises(TypeError, match="probe: ProbeConfig"):
        check_stage_sections()


def test_a_stage_bounding_a_signal_of_another_stage_is_refused():
    from corpus.core import vocab
    from corpus.core.steps import Stage

    with pytest.raises(ValueError, match="signal 'gopher_word_count' not its own"):
        Stage(vocab.C4, lambda cfg, ctx: [], signals={vocab.GOPHER_WORD_COUNT: ("gopher_short_doc", None)})
