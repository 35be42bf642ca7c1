"""Hostile inputs (issue 21): every record ends in exactly one of kept/dropped/failed, per shard, whatever
the input holds, and nothing from the crawl reaches the terminal raw or stops the build."""

import io
import json
import os
import unicodedata

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from corpus.build import build
from corpus.cli import make_app
from corpus.core.sql import connect
from tests.corpus.helpers import make_config

pytestmark = pytest.mark.faults

STAGES = ["lang_id"]
EVIL = "\x07\x1b]0;owned\x07\x1b[31m"  # BEL, a window-title escape sequence, a colour


def article(i: int) -> str:
    return f"Report {i}. " + "The survey covered eleven sites along the river this year, two more than last. " * 12


def warc_record(
    i: int, gz: bool, url: str | None = None, ctype: str = "text/html; charset=utf-8", body: bytes | None = None
) -> bytes:
    """One response record, alone (a gzip member when gz); fixed id and date, so its bytes are the same every run."""
    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=gz)
    http = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.1")
    body = body if body is not None else f"<html><body><p>{article(i)}</p></body></html>".encode()
    record = writer.create_warc_record(
        url or f"https://a.example/{i}",
        "response",
        payload=io.BytesIO(body),
        http_headers=http,
        warc_headers_dict={
            "WARC-Record-ID": f"<urn:uuid:00000000-0000-0000-0000-{i:012d}>",
            "WARC-Date": "2024-01-01T00:00:00Z",
        },
    )
    if url == "":
        record.rec_headers.remove_header("WARC-Target-URI")
    writer.write_record(record)
    return buf.getvalue()


def write_jsonl(path, rows: list[str]) -> str:
    path.write_text("".join(r + "\n" for r in rows), encoding="utf-8")
    return str(path)


def run(inputs, out, **overrides):
    return build(make_config(inputs, out, stages=STAGES, executor={"workers": 1}, **overrides))


def shard(result, path) -> dict:
    """The file's accounting, which must add up whatever happened to it."""
    s = result.shards[path]
    assert s["records"] == s["kept"] + s["dropped"] + s["failed"], s
    return s


def failed_rows(out) -> list[tuple]:
    return (
        connect(str(out))
        .execute("select id, stage, error_class, error_message, source_offset from failed order by id")
        .fetchall()
    )


def urls(out, fates=("kept", "dropped")) -> set[str]:
    con = connect(str(out))
    return {u for f in fates for (u,) in con.execute(f"select url from {f}").fetchall()}


def no_control_characters(s: str) -> bool:
    return not any(unicodedata.category(ch) in ("Cc", "Cs") for ch in s)


# ---------------------------------------------------------------- 3: output inside or equal to the input


def _overlap(tmp_path, case):
    d = tmp_path / "d"
    (d / "in").mkdir(parents=True)
    warc = d / "in" / "a.warc.gz"
    warc.write_bytes(warc_record(0, gz=True))
    return warc, {
        "same_dir": ([str(d / "in")], d / "in"),
        "file_in_output": ([str(warc)], d),
        "glob_under_output": ([str(d / "in" / "*.warc.gz")], d),
    }[case]


@pytest.mark.parametrize("overwrite", [False, True])
@pytest.mark.parametrize("case", ["same_dir", "file_in_output", "glob_under_output"])
def test_output_holding_an_input_is_refused_before_anything_is_touched(tmp_path, case, overwrite):
    warc, (inputs, out) = _overlap(tmp_path, case)
    # OUT already holds a build (of an older version, recognised by its config): --overwrite may clear it
    (out / "manifest.json").write_text(json.dumps({"config": {"inputs": [], "output": str(out), "stages": []}}))
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    r = CliRunner().invoke(make_app(), ["build", *inputs, "-o", str(out), *(["--overwrite"] if overwrite else [])])
    assert r.exit_code == 2, r.output
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("error: input "), r.stderr
    assert "lies inside the output directory" in r.stderr
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
    assert warc.read_bytes() == warc_record(0, gz=True)


