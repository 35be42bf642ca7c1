import pytest

from corpus.config import BuildConfig, dump_config, load_config
from corpus.core.configlib import ConfigError


@pytest.mark.parametrize(
    "yaml_text, key",
    [
        ("foo: 1\n", "foo"),
        ("lang: {min_score: {en: 2}}\n", "lang.min_score.en"),
        ("executor: {kind: kubernetes}\n", "executor.kind"),
        ("executor: {workers: 0}\n", "executor.workers"),
        ("extract: {timeout_s: -1}\n", "extract.timeout_s"),
        ("extract: {mode: quick}\n", "extract.mode"),
        ("extract: {fast_max_links: -1}\n", "extract.fast_max_links"),
        ("stages: [lang_id, nonsense]\n", "stages[1]"),
        ("lang: {keep: en}\n", "lang.keep"),  # a former name: the key as the config wrote it
        ("lang_id: {keep: en}\n", "lang_id.keep"),
        ("lang_id: {min_score: {en: 0.5}}\nthresholds: {en: {lang_score: {min: 0.6}}}\n", "lang_id.min_score"),
        ("lang: {keep: [en]}\nlang_id: {keep: [zh]}\n", "lang"),  # one section under both names
        ("clusters: {k: 1}\n", "clusters.k"),
        ("cluster: {k: 1}\n", "cluster.k"),
        ("content: {max_bytes: ten}\n", "content.max_bytes"),
    ],
)
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


# ---------------------------------------------------------------- sections named after their stages


def test_print_config_writes_todays_names():
    text = dump_config(load_config(None))
    assert "\nlang_id:\n" in text and "\ncluster:\n" in text
    assert "\nlang:" not in text and "\nclusters:" not in text and "min_score: {" not in text
    assert text.count("defaults_file:") == 4  # lang_id, page_type, heuristics, scorers: one spelling
    assert "  defaults:" not in text


def test_former_names_load_the_same_config_with_one_note_each(tmp_path, capsys):
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(
        "lang: {keep: [en, de], max_chars: 500}\nclusters: {k: 3}\n"
        "heuristics: {defaults: ''}\npage_type: {defaults: ''}\n"
    )
    new.write_text(
        "lang_id: {keep: [en, de], max_chars: 500}\ncluster: {k: 3}\n"
        "heuristics: {defaults_file: ''}\npage_type: {defaults_file: ''}\n"
    )
    capsys.readouterr()
    cfg = load_config(new)
    assert capsys.readouterr().err == ""
    assert load_config(old) == cfg and cfg.lang_id.keep == ("en", "de") and cfg.cluster.k == 3
    notes = capsys.readouterr().err.splitlines()
    assert len(notes) == 4 and all(n.startswith("note: ") for n in notes)
    renamed = {
        "lang": "lang_id",
        "clusters": "cluster",
        "heuristics.defaults": "heuristics.defaults_file",
        "page_type.defaults": "page_type.defaults_file",
    }
    for former, now in renamed.items():
        assert any(f"'{former}' is now '{now}'" in n for n in notes)


def _floors(cfg) -> dict:
    """lang -> the lang_score floor the lang_id stage drops below."""
    from corpus.stages import STAGES

    rules = STAGES["lang_id"].rules_of(cfg)
    return {lang: [r.min for r in by_lang if r.key == "lang_score"] for lang, by_lang in rules.items()}


