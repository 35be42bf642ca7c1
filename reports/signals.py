"""The report's signals section: a histogram per language of every signal a rule thresholds, with the
thresholds and the share of documents each fails, grouped by stage in sections a reader can fold; a
table of every threshold by language with the defaults file's reason for its value; percentiles of
the other signals.

A threshold is always shown as signal, bound and value with the reason it drops a document under
(`fineweb_newline_ratio max 0.3 -> fineweb_list_ratio`): the two names differ for many rules."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from corpus.core import vocab
from corpus.core.steps import Rule, rules_for
from reports import plots
from reports.defaults import Defaults
from reports.page import e, plural, table

UNKNOWN = "unknown"
OPEN_WHEN_FAILING = 0.01  # a stage's plots start unfolded when one of its thresholds fails this share


@dataclass(frozen=True)
class Threshold:
    signal: str
    bound: str  # "min" or "max"
    value: float
    reason: str  # what a document failing it is dropped as

    @property
    def label(self) -> str:
        return f"{self.bound} {self.value:g} → {self.reason}"  # the value, then what failing it is dropped as

    def fails(self, xs: np.ndarray) -> float:
        return float(((xs < self.value) if self.bound == "min" else (xs > self.value)).mean())


def thresholds_of(rules: dict[str, dict[str, tuple[Rule, ...]]], key: str, lang: str) -> list[Threshold]:
    out = []
    for by_lang in rules.values():
        for r in rules_for(by_lang, lang):
            if r.key == key:
                out += [Threshold(key, "min", r.min, r.reason)] if r.min is not None else []
                out += [Threshold(key, "max", r.max, r.reason)] if r.max is not None else []
    return out


def rule_of_reason(rules: dict, stage: str, reason: str, lang: str) -> str:
    """'signal gopher_stop_words below 2' for a reason, in this language; '' where no plain rule decides it."""
    parts = []
    for r in rules_for(rules.get(stage, {}), lang):
        if r.reason == reason:
            parts += [f"{r.key} below {r.min:g}"] if r.min is not None else []
            parts += [f"{r.key} above {r.max:g}"] if r.max is not None else []
    return " or ".join(parts)


def _signal_table(con, langs: list[str]):
    have = {r[0] for r in con.execute("describe docs").fetchall()}
    # every numeric signal, less the read stage's bookkeeping (offsets, indices, sizes)
    keys = [
        k for k in vocab.KEYS.values() if k.dtype in ("int64", "float64") and k.name in have and k.stage != vocab.READ
    ]
    cols = ", ".join(f"{k.name}::double as {k.name}" for k in keys)
    # one scan of the signal columns (never the text) for every histogram
    tbl = con.sql(
        f"select coalesce({vocab.LANG}, '{UNKNOWN}') as lang, {cols} from docs where fate <> 'failed' "
        f"and {vocab.LANG} in ({', '.join(repr(x) for x in langs)})"
    ).to_arrow_table()
    return keys, tbl


def signals_section(
    con,
    rules: dict,
    langs: list[str],
    defaults: Defaults,
    demo_stages: frozenset = frozenset(),
    model_cutoffs: dict | None = None,
    counted=None,
) -> str:
    """`demo_stages`: stages whose signals come from the demo models, marked as such. `counted(label, total,
    unit)`: a context yielding advance(name), called once per histogram drawn (corpus.core.progress.counted)."""
    keys, tbl = _signal_table(con, langs)
    lang_col = np.array(tbl.column("lang").to_pylist(), dtype=object)
    plotted, others = [], []
    for k in keys:
        values = tbl.column(k.name).to_numpy(zero_copy_only=False).astype(float)
        for lang in langs:
            xs = values[(lang_col == lang) & np.isfinite(values)]
            if not len(xs):
                continue
            lines = [(t, t.fails(xs)) for t in thresholds_of(rules, k.name, lang)]
            if lines:
                plotted.append((k, lang, xs, lines))
            else:
                p5, p50, p95 = np.percentile(xs, [5, 50, 95])
                others.append(
                    [
                        f"<code>{e(k.name)}</code>",
                        e(lang),
                        len(xs),
                        f"{p5:.4g}",
                        f"{p50:.4g}",
                        f"{p95:.4g}",
                        e(defaults.resolve_params(k.doc, lang)),
                    ]
                )
    parts = [
        "<p>Every signal a rule thresholds, per language, over the documents that reached its stage; red "
        "lines: the thresholds (<i>bound value → the reason a document outside it is dropped as</i>) and the "
        "share of those documents each fails (a document outside two thresholds counts for both; the funnel "
        "counts it once, under the first). Stages whose thresholds fail the most come first.</p>"
    ]
    if plotted:
        parts.append(_thresholds_table(plotted, langs, defaults, demo_stages, model_cutoffs or {}))
        with (counted or _uncounted)("report: histograms", len(plotted), "plots") as advance:
            parts.append(_plots_by_stage(plotted, langs, defaults, demo_stages, advance))
    else:
        parts.append("<p>No thresholded signal in this build.</p>")
    if others:
        parts.append(
            "<details><summary>Other signals (no threshold): percentiles</summary>"
            + table(["signal", "lang", "n", "p5", "p50", "p95", "what"], others, {2, 3, 4, 5})
            + "</details>"
        )
    return "".join(parts)


def _thresholds_table(plotted, langs, defaults: Defaults, demo_stages, model_cutoffs) -> str:
    """One row per (signal, bound): the value and the share failing in each language, and why a value is what
    it is where its defaults file says."""
    rows: dict[tuple[str, str], dict] = {}
    for k, lang, xs, lines in plotted:
        for t, share in lines:
            row = rows.setdefault((k.name, t.bound), {"key": k, "reason": t.reason, "by_lang": {}, "notes": []})
            row["by_lang"][lang] = (t.value, share, len(xs))
            cutoff = (((model_cutoffs.get(k.stage) or {}).get(lang) or {}).get("cutoffs") or {}).get(k.name, {})
            if cutoff.get(t.bound) is not None and abs(cutoff[t.bound] - t.value) < 1e-9:
                why = "the model's cutoff (manifest.json, models)"
            else:
                why = defaults.why(lang, k.name, t.bound, t.value)
            if why:
                row["notes"].append((lang, why))
    body = []
    for (name, bound), row in sorted(
        rows.items(), key=lambda kv: (-max(v[1] for v in kv[1]["by_lang"].values()), kv[0])
    ):
        k = row["key"]
        cells = []
        for lang in langs:
            v, share, n = row["by_lang"].get(lang, (None, 0.0, 0))
            cells.append(f"{v:g} <small>({share:.1%} of {n:,} fail)</small>" if v is not None else "")
        # once when every language has the same note, else each with its language
        shared = len(row["notes"]) == len(row["by_lang"]) and len({why for _, why in row["notes"]}) == 1
        note = e(row["notes"][0][1]) if shared else "<br>".join(f"{e(lang)}: {e(why)}" for lang, why in row["notes"])
        demo = " <span class='demo'>demo model</span>" if k.stage in demo_stages else ""
        body.append(
            [f"<code>{e(name)}</code>{demo}", bound, f"<code>{e(row['reason'])}</code>", e(k.stage)] + cells + [note]
        )
    numeric = set(range(4, 4 + len(langs)))
    legends = defaults.legends([why for row in rows.values() for _, why in row["notes"]])
    legend = "".join(f"<p class='doc'>{e(line)}</p>" for line in legends)
    return (
        "<details open><summary>Thresholds by language, the ones failing the most first (why a value: the "
        "comment beside it in the stage's defaults file)</summary>"
        + table(["signal", "bound", "drops as", "stage"] + langs + ["why this value"], body, numeric, "thresholds")
        + legend
        + "</details>"
    )


def _plots_by_stage(plotted, langs, defaults: Defaults, demo_stages, advance) -> str:
    worst = lambda p: max(share for _, share in p[3])  # noqa: E731
    by_stage: dict[str, list] = {}
    for p in sorted(plotted, key=lambda p: (-worst(p), p[0].name, p[1])):
        by_stage.setdefault(p[0].stage, []).append(p)
    parts = []
    for stage, group in by_stage.items():
        figures = []
        for k, lang, xs, lines in group:
            caption = defaults.resolve_params(k.doc, lang) + f" (stage {k.stage})"
            if k.stage in demo_stages:
                caption = "DEMO MODEL, not a measure of quality: " + caption
            figures.append(
                plots.histogram(k.name, lang, xs, [(t.label, t.value, share) for t, share in lines], langs, caption)
            )
            advance(f"{k.name} [{lang}]")
        most = worst(group[0])
        summary = (
            f"<b>{e(stage)}</b> <small>{plural(len(group), 'plot')}; the most any threshold fails: "
            f"{most:.1%}{' · scored by the demo models' if stage in demo_stages else ''}</small>"
        )
        opened = " open" if most >= OPEN_WHEN_FAILING else ""
        parts.append(
            f"<details class='stage'{opened}><summary>{summary}</summary><div class='grid'>"
            + "".join(figures)
            + "</div></details>"
        )
    return "".join(parts)


@contextmanager
def _uncounted(label: str, total: int, unit: str):
    yield lambda name: None