@pytest.mark.parametrize("rerun", ["after_a_kill", "overwrite"])
def test_output_inside_an_input_directory_is_never_read_as_input(tmp_path, rerun):
    d = tmp_path / "d"
    d.mkdir()
    warc = d / "a.warc.gz"
    warc.write_bytes(b"".join(warc_record(i, gz=True) for i in range(3)))
    first = run([d], d / "out")
    if rerun == "after_a_kill":  # a killed build wrote its tables and logs but no manifest or funnel
        for name in ("manifest.json", "funnel.json"):
            (d / "out" / name).unlink()
    # the rerun finds the first build's Parquet, logs and JSON under d
    again = build(make_config([d], d / "out", stages=STAGES, executor={"workers": 1}), overwrite=rerun == "overwrite")
    assert list(again.shards) == list(first.shards) == [str(warc)]
    assert shard(again, str(warc))["records"] == 3 and again.exit_code == 0
    assert again.funnel["totals"] == first.funnel["totals"]
    manifest = json.loads((d / "out" / "manifest.json").read_text())
    assert [i["path"] for i in manifest["inputs"]] == [str(warc)]


# ---------------------------------------------------------------- 10: which files a directory holds


def test_directory_input_reads_only_files_of_a_known_input_format(tmp_path):
    d = tmp_path / "d"
    (d / "sub").mkdir(parents=True)
    (d / "a.warc.gz").write_bytes(warc_record(0, gz=True))
    write_jsonl(d / "sub" / "b.jsonl", [json.dumps({"text": article(1)})])
    (d / "readme.txt").write_text("where this crawl came from\n")
    (d / "notes.md").write_text("# notes\n")
    result = run([d], tmp_path / "out")
    assert sorted(os.path.basename(s) for s in result.shards) == ["a.warc.gz", "b.jsonl"]
    assert result.exit_code == 0 and result.funnel["totals"]["failed"] == 0


# ---------------------------------------------------------------- 6: strings Parquet cannot store


@pytest.mark.parametrize("field", ["text", "url", "id"])
def test_lone_surrogate_in_a_jsonl_field_is_one_failed_row(tmp_path, field):
    good = [{"text": article(i), "url": f"https://j.example/{i}", "id": f"doc{i}"} for i in range(3)]
    lines = [json.dumps(r) for r in good]
    lines[1] = lines[1].replace(good[1][field], "lone \\ud800 surrogate")  # a JSON escape json.loads accepts
    src = write_jsonl(tmp_path / "s.jsonl", lines)
    result = run([src], tmp_path / "out", input={"id_field": "id"})
    assert result.exit_code == 0  # one bad record: the build finishes (it used to die, exit 3, on every rerun)
    assert shard(result, src)["records"] == 3 and result.shards[src]["failed"] == 1
    [(doc_id, stage, error_class, message, offset)] = failed_rows(tmp_path / "out")
    assert (doc_id, stage, error_class, offset) == ("s.jsonl#1", "read", "InputError", 1)
    assert f"'{field}'" in message and "surrogate" in message
    assert urls(tmp_path / "out") == {"https://j.example/0", "https://j.example/2"}


@pytest.mark.parametrize(
    "name, content",
    [
        (b"caf\xe9.jsonl", "jsonl"),  # Latin-1 file names from an old file system
        (b"crawl-\xff\xfe.warc.gz", "warc"),
    ],
)
def test_file_name_that_is_not_utf8_is_read_and_accounted(tmp_path, name, content):
    d = tmp_path / "in"
    d.mkdir()
    path = os.path.join(os.fsencode(d), name)
    with open(path, "wb") as f:
        f.write(warc_record(0, gz=True) if content == "warc" else (json.dumps({"text": article(0)}) + "\n").encode())
    result = run([d], tmp_path / "out")
    assert result.exit_code == 0
    [(shown, s)] = result.shards.items()
    assert shown == os.path.join(str(d), name.decode("utf-8", "backslashreplace"))  # the bytes, written \xNN
    assert s["records"] == 1 == s["kept"] + s["dropped"]
    con = connect(str(tmp_path / "out"))
    assert con.execute("select source_file from docs").fetchall() == [(shown,)]


