"""`corpus explain OUT ID`: one document's way through a build, read-only.

Every stage of the build in order (the front stages, then `stages:`), what the document got there (each
signal it has, with the threshold in force for its language: the rules `corpus refilter` replays, with the
cutoffs the build's models recorded) and the stage's verdict: passed, dropped (the rule, its value and the
bound it crossed), failed, not reached, or scored after the drop (an --annotate-all build).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from corpus.core import vocab
from corpus.core.funnel import FRONT_STAGES
from corpus.core.layout import Layout
from corpus.core.sql import connect
from corpus.core.steps import Rule, rules_for

PASSED, DROPPED, FAILED, NOT_REACHED, AFTER_DROP = "passed", "dropped", "failed", "not reached", "scored after the drop"


class NotABuild(ValueError):
    pass


class UnknownId(ValueError):
    pass


@dataclass(frozen=True)
class StageVerdict:
    stage: str
    verdict: str
    signals: list[tuple[str, object, str]] = field(default_factory=list)  # (signal, value, bounds in force)


@dataclass(frozen=True)
class Explanation:
    id: str
    url: str | None
    lang: str | None
    fate: str
    stage: str | None
    reason: str | None
    rule: tuple[str | None, float | None, float | None]  # (signal, value, threshold) of a threshold drop
    error: tuple[str | None, str | None]  # (class, message) of a failed record
    stages: list[StageVerdict]
    text_chars: int

    def why(self) -> str:
        """The fate in one line: 'kept', or the stage, reason and the rule that fired."""
        if self.fate == vocab.FATE_KEPT:
            return "kept: passed every stage"
        if self.fate == vocab.FATE_FAILED:
            return f"failed at {self.stage}: {self.error[0]}: {self.error[1] or ''}".rstrip(": ")
        doc = vocab.REASONS[self.reason].doc if self.reason in vocab.REASONS else ""
        line = f"dropped at {self.stage} ({self.reason}{': ' + doc if doc else ''})"
        signal, value, threshold = self.rule
        if signal and value is not None and threshold is not None:
            side = "min" if value < threshold else "max"
            line += f": {signal} {_number(value)} {'<' if side == 'min' else '>'} {side} {_number(threshold)}"
        elif signal:
            line += f": rule on {signal}"
        return line

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "url": self.url,
            "lang": self.lang,
            "fate": self.fate,
            "stage": self.stage,
            "reason": self.reason,
            "why": self.why(),
            "rule": dict(zip((vocab.RULE_COL, vocab.VALUE_COL, vocab.THRESHOLD_COL), self.rule)),
            "stages": [
                {
                    "stage": s.stage,
                    "verdict": s.verdict,
                    "signals": [{"signal": k, "value": v, "threshold": b} for k, v, b in s.signals],
                }
                for s in self.stages
            ],
        }


def _number(v) -> str:
    return f"{v:.6g}" if isinstance(v, float) else str(v)


def explain(out: str, doc_id: str) -> list[Explanation]:
    """One Explanation per row carrying the id (one, unless input.id_field repeated it across files)."""
    from corpus.refilter import effective_config, recorded_models, stage_rules

    layout = Layout(out)
    if not os.path.isdir(out) or not layout.holds_a_build() or not os.path.isfile(layout.manifest()):
        raise NotABuild(f"{out!r} is not a finished build output directory (no manifest.json)")
    con = connect(out, sandbox=True)
    rel = con.execute("select * from docs where id = ?", [doc_id])
    columns = [d[0] for d in rel.description]
    rows = [dict(zip(columns, r)) for r in rel.fetchall()]
    if not rows:
        example = con.execute("select min(id) from docs").fetchone()[0]
        like = f" (ids look like {example!r})" if example else ""
        raise UnknownId(f"no document with id {doc_id!r} in {out}{like}")
    cfg = effective_config(out)
    rules = dict(stage_rules(cfg, recorded_models(out)))
    order = list(FRONT_STAGES) + [s for s in cfg.stages if s not in FRONT_STAGES]
    return [_explain_row(row, order, rules) for row in rows]


def _explain_row(row: dict, order: list[str], rules: dict[str, dict[str, tuple[Rule, ...]]]) -> Explanation:
    lang, fate, where = row.get(vocab.LANG), row["fate"], row.get(vocab.STAGE_COL)
    rule = tuple(row.get(c) for c in (vocab.RULE_COL, vocab.VALUE_COL, vocab.THRESHOLD_COL))
    stages, reached = [], True
    for stage in order:
        in_force = rules_for(rules.get(stage, {}), lang)
        fired = row.get(vocab.REASON_COL) if stage == where and fate == vocab.FATE_DROPPED else None
        signals = [(k, row[k], _bounds(in_force, k, fired)) for k in vocab.signal_keys(stage) if row.get(k) is not None]
        if fate != vocab.FATE_KEPT and stage == where:
            verdict, reached = (DROPPED if fate == vocab.FATE_DROPPED else FAILED), False
        elif reached:
            verdict = PASSED
        else:
            verdict = AFTER_DROP if signals else NOT_REACHED
        stages.append(StageVerdict(stage, verdict, signals))
    error = (row.get(vocab.ERROR_CLASS), row.get(vocab.ERROR_MESSAGE))
    return Explanation(
        row[vocab.ID],
        row.get(vocab.URL),
        lang,
        fate,
        where,
        row.get(vocab.REASON_COL),
        rule,
        error,
        stages,
        len(row.get(vocab.TEXT) or ""),
    )


def _bounds(rules: tuple[Rule, ...], key: str, fired: str | None) -> str:
    """The rules on `key` in words; the one whose reason is `fired` (the row's reason) marked as crossed."""
    return "; ".join(r.describe() + (" (crossed)" if r.reason == fired else "") for r in rules if r.key == key)


def format_explanation(ex: Explanation) -> str:
    from corpus.core.charset import printable
    from corpus.core.sql import format_table

    head = [
        f"id: {printable(ex.id)}",
        f"url: {printable(ex.url or '-', 200)}",
        f"language: {ex.lang or '-'}; text: {ex.text_chars:,} characters",
        f"fate: {printable(ex.why(), 400)}",
    ]
    rows = []
    for s in ex.stages:
        if not s.signals:
            rows.append((s.stage, s.verdict, "", "", ""))
        for i, (k, v, bounds) in enumerate(s.signals):
            rows.append((s.stage if i == 0 else "", s.verdict if i == 0 else "", k, _number(v), bounds))
    what = f"threshold in force ({ex.lang})" if ex.lang else "threshold in force"
    return (
        "\n".join(head)
        + "\n\n"
        + format_table(["stage", "verdict", "signal", "value", what], rows, max_width=80, footer=False)
    )
