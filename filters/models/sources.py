"""Readers for the training inputs named in a sources file (filters/data/train_sources.yaml)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import yaml

from corpus.core.files import open_text

DEFAULT_SOURCES = Path(__file__).resolve().parents[1] / "data" / "train_sources.yaml"


def load_sources(path: str | Path | None = None) -> dict:
    return yaml.safe_load(Path(path or DEFAULT_SOURCES).read_text(encoding="utf-8"))


def _rows(f, fmt: str, header: bool):
    if fmt == "jsonl":
        return (json.loads(line) for line in f if line.strip())
    if fmt == "csv" and header:
        return csv.DictReader(f)
    if fmt == "csv":
        return ({str(i): v for i, v in enumerate(r)} for r in csv.reader(f))
    reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
    if header:
        names = next(reader)
        return (dict(zip(names, r)) for r in reader)
    return ({str(i): v for i, v in enumerate(r)} for r in reader)


def read_source(root: str | Path, spec: dict, lang: str = "en") -> list[str] | list[tuple[str, int]]:
    """Texts of one source; (text, label) pairs when the spec names a label column. `join: N` makes
    one document of every N consecutive rows, one a line (headlines -> a portal's list page);
    `teasers: N` makes N home pages of (field, blurb) rows (filters/models/synthetic.py)."""
    texts = _read_source(root, spec)
    if spec.get("teasers"):
        from filters.models.synthetic import teaser_pages

        return teaser_pages(texts, int(spec["teasers"]), lang, int(spec.get("seed") or 0))
    n = int(spec.get("join") or 1)
    if n > 1:
        texts = ["\n".join(texts[i : i + n]) for i in range(0, len(texts) - n + 1, n)]
    return texts


def _read_source(root: str | Path, spec: dict) -> list[str] | list[tuple[str, int]]:
    path = Path(root) / spec["path"]
    fmt = spec.get("format", "lines")
    if fmt == "wikitext":  # one document per article, one paragraph a line
        from filters.reference import wikitext_articles

        return wikitext_articles(path, sep="\n", headings=False)
    with open_text(path) as f:
        if fmt == "lines":
            rows = [line.strip() for line in f if line.strip()]
            if spec.get("uncut"):  # ChID cut passages mid-sentence and marked the cut with "..."
                from filters.reference import uncut

                rows = [r for r in map(uncut, rows) if r]
            return rows
        where = {str(k): str(v) for k, v in (spec.get("where") or {}).items()}
        out = []
        for row in _rows(f, fmt, bool(spec.get("header", fmt == "csv"))):
            if any(str(row.get(k)) != v for k, v in where.items()):
                continue
            text = str(row.get(spec["field"]) or "").strip()
            if not text:
                continue
            if "label" in spec:
                out.append((text, int(str(row.get(spec["label"])) in spec["unsafe"])))
            elif "blurb" in spec:
                out.append((text, str(row.get(spec["blurb"]) or "").strip()))
            else:
                out.append(text)
        return out


def read_role(root: str | Path, sources: dict, role: str, lang: str) -> tuple[list, list[dict]]:
    """All texts of one role and language, and the input records (path, checksum, count) for a manifest."""
    from corpus.core.files import file_sha256

    texts, inputs = [], []
    for spec in sources.get(role, {}).get(lang, []):
        got = read_source(root, spec, lang)
        texts += got
        inputs.append({"path": spec["path"], "sha256": file_sha256(Path(root) / spec["path"]), "records": len(got)})
    return texts, inputs


def crawl_texts(
    build_dirs: list[str], lang: str, limit: int, seed: int, skip=None
) -> tuple[list[tuple[str, str, str | None]], list[dict]]:
    """A random sample (fixed by seed) of a build's documents in one language, as (text, url, the
    page_type reason when that stage dropped it): the
    kept ones and those a heuristic family or page_type dropped (a sample built with those stages
    on keeps its rejects; crawl_labels decides the heuristics again either way, page_type's verdict
    needs the HTML and is read from the build). `skip(source_file, url)`: documents never sampled
    (their count is the input record's `left_out`)."""
    from corpus.core.sql import connect
    from filters.heuristics.steps import FAMILIES

    stages = ", ".join(f"'{s}'" for s in (*FAMILIES, "page_type"))
    docs, inputs = [], []
    for d in build_dirs:
        cur = connect(d).execute(
            f"select text, url, case when stage = 'page_type' then reason end, source_file "
            "from docs where lang = ? and length(text) > 0 and "
            f"(fate = 'kept' or (fate = 'dropped' and stage in ({stages}))) "
            "order by hash(id || ?)",
            [lang, str(seed)],
        )
        got, left_out = [], 0
        while len(got) < limit and (batch := cur.fetchmany(1000)):
            for t, u, r, src in batch:
                if skip is not None and skip(src or "", u or ""):
                    left_out += 1
                elif len(got) < limit:
                    got.append((t, u or "", r))
        docs += got
        inputs.append(
            {
                "path": str(Path(d).resolve()),
                "lang": lang,
                "records": len(got),
                **({"left_out": left_out} if left_out else {}),
            }
        )
    return docs, inputs