@pytest.mark.parametrize(
    "former, floors",
    [
        # a kept language's floor was min_score[lang], else default_min_score
        ({"min_score": {"en": 0.8}, "default_min_score": 0.3}, {"en": [0.8], "zh": [0.3], "de": [0.3]}),
        ({"default_min_score": 0.4}, {"en": [0.65], "zh": [0.5], "de": [0.4]}),
        ({"min_score": {"zh": 0.7}}, {"en": [0.5], "zh": [0.7], "de": [0.5]}),
        ({"min_score": {"en": 0.65, "zh": 0.5}, "default_min_score": 0.5}, {"en": [0.65], "zh": [0.5], "de": [0.5]}),
    ],
)
def test_former_min_scores_are_lang_score_thresholds(former, floors, capsys):
    for section in ("lang", "lang_id"):
        cfg = load_config(None, **{section: {"keep": ["en", "zh", "de"], **former}})
        assert {lang: f for lang, f in _floors(cfg).items() if lang != "*"} == floors
        assert _floors(cfg)["*"] == []  # any other language is not kept, whatever its score
        assert "lang_score.min" in capsys.readouterr().err
    if former == {"min_score": {"en": 0.65, "zh": 0.5}, "default_min_score": 0.5}:  # the former defaults
        assert cfg == load_config(None, lang_id={"keep": ["en", "zh", "de"]}) and not cfg.thresholds


def test_the_lang_score_floor_is_a_threshold_of_the_one_dialect():
    cfg = load_config(None, thresholds={"en": {"lang_score": {"min": 0.9}}, "*": {"lang_score": {"min": 0.2}}})
    assert _floors(cfg) == {"*": [], "en": [0.9], "zh": [0.2]}
    assert _floors(load_config(None)) == {"*": [], "en": [0.65], "zh": [0.5]}  # filters/data/lang_id.yaml


def test_same_config_under_former_names():
    import json

    from corpus.config import same_config, to_dict

    cfg = load_config(None, inputs=("a.jsonl",), stages=["lang_id"])
    data = to_dict(cfg)
    lang = {k: v for k, v in data.pop("lang_id").items() if k != "defaults_file"}
    clusters = data.pop("cluster")
    former = {
        **data,
        "lang": {**lang, "min_score": {"en": 0.65, "zh": 0.5}, "default_min_score": 0.5},
        "clusters": clusters,
    }
    assert same_config(json.dumps(former, sort_keys=True), cfg)
    assert not same_config(json.dumps({**former, "seed": 1}, sort_keys=True), cfg)
    assert not same_config(json.dumps({**former, "lang": {**former["lang"], "default_min_score": 0.4}}), cfg)
    assert not same_config("not json", cfg)


# ---------------------------------------------------------------- what a stage is given


def test_every_stage_hook_is_given_its_own_section():
    from corpus.core.steps import StageConfig
    from corpus.stages import STAGES

    cfg = load_config(None, seed=7, thresholds={"en": {"gopher_word_count": {"min": 10}, "lang_score": {"min": 0.7}}})
    for stage in STAGES.values():
        sc = stage.config(cfg)
        assert isinstance(sc, StageConfig) and stage.config(sc) is sc
        assert (sc.seed, sc.keep, sc.stages, sc.executor) == (cfg.seed, cfg.lang_id.keep, cfg.stages, cfg.executor)
        if stage.section:
            assert sc.section is getattr(cfg, stage.section[0]) is getattr(sc, stage.section[0])
        for name in stage.reads:
            assert getattr(sc, name) is getattr(cfg, name)
        # the thresholds of its own signals only
        assert {k for by_key in sc.thresholds.values() for k in by_key} <= set(stage.signals)
    assert STAGES["lang_id"].config(cfg).thresholds == {"en": {"lang_score": {"min": 0.7}}}
    with pytest.raises(AttributeError, match="Stage.reads"):
        STAGES["url_filter"].config(cfg).dedup  # a section it does not read


def test_no_stage_package_imports_the_application_config():
    """filters/, dedup/ and labels/ are given their StageConfig; none imports corpus.config, not even for
    type checking (import-linter leaves those imports out)."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    found = []
    for package in ("filters", "dedup", "labels"):
        for path in (root / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = (
                    [a.name for a in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module or ""]
                    if isinstance(node, ast.ImportFrom)
                    else []
                )
                found += [f"{path.relative_to(root)}: {n}" for n in names if n.split(".")[:2] == ["corpus", "config"]]
    assert not found
