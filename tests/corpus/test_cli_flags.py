"""The flags people expect on `corpus build` (--limit, --stages, --set), and messages that say what to do:
a threshold without its bound, a threshold on a demo model's score, a view the build does not have."""

import json

import pytest

from tests.clirun import corpus


def test_build_limit_reads_the_first_records_of_each_file_and_a_resume_must_keep_it(demo_warc, tmp_path):
    out = tmp_path / "out"
    r = corpus("build", demo_warc, "-o", out, "--stages", "url_filter,lang_id", "--limit", "4")
    assert r.returncode == 0, r.stderr
    funnel = json.loads((out / "funnel.json").read_text())
    assert sum(funnel["totals"].values()) == 4
    assert all(s["balanced"] and s["records"] == 4 for s in funnel["shards"].values())
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["config"]["input"]["limit"] == 4 and manifest["config"]["stages"] == ["url_filter", "lang_id"]
    ids = corpus("sql", out, "select id from docs order by record_index", "--format", "csv").stdout.split()[1:]
    assert ids == [f"demo.warc.gz#{i}" for i in range(4)]

    r = corpus("build", demo_warc, "-o", out, "--stages", "url_filter,lang_id", "--limit", "4")
    assert r.returncode == 0, r.stderr  # the same command resumes
    r = corpus("build", demo_warc, "-o", out, "--stages", "url_filter,lang_id", "--limit", "5")
    assert r.returncode == 2 and "another config" in r.stderr and len(r.stderr.splitlines()) == 1


def test_build_set_and_stages_override_the_config(demo_warc, tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text(
        "stages: [url_filter, lang_id, gopher_quality]\nthresholds: {en: {gopher_word_count: {min: 60}}}\n"
    )
    r = corpus(
        "build",
        demo_warc,
        "-c",
        config,
        "-o",
        tmp_path / "o",
        "--stages",
        "url_filter, lang_id,c4",
        "--set",
        "en.gopher_word_count.min=80",
        "--set",
        "extract.mode=fast",
        "--set",
        "c4_sentences.min=3",
        "--print-config",
    )
    assert r.returncode == 0, r.stderr
    import yaml

    cfg = yaml.safe_load(r.stdout)
    assert cfg["stages"] == ["url_filter", "lang_id", "c4"]
    assert cfg["thresholds"] == {"en": {"gopher_word_count": {"min": 80}}, "*": {"c4_sentences": {"min": 3}}}
    assert cfg["extract"]["mode"] == "fast"


@pytest.mark.parametrize(
    "args, key",
    [
        (["--stages", "url_filter,lang_idd"], "stages[1]"),
        (["--stages", ""], "stages"),
        (["--set", "extract.mode=slow"], "extract.mode"),
        (["--set", "extract.speed=1"], "extract.speed"),
        (["--set", "en.gopher_word_count"], "en.gopher_word_count"),
        (["--set", "gopher_word_count=80"], "gopher_word_count"),
        (["--limit", "-1"], "input.limit"),
    ],
)
def test_build_flag_mistakes_are_one_line_naming_the_key(demo_warc, tmp_path, args, key):
    r = corpus("build", demo_warc, "-o", tmp_path / "o", *args)
    assert r.returncode == 2 and f"'{key}'" in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    "item, suggested",
    [
        ("fineweb_line_punct_ratio=0.05", ["fineweb_line_punct_ratio.min=0.05"]),  # a min-only signal
        ("en.gopher_word_count=80", ["en.gopher_word_count.min=80", "en.gopher_word_count.max=80"]),
        ("thresholds.zh.garbled_punct_ratio=0.3", ["thresholds.zh.garbled_punct_ratio.max=0.3"]),
    ],
)
def test_a_threshold_without_its_bound_suggests_min_or_max(spine_build, tmp_path, item, suggested):
    r = corpus("refilter", spine_build, "--set", item, "-o", tmp_path / "re")
    assert r.returncode == 2 and "expected a mapping" not in r.stderr, r.stderr
    assert "a threshold takes a bound" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert all(f"--set {s}" in r.stderr for s in suggested)
    assert (".max=" in r.stderr) == any(".max=" in s for s in suggested)


def _as_demo_model_build(out):
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["scorer_models"] = {"demo": True, "models_dir": None, "stages": ["perplexity", "quality"]}
    (out / "manifest.json").write_text(json.dumps(manifest))
    return out


def test_a_threshold_on_a_demo_models_score_is_warned_about(spine_build, copy_build, tmp_path):
    demo = _as_demo_model_build(copy_build(spine_build))
    r = corpus("refilter", demo, "--set", "quality_score.min=0.6", "-o", tmp_path / "re")
    assert r.returncode == 0, r.stderr
    warnings = [line for line in r.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "quality_score" in warnings[0] and "demo models" in warnings[0]
    # a threshold on another signal, or a build with real models: nothing to warn about
    r = corpus("refilter", demo, "--set", "en.gopher_word_count.min=80", "-o", tmp_path / "re2")
    assert r.returncode == 0 and "warning:" not in r.stderr, r.stderr
    r = corpus("refilter", spine_build, "--set", "quality_score.min=0.6", "-o", tmp_path / "re3")
    assert r.returncode == 0 and "warning:" not in r.stderr, r.stderr


def test_sql_on_a_view_the_build_does_not_have(spine_build):
    r = corpus("sql", spine_build, "select count(*) from clusters")
    assert r.returncode == 1 and "Catalog Error" not in r.stderr
    assert "this build has no cluster stage" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = corpus("sql", spine_build, "select count(*) from kepts")
    assert r.returncode == 1 and "'kepts'" in r.stderr and "docs, dropped, failed, kept" in r.stderr, r.stderr
    r = corpus("sql", spine_build, "select nosuchfn(1)")  # any other error: DuckDB's first line
    assert r.returncode == 1 and "nosuchfn" in r.stderr
