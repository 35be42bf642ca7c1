"""The report's trade-off curves: for each learned scorer and language the build decided with, the curve its
model recorded at training time (cutoff -> share of the crawl sample removed, share of each good set kept,
share of each poor set removed) and the point the stated rule chose (filters/models/tradeoff.py). Read from
the model manifests the build's `models` record points at; shown only when the build used real models (the
demo models' curves are of a few paragraphs and say nothing)."""

from __future__ import annotations

import json
import os

from filters.models.textclf import shift_note
from filters.models.tradeoff import columns
from reports.page import e, section, table

CURVED = ("perplexity", "quality", "coherence")  # stages whose model records a trade-off curve


def _share(x) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def _curve_table(t: dict) -> str:
    """One row per cutoff, from removing least to most, the rule's point in bold."""
    (good, poor), docs = columns(t), t.get("docs") or {}
    info = set(t.get("information_only") or ())

    def head(name: str, what: str) -> str:
        n = docs.get(name)
        return (
            f"{name} {what}"
            + (f" (n={n})" if n is not None else "")
            + (" (information, no floor)" if name in info else "")
        )

    rows = sorted(
        [*t["curve"], *([{**t["chosen"], "chosen": True}] if t["chosen"] else [])],
        key=lambda r: r["cutoff"],
        reverse=t["bound"] == "max",
    )
    out = []
    for r in rows:
        cells = [
            f"{r['cutoff']:.6g}",
            _share(r["crawl_removed"]),
            *[_share(r["good_kept"].get(g)) for g in good],
            *[_share(r["poor_removed"].get(p)) for p in poor],
        ]
        out.append([f"<b>{c}</b>" for c in cells] + ["rule"] if r.get("chosen") else cells + [""])
    heads = [
        "cutoff",
        head("crawl", "removed"),
        *[head(g, "kept") for g in good],
        *[head(p, "removed") for p in poor],
        "",
    ]
    return table(heads, out, set(range(len(heads) - 1)), "tradeoff")


def _manifest(path: str) -> dict | None:
    try:
        with open(os.path.join(path, "manifest.json"), encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def tradeoff_section(manifest: dict) -> str:
    """'' unless the build's learned stages used non-demo models."""
    if (manifest.get("scorer_models") or {}).get("demo"):
        return ""
    parts = []
    for stage, by_lang in (manifest.get("models") or {}).items():
        if stage not in CURVED:
            continue
        for lang, rec in sorted((by_lang or {}).items()):
            m = _manifest(rec.get("path", ""))
            t = (m or {}).get("tradeoff")
            title = f"<h3><code>{e(stage)}</code>, {e(lang)}</h3>"
            if not t:
                parts.append(
                    title + f"<p>No trade-off curve in <code>{e(str(rec.get('path')))}</code> "
                    "(the model is gone, or was trained before curves were recorded).</p>"
                )
                continue
            side = "below" if t["bound"] == "min" else "above"
            changed = (
                "<p><b>The model at this path has changed since the build</b> (checksum differs): the "
                "curve is the new model's.</p>"
                if m.get("checksum") and rec.get("sha256") and m["checksum"] != rec["sha256"]
                else ""
            )
            used = ", ".join(
                f"{sig} {b} {v:.6g}" for sig, bounds in (rec.get("cutoffs") or {}).items() for b, v in bounds.items()
            )
            point = (
                f"Its point: <b>{t['cutoff']:.6g}</b>{e(shift_note(m.get('params') or {}))}, bound by "
                f"<i>{e(t['binding_set'])}</i>"
                if t["cutoff"] is not None
                else f"<b>Cutoff off</b>: {e(t.get('off_reason') or 'no independent good set')}; the signal is "
                "recorded, nothing is dropped by it"
            )
            parts.append(
                title
                + changed
                + f"<p>A document {side} the cutoff is removed. Rule: {e(t['rule'])}. "
                + point
                + (f"; the model bound of this build: {e(used)}" if used else "")
                + ".</p>"
                + _curve_table(t)
            )
    if not parts:
        return ""
    return section(
        "tradeoffs",
        "Trade-off curves of the learned scorers",
        "<p>Recorded in each model's manifest when it was trained: for each cutoff, the share of the "
        "crawl sample removed, of each good set kept and of each poor set removed (n: documents in "
        "the set).</p>" + "".join(parts),
        opened=False,
    )