def test_payload_that_decodes_to_lone_surrogates_is_stored(tmp_path):
    """UTF-7 (a label any response can carry) decodes "+2AA-" to a lone surrogate; plain text is kept as decoded."""
    body = f"{article(0)} +2AA- end".encode()
    src = tmp_path / "u7.warc.gz"
    src.write_bytes(warc_record(0, gz=True, ctype="text/plain; charset=utf-7", body=body) + warc_record(1, gz=True))
    result = run([src], tmp_path / "out")
    assert result.exit_code == 0 and shard(result, str(src))["records"] == 2
    assert urls(tmp_path / "out") == {"https://a.example/0", "https://a.example/1"}


# ---------------------------------------------------------------- 7: silent loss


def _with_content_length(record: bytes, delta: int) -> bytes:
    start = record.index(b"Content-Length: ") + len(b"Content-Length: ")
    end = record.index(b"\r\n", start)
    return record[:start] + str(int(record[start:end]) + delta).encode() + record[end:]


@pytest.mark.parametrize("delta", [500, -20])
def test_wrong_content_length_fails_that_record_and_the_next_is_read(tmp_path, delta):
    records = [warc_record(i, gz=False) for i in range(3)]
    records[0] = _with_content_length(records[0], delta)
    src = tmp_path / "cl.warc"
    src.write_bytes(b"".join(records))
    result = run([src], tmp_path / "out")
    s = shard(result, str(src))
    assert s["records"] == 3 and s["failed"] == 1 and s["shard_errors"] >= 1 and result.exit_code == 1
    [(doc_id, stage, error_class, message, offset)] = failed_rows(tmp_path / "out")
    assert (doc_id, stage, error_class, offset) == ("cl.warc#0", "read", "DamagedRecord", 0)
    assert "Content-Length" in message and f"byte {len(records[0])}" in message  # where reading resumed
    assert urls(tmp_path / "out") == {"https://a.example/1", "https://a.example/2"}


@pytest.mark.parametrize("damage, gz", [("no_target_uri", True), ("no_target_uri", False), ("corrupt_member", True)])
def test_damaged_record_is_one_failed_row_and_reading_resumes_after_it(tmp_path, damage, gz):
    records = [warc_record(i, gz=gz, url="" if (i == 1 and damage == "no_target_uri") else None) for i in range(4)]
    if damage == "corrupt_member":
        middle = len(records[1]) // 2
        records[1] = records[1][:middle] + b"\xff" * 16 + records[1][middle + 16 :]
    src = tmp_path / ("d.warc.gz" if gz else "d.warc")
    src.write_bytes(b"".join(records))
    result = run([src], tmp_path / "out")
    s = shard(result, str(src))
    assert s["records"] == 4 and s["failed"] == 1 and s["shard_errors"] >= 1 and result.exit_code == 1
    [(doc_id, stage, error_class, message, offset)] = failed_rows(tmp_path / "out")
    assert (doc_id, stage, error_class, offset) == (f"{src.name}#1", "read", "DamagedRecord", len(records[0]))
    assert f"resumed at byte {len(records[0]) + len(records[1])}" in message
    assert urls(tmp_path / "out") == {f"https://a.example/{i}" for i in (0, 2, 3)}


def test_parquet_value_that_is_not_utf8_fails_only_its_row(tmp_path):
    texts = [article(0).encode(), b"bad \xff\xfe bytes", article(2).encode(), article(3).encode()]
    src = tmp_path / "p.parquet"
    pq.write_table(
        pa.table(
            {
                "text": pa.array(texts, pa.binary()).view(pa.string()),
                "url": [f"https://p.example/{i}" for i in range(4)],
            }
        ),
        src,
    )
    result = run([src], tmp_path / "out")
    s = shard(result, str(src))
    assert s["records"] == 4 and s["failed"] == 1
    [(doc_id, stage, error_class, _, offset)] = failed_rows(tmp_path / "out")
    assert (doc_id, stage, error_class, offset) == ("p.parquet#1", "read", "UnicodeDecodeError", 1)
    assert urls(tmp_path / "out") == {f"https://p.example/{i}" for i in (0, 2, 3)}


