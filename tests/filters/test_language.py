import pytest
from datatrove.data import Document

from corpus.core import vocab as v


@pytest.mark.parametrize(
    "text,lang",
    [
        # Chinese set with ASCII punctuation: lid.176 alone says "sv" for this abstract
        (
            "归责原则是环境侵权制度的核心和关键,考察现行归责原则理论和实践不难发现,学说上存在过错责任与无过错责任之争,"
            "立法上面临较大的困境.本文在分析现行归责原则的基础上,提出了完善我国环境侵权归责原则的建议.",
            "zh",
        ),
        ("東京は日本の首都です。人口がとても多い都市として知られています。", "ja"),  # kana: not Chinese
        ("한국어 문장입니다. 漢字가 조금 있습니다.", "ko"),
        ("The quick brown fox jumped over the lazy dog while 小狗 watched from the garden.", "en"),
    ],
)
def test_language_id_reads_the_script_of_han_text(text, lang):
    from filters.language import LanguageScorer

    got = LanguageScorer().score(Document(text=text, id="x"))
    assert got[v.LANG] == lang and got[v.LANG_SCORE] >= 0.5


# ---------------------------------------------------------------- the lang_id stage's thresholds, replayed


def _mixed_texts() -> list[str]:
    """English article text followed by a German passage of varying length: lid.176's English score then
    spreads over 0.48-0.95 (German wins on some), around the default floor of 0.65; two Chinese articles."""
    from corpus.demo import GERMAN, demo_texts

    en = [" ".join(t.split("\n")[1:]) for lang, t in demo_texts() if lang == "en"]
    zh = [t for lang, t in demo_texts() if lang == "zh"]
    return [en[i % len(en)][: 60 + 20 * (i % 9)] + " " + GERMAN[: 40 + 15 * (i % 5)] for i in range(40)] + zh[:2]


@pytest.fixture(scope="module")
def mixed_jsonl(tmp_path_factory):
    import json

    path = tmp_path_factory.mktemp("mixed") / "mixed.jsonl"
    path.write_text(
        "".join(
            json.dumps({"id": f"d{i:02d}", "text": t}, ensure_ascii=False) + "\n" for i, t in enumerate(_mixed_texts())
        ),
        encoding="utf-8",
    )
    return path


STAGES_RUN = ["url_filter", "lang_id", "gopher_quality"]


def _build(src, out, **overrides):
    from corpus.build import build
    from tests.corpus.helpers import make_config

    cfg = make_config([src], out, stages=STAGES_RUN, input={"id_field": "id"}, executor={"workers": 1}, **overrides)
    assert build(cfg).exit_code == 0
    return out


@pytest.mark.parametrize(
    "assignment, rebuilt_with, annotate_all",
    [
        ("en.lang_score.min=0.8", {"thresholds": {"en": {"lang_score": {"min": 0.8}}}}, False),  # tighter
        # looser, for every language: documents dropped at lang_id need the later signals (--annotate-all)
        ("lang_score.min=0.55", {"thresholds": {"*": {"lang_score": {"min": 0.55}}}}, True),
        ("lang_id.keep=[en,zh,de]", {"lang_id": {"keep": ["en", "zh", "de"]}}, True),
    ],
)
def test_refilter_replays_lang_id_as_a_rebuild(mixed_jsonl, tmp_path, assignment, rebuilt_with, annotate_all):
    from tests.clirun import corpus
    from tests.corpus.helpers import fates_by_id

    out = _build(mixed_jsonl, tmp_path / "out", annotate_all=annotate_all)
    r = corpus("refilter", out, "--set", assignment, "-o", tmp_path / "re")
    assert r.returncode == 0, r.stderr
    rebuilt = _build(mixed_jsonl, tmp_path / "rebuilt", annotate_all=annotate_all, **rebuilt_with)
    before, after = fates_by_id(out), fates_by_id(tmp_path / "re")
    assert after == fates_by_id(rebuilt)
    assert after != before  # the new threshold decided something
    assert {f[1:3] for f in after.values() if f[0] == "dropped"} >= {("lang_id", v.R_LANG_LOW_SCORE)}


def _former_dialect(config: dict) -> dict:
    """A build config as builds wrote it before the sections were named after their stages."""
    old = {k: v for k, v in config.items() if k not in ("lang_id", "cluster")}
    lang = {k: v for k, v in config["lang_id"].items() if k != "defaults_file"}
    old["lang"] = {**lang, "min_score": {"en": 0.65, "zh": 0.5}, "default_min_score": 0.5}
    old["clusters"] = config["cluster"]
    for section in ("heuristics", "page_type"):
        old[section] = {("defaults" if k == "defaults_file" else k): x for k, x in config[section].items()}
    return old


def test_a_build_made_under_the_former_key_names_resumes_and_refilters(mixed_jsonl, tmp_path, capsys):
    import json

    from corpus.build import ConfigChanged, build
    from corpus.refilter import effective_config
    from tests.clirun import corpus
    from tests.corpus.helpers import fates_by_id, make_config

    out = _build(mixed_jsonl, tmp_path / "out")
    expected = effective_config(str(out))
    config_file, manifest_file = out / "build-config.json", out / "manifest.json"
    now = json.loads(config_file.read_text())
    config_file.write_text(json.dumps(_former_dialect(now), sort_keys=True))
    manifest = json.loads(manifest_file.read_text())
    manifest_file.write_text(json.dumps({**manifest, "config": _former_dialect(manifest["config"])}))
    capsys.readouterr()

    assert effective_config(str(out)) == expected
    assert capsys.readouterr().err == ""  # a stored config is read quietly
    r = corpus("refilter", out, "--set", "en.lang_score.min=0.8", "-o", tmp_path / "re")
    assert r.returncode == 0 and "note" not in r.stderr, r.stderr
    rebuilt = _build(mixed_jsonl, tmp_path / "rebuilt", thresholds={"en": {"lang_score": {"min": 0.8}}})
    assert fates_by_id(tmp_path / "re") == fates_by_id(rebuilt)

    cfg = make_config([mixed_jsonl], out, stages=STAGES_RUN, input={"id_field": "id"}, executor={"workers": 1})
    assert build(cfg).exit_code == 0  # the same config, written under former names: resumed, not refused
    assert json.loads(config_file.read_text()) == now
    with pytest.raises(ConfigChanged):
        build(make_config([mixed_jsonl], out, stages=STAGES_RUN, input={"id_field": "id"}, seed=1))
