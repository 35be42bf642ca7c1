"""`corpus calibrate`: per-language percentiles of every numeric signal of a build, and
thresholds proposed at a chosen percentile (the CulturaX / Yi approach), written as a config
fragment that `corpus refilter -c` and `corpus build -c` read, with the share each would remove."""

from __future__ import annotations

from dataclasses import dataclass

from corpus.core import vocab
from corpus.config import BuildConfig
from corpus.core.sql import connect
from corpus.core.steps import rules_for

PERCENTILES = (1, 5, 10, 25, 50, 75, 90, 95, 99)
NUMERIC = ("int64", "float64")


@dataclass(frozen=True)
class Proposal:
    lang: str
    key: str
    bound: str  # "min" or "max"
    current: float
    proposed: float
    removes: float  # share of the language's documents with this signal that the bound drops
    docs: int


def numeric_columns(con) -> list[str]:
    have = {r[0] for r in con.execute("describe docs").fetchall()}
    return [k.name for k in vocab.KEYS.values() if k.dtype in NUMERIC and k.name in have]


def sample_view(con, langs: tuple[str, ...], sample: int, seed: int) -> None:
    """Calibration reads kept and dropped documents of the kept languages (failed ones have no
    signals; other languages were never meant to pass)."""
    src = f"select * from docs where fate <> 'failed' and {vocab.LANG} in ({', '.join(repr(x) for x in langs)})"
    if sample:
        src = f"select * from ({src}) using sample reservoir({int(sample)} rows) repeatable ({int(seed)})"
    con.execute(f"create or replace temp view cal as {src}")


def percentiles(con, columns: list[str]) -> dict[str, dict[str, dict]]:
    """lang -> signal -> {"n": docs with the signal, "p1": ..., ...}."""
    out: dict[str, dict[str, dict]] = {}
    qs = ", ".join(str(p / 100) for p in PERCENTILES)
    for col in columns:
        rows = con.execute(f"""select {vocab.LANG}, count({col}), quantile_cont({col}::double, [{qs}])
                               from cal where {col} is not null and not isnan({col}::double)
                               group by 1 order by 1""").fetchall()
        for lang, n, values in rows:
            entry = {"n": n, **{f"p{p}": float(x) for p, x in zip(PERCENTILES, values)}}
            out.setdefault(lang or "unknown", {})[col] = entry
    return out


def propose(con, cfg: BuildConfig, percentile: float, models: dict | None = None) -> list[Proposal]:
    """For each rule of each stage and each language of the sample: min bounds move to the
    `percentile` quantile, max bounds to the (100 - percentile) one."""
    from corpus.refilter import stage_rules

    langs = [
        r[0] for r in con.execute(f"select distinct {vocab.LANG} from cal where {vocab.LANG} is not null").fetchall()
    ]
    out = []
    for _, by_lang in stage_rules(cfg, models):
        for lang in sorted(langs):
            for rule in rules_for(by_lang, lang):
                for bound in ("min", "max"):
                    current = getattr(rule, bound)
                    if current is None:
                        continue
                    q = percentile if bound == "min" else 100 - percentile
                    row = con.execute(
                        f"""select quantile_cont({rule.key}::double, {q / 100}), count({rule.key})
                                          from cal where {vocab.LANG} = ? and {rule.key} is not null""",
                        [lang],
                    ).fetchall()[0]
                    if row[0] is None:
                        continue
                    op = "<" if bound == "min" else ">"
                    gone = con.execute(
                        f"select count(*) from cal where {vocab.LANG} = ? and {rule.key} {op} ?", [lang, row[0]]
                    ).fetchall()[0][0]
                    out.append(Proposal(lang, rule.key, bound, current, round(float(row[0]), 6), gone / row[1], row[1]))
    return out


def fragment(proposals: list[Proposal], percentile: float) -> str:
    """YAML config fragment (`thresholds`), each bound commented with what it removes."""
    lines = [
        f"# thresholds proposed at percentile {percentile:g} (min bounds) / {100 - percentile:g} (max bounds)",
        "thresholds:",
    ]
    by_lang: dict[str, dict[str, list[Proposal]]] = {}
    for p in proposals:
        by_lang.setdefault(p.lang, {}).setdefault(p.key, []).append(p)
    for lang, keys in by_lang.items():
        lines.append(f"  {lang}:")
        for key, ps in keys.items():
            bounds = ", ".join(f"{p.bound}: {p.proposed:g}" for p in ps)
            notes = "; ".join(f"{p.bound} removes {p.removes:.1%} of {p.docs} (now {p.current:g})" for p in ps)
            lines.append(f"    {key}: {{{bounds}}}  # {notes}")
    return "\n".join(lines) + "\n"


def calibrate(out: str, cfg: BuildConfig, percentile: float = 5.0, sample: int = 0, seed: int = 0):
    con = connect(out)
    sample_view(con, cfg.lang_id.keep, sample, seed)
    table = percentiles(con, numeric_columns(con))
    from corpus.refilter import recorded_models

    proposals = propose(con, cfg, percentile, recorded_models(out))
    return table, proposals, fragment(proposals, percentile)