# ---------------------------------------------------------------- 10: short, printable messages; safe terminal


@pytest.mark.parametrize("name", ["garbage.warc", "garbage.warc.gz"])
def test_garbage_warc_error_is_one_short_printable_line(tmp_path, name):
    src = tmp_path / name
    src.write_bytes(b"WARC/1.0\r\n" + bytes(range(256)) * 8)
    result = run([src], tmp_path / "out")
    assert shard(result, str(src))["records"] == 1 and result.shards[str(src)]["failed"] == 1
    [(_, stage, _, message, _)] = failed_rows(tmp_path / "out")
    assert stage == "read" and len(message) <= 300 and no_control_characters(message), message


def test_crawl_data_reaches_the_terminal_escaped(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    (d / "ok.warc.gz").write_bytes(warc_record(0, gz=True, url=f"https://a.example/{EVIL}"))
    (d / f"evil{EVIL}.warc.gz").write_bytes(b"WARC/1.0\r\n" + EVIL.encode() * 50)  # a shard with errors
    config = tmp_path / "build.yaml"
    config.write_text("stages: [lang_id]\nexecutor: {workers: 1}\n")
    out = tmp_path / "out"
    app = make_app()
    built = CliRunner().invoke(app, ["build", str(d), "-o", str(out), "-c", str(config)])
    assert built.exit_code == 1, built.output
    assert "shard with errors" in built.stderr and "evil\\x07\\x1b]0;owned" in built.stderr
    shown = CliRunner().invoke(app, ["sql", str(out), "select url, source_file, error_message from docs"])
    assert shown.exit_code == 0 and "a.example/\\x07" in shown.stdout
    for r in (built, shown):
        assert no_control_characters(r.output.replace("\n", "")), r.output


# ---------------------------------------------------------------- 10: ids from input.id_field


def test_repeated_id_field_value_is_a_failed_row(tmp_path):
    rows = [
        {"text": article(i), "id": doc_id, "url": f"https://j.example/{i}"}
        for i, doc_id in enumerate(["a", "b", "a", 7, "7"])
    ]
    src = write_jsonl(tmp_path / "ids.jsonl", [json.dumps(r) for r in rows])
    result = run([src], tmp_path / "out", input={"id_field": "id"})
    s = shard(result, src)
    assert s["records"] == 5 and s["failed"] == 2 and result.exit_code == 0
    failed = failed_rows(tmp_path / "out")
    assert [(r[0], r[1], r[2]) for r in failed] == [
        ("ids.jsonl#2", "read", "DuplicateId"),
        ("ids.jsonl#4", "read", "DuplicateId"),
    ]
    assert "'a'" in failed[0][3] and "input.id_field" in failed[0][3]
    ids = connect(str(tmp_path / "out")).execute("select id from kept union all select id from dropped").fetchall()
    assert sorted(i for (i,) in ids) == ["7", "a", "b"]


def test_id_field_value_repeated_across_files_is_said_and_exits_1(tmp_path):
    """Each file is its own task, so no reader sees both records: the finished build counts the repeats."""
    (tmp_path / "in").mkdir()
    a = write_jsonl(tmp_path / "in" / "a.jsonl", [json.dumps({"text": article(0), "id": "same"})])
    b = write_jsonl(tmp_path / "in" / "b.jsonl", [json.dumps({"text": article(1), "id": "same"})])
    result = run([a, b], tmp_path / "out", input={"id_field": "id"})
    assert result.repeated_ids == 1 and result.exit_code == 1
    assert json.load(open(tmp_path / "out" / "manifest.json"))["repeated_ids"] == 1
    assert all(s["balanced"] for s in result.shards.values())
