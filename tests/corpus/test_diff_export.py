"""`corpus diff A B` (documents whose fate changed, by transition, with samples) and `corpus export OUT -o
docs.jsonl[.gz]` (kept documents as JSON Lines): both read-only over the builds."""

import gzip
import hashlib
import json

import pytest

from corpus.core.sql import connect
from tests.clirun import corpus


def _fingerprint(out) -> dict:
    return {
        str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def refiltered(spine_build, tmp_path_factory):
    """The spine build refiltered so that Chinese needs a language score no document has."""
    out = tmp_path_factory.mktemp("diff") / "strict"
    r = corpus("refilter", spine_build, "--set", "zh.lang_score.min=1.01", "-o", out)
    assert r.returncode == 0, r.stderr
    return out


def test_diff_counts_each_transition_and_shows_samples(spine_build, refiltered):
    before = _fingerprint(spine_build)
    zh_kept = connect(str(spine_build)).execute("select count(*) from kept where lang = 'zh'").fetchone()[0]
    assert zh_kept > 1
    r = corpus("diff", spine_build, refiltered, "--limit", 1)
    assert r.returncode == 0, r.stderr
    assert f"{zh_kept} documents changed fate" in r.stdout
    line = next(x for x in r.stdout.splitlines() if x.startswith("kept "))
    assert "dropped at lang_id (lang_low_score)" in line and line.rstrip().endswith(str(zh_kept))
    samples = [x for x in r.stdout.splitlines() if x.startswith("  ")]
    assert len(samples) == 1 and "#" in samples[0]  # one sample id, as --limit asked

    data = json.loads(corpus("diff", spine_build, refiltered, "--json", "--limit", 2).stdout)
    assert data["changed"] == zh_kept and data["transitions"] == [
        {
            "from": "kept",
            "to": "dropped at lang_id (lang_low_score)",
            "docs": zh_kept,
            "samples": data["transitions"][0]["samples"],
        }
    ]
    assert len(data["transitions"][0]["samples"]) == 2
    assert "no document changed its fate" in corpus("diff", spine_build, spine_build).stdout
    assert _fingerprint(spine_build) == before  # read-only


def test_diff_refuses_a_directory_that_is_no_build(spine_build, tmp_path):
    r = corpus("diff", spine_build, tmp_path)
    assert r.returncode == 2 and "is not a build output directory" in r.stderr and r.stderr.count("\n") == 1


def test_export_kept_documents_as_jsonl(spine_build, tmp_path):
    before = _fingerprint(spine_build)
    con = connect(str(spine_build))
    kept = con.execute("select id, url, lang, text from kept order by id").fetchall()
    out = tmp_path / "docs.jsonl.gz"
    r = corpus("export", spine_build, "-o", out)
    assert r.returncode == 0, r.stderr
    assert f"exported {len(kept)} documents" in r.stdout
    rows = [json.loads(line) for line in gzip.open(out, "rt", encoding="utf-8")]
    assert [tuple(x.values()) for x in rows] == kept and list(rows[0]) == ["id", "url", "lang", "text"]

    # a predicate and chosen columns
    zh = tmp_path / "zh.jsonl"
    r = corpus("export", spine_build, "-o", zh, "--where", "lang = 'zh'", "--columns", "id,lang_score")
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in zh.read_text(encoding="utf-8").splitlines()]
    assert rows and all(set(x) == {"id", "lang_score"} for x in rows)
    assert len(rows) == con.execute("select count(*) from kept where lang = 'zh'").fetchone()[0]

    # an existing file is kept without --overwrite
    first = out.read_bytes()
    r = corpus("export", spine_build, "-o", out, "--where", "lang = 'zh'")
    assert r.returncode == 2 and "--overwrite" in r.stderr and out.read_bytes() == first
    r = corpus("export", spine_build, "-o", out, "--where", "lang = 'zh'", "--overwrite")
    assert r.returncode == 0 and sum(1 for _ in gzip.open(out, "rt")) == len(rows)
    assert _fingerprint(spine_build) == before  # read-only
    assert sorted(p.name for p in tmp_path.iterdir()) == ["docs.jsonl.gz", "zh.jsonl"]  # no temporary left


@pytest.mark.parametrize(
    "args, message",
    [
        (["--where", "1=1; copy kept to 'x.csv'"], "--where"),
        (["--where", "no_such_column > 1"], "no_such_column"),
        (["--columns", "id,no_such_column"], "no_such_column"),
    ],
)
def test_export_refuses_bad_arguments_in_one_line(spine_build, tmp_path, args, message):
    r = corpus("export", spine_build, "-o", tmp_path / "x.jsonl", *args)
    assert r.returncode == 2 and message in r.stderr and r.stderr.count("\n") == 1, r.stderr
    assert not (tmp_path / "x.jsonl").exists()


def test_export_refuses_what_is_neither_a_build_nor_a_checkpoint(tmp_path, spine_build):
    r = corpus("export", tmp_path, "-o", tmp_path / "x.jsonl")
    assert r.returncode == 2 and "neither a build" in r.stderr
    r = corpus("export", spine_build, "-o", tmp_path / "x.csv")
    assert r.returncode == 2 and ".jsonl" in r.stderr
