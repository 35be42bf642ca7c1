"""`corpus calibrate OUT --reference clean.jsonl`: thresholds from clean reference text, in the
spirit of FineWeb-2, which set each language's filter thresholds from that language's Wikipedia.

Every candidate bound is the tightest that removes at most d of the language's reference
documents (an order statistic, so the share holds exactly, not an interpolated quantile). All
bounds of a language together may remove 1 - keep of its reference: the budget goes to the
bounds that remove the most crawl (the build being calibrated) per reference document lost;
with `per_rule`, each bound alone may remove that share. A reference of clean text shows where
good text lies, not where junk does, so by default no bound is tightened past its current
value: a reference of one genre (abstracts, say) would otherwise cut everything longer than its
longest abstract. `tighten` lifts that. Where the reference cannot place a bound (no signal,
too few documents, a single value) the current one stays and a note says why. Each bound is
shown with the share of reference and of crawl it removes, now and as proposed.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass

import numpy as np
import pandas as pd
from datatrove.data import Document

from corpus.core import vocab
from corpus.config import BuildConfig
from corpus.core.files import open_text
from corpus.refilter import stage_rules
from corpus.core.sql import connect
from corpus.core.steps import rules_for

DIGITS = 3  # significant digits of a proposed bound, rounded towards keeping more
MAX_CANDIDATES = 41  # bounds tried per rule (evenly spaced in reference documents removed)


@dataclass(frozen=True)
class Bound:
    """One bound of one rule of one language, now and as proposed, with what each removes."""

    lang: str
    key: str
    bound: str  # "min" or "max"
    current: float
    proposed: float  # the current value where the reference cannot place the bound (see note)
    ref_docs: int  # reference documents of the language with this signal
    ref_now: float  # share of them the current bound removes
    ref_new: float
    crawl_docs: int
    crawl_now: float
    crawl_new: float
    note: str = ""  # why the current value is kept; empty when the reference placed the bound

    @property
    def placed(self) -> bool:
        return not self.note


@dataclass(frozen=True)
class LangResult:
    lang: str
    budget: float  # share of the reference the bounds may remove
    per_rule: bool  # each bound alone (True) or all together (False)
    ref_docs: int
    crawl_docs: int  # crawl documents of the language with at least one of its rules' signals
    ref_now: float  # share all current rules together remove
    ref_new: float
    crawl_now: float
    crawl_new: float
    bounds: tuple[Bound, ...]


# ---------------------------------------------------------------- reference documents


def read_reference(path: str) -> list[tuple[str, str | None]]:
    """(text, lang or None) from JSONL ({"text", optional "lang"}) or plain text, one document a
    line; either may be gzipped."""
    name = os.path.basename(path).lower().removesuffix(".gz")
    as_json = name.endswith((".jsonl", ".ndjson", ".json"))
    out = []
    with open_text(path) as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            if not as_json:
                out.append((line.strip(), None))
                continue
            row = json.loads(line)
            if not isinstance(row, dict) or not isinstance(row.get("text"), str):
                raise ValueError(f"{path}:{n}: expected an object with a string 'text'")
            out.append((row["text"], row.get("lang") or None))
    return out


def identify(texts: list[str], cfg: BuildConfig) -> list[str | None]:
    """The build's language ID (its top label; the score floor is the lang_id stage's business)."""
    from filters.language import LanguageScorer

    lid = LanguageScorer(cfg.lang_id.model_path, cfg.lang_id.max_chars)
    docs = [Document(text=t, id=str(i)) for i, t in enumerate(texts)]
    return [md[vocab.LANG] for md in lid.score_batch(docs)] if docs else []


def score_reference(docs: list[tuple[str, str | None]], cfg: BuildConfig) -> pd.DataFrame:
    """One row per document of a kept language: lang and every heuristic signal of the build's
    families, computed by the scorer the build runs."""
    from filters.heuristics.steps import FAMILIES, HeuristicScorer

    missing = [i for i, (_, lang) in enumerate(docs) if lang is None]
    found = dict(zip(missing, identify([docs[i][0] for i in missing], cfg)))
    scorer = HeuristicScorer(tuple(f for f in FAMILIES if f in cfg.stages), cfg.heuristics)
    rows = []
    for i, (text, lang) in enumerate(docs):
        lang = found.get(i, lang)
        if lang not in cfg.lang_id.keep:
            continue
        md = {vocab.LANG: lang}
        md.update(scorer.score(Document(text=text, id=str(i), metadata=dict(md))))
        rows.append(md)
    return pd.DataFrame(rows) if rows else pd.DataFrame(columns=[vocab.LANG])


def build_frame(out: str, cfg: BuildConfig, sample: int = 0, seed: int = 0) -> pd.DataFrame:
    """Documents of a build that reached language ID with a kept language, with their signals."""
    from corpus.calibrate import numeric_columns, sample_view

    con = connect(out)
    sample_view(con, cfg.lang_id.keep, sample, seed)
    cols = ", ".join([vocab.LANG] + numeric_columns(con))
    return con.execute(f"select {cols} from cal").fetchdf()


def reference_frame(path: str, cfg: BuildConfig) -> tuple[pd.DataFrame, int]:
    """Signals of the reference and how many of its documents are of no kept language. A build
    output directory (e.g. an --annotate-all build of the reference) is read as it is."""
    if os.path.isdir(path):
        return build_frame(path, cfg), 0
    docs = read_reference(path)
    frame = score_reference(docs, cfg)
    return frame, len(docs) - len(frame)


# ---------------------------------------------------------------- proposals


def conservative(x: float, bound: str) -> float:
    """x at DIGITS significant digits, rounded down for a min bound and up for a max bound."""
    if x == 0 or not math.isfinite(x):
        return float(x)
    step = 10.0 ** (math.floor(math.log10(abs(x))) - DIGITS + 1)
    q = math.floor(x / step) if bound == "min" else math.ceil(x / step)
    return float(f"{q * step:.12g}")


def fires(col: pd.Series | np.ndarray, bound: str, value: float) -> np.ndarray:
    v = col if isinstance(col, np.ndarray) else col.to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(invalid="ignore"):  # NaN compares False: a missing signal never fires
        return v < value if bound == "min" else v > value


def _col(frame: pd.DataFrame, key: str) -> pd.Series:
    return frame[key] if key in frame else pd.Series(np.full(len(frame), np.nan), index=frame.index)


def _share(mask: np.ndarray, n: int) -> float:
    return float(np.count_nonzero(mask)) / n if n else 0.0


@dataclass(frozen=True)
class _Slot:
    """A bound of a rule with the reference values that can place it."""

    key: str
    bound: str
    current: float
    values: np.ndarray  # sorted reference values (no missing)
    note: str

    def candidates(self, keep: float, tighten: bool) -> list[float]:
        """Bounds from loosest to tightest, each the tightest that removes at most d reference
        documents, d = 0 .. (1 - keep) * n; without `tighten`, none tighter than the current."""
        if self.note:
            return [self.current]
        d = int((1 - keep) * len(self.values) + 1e-9)
        ends = self.values[: d + 1] if self.bound == "min" else self.values[::-1][: d + 1]
        ends = ends[np.unique(np.linspace(0, d, min(d + 1, MAX_CANDIDATES)).round().astype(int))]
        out: list[float] = []
        for x in ends:
            x = conservative(float(x), self.bound)
            if not tighten:
                x = min(x, self.current) if self.bound == "min" else max(x, self.current)
            if not out or x != out[-1]:
                out.append(x)
        return out


def slots(ref: pd.DataFrame, cfg: BuildConfig, lang: str, min_docs: int) -> list[_Slot]:
    out = []
    for stage, by_lang in stage_rules(cfg):
        if stage == vocab.LANG_ID:
            # the language-ID floor (thresholds.<lang>.lang_score) is left as it is: a reference read from a
            # file has no lang_score (only its documents without a `lang` are identified), while one given as
            # a build has, and its documents are of their language by choice, not by a floor
            continue
        for rule in rules_for(by_lang, lang):
            for bound in ("min", "max"):
                current = getattr(rule, bound)
                if current is None:
                    continue
                values = np.sort(_col(ref, rule.key).to_numpy(dtype=float, na_value=np.nan))
                values = values[~np.isnan(values)]
                out.append(_Slot(rule.key, bound, float(current), values, _why_not(values, min_docs)))
    return out


def _why_not(values: np.ndarray, min_docs: int) -> str:
    if len(values) == 0:
        return "no reference signal"
    if len(values) < min_docs:
        return f"too few reference docs ({len(values)} < {min_docs})"
    if values[0] == values[-1]:
        # one value says clean text sits there, not how far from it a bound may go
        return f"reference constant at {values[0]:g}"
    return ""


class _Removal:
    """For each document of a frame, how many of the chosen bounds remove it."""

    def __init__(self, frame: pd.DataFrame, ss: list[_Slot], values: list[float]):
        self.ss = ss
        self.cols = [_col(frame, s.key).to_numpy(dtype=float, na_value=np.nan) for s in ss]
        self.masks = [fires(col, s.bound, v) for col, s, v in zip(self.cols, ss, values)]
        self.count = np.sum(self.masks, axis=0, dtype=np.int64) if ss else np.zeros(len(frame), dtype=np.int64)

    def gain(self, i: int, value: float) -> tuple[int, int, np.ndarray]:
        """If bound i moved to a tighter value: documents no bound removed before that it would
        remove, documents it would newly remove itself, and its new mask."""
        new = fires(self.cols[i], self.ss[i].bound, value)
        fresh = new & ~self.masks[i]
        return int(np.count_nonzero(fresh & (self.count == 0))), int(np.count_nonzero(fresh)), new

    def move(self, i: int, new: np.ndarray) -> None:
        self.count += new.astype(np.int64) - self.masks[i]
        self.masks[i] = new

    def removed(self) -> int:
        return int(np.count_nonzero(self.count))


def allocate(ss: list[_Slot], ref: pd.DataFrame, crawl: pd.DataFrame, keep: float, tighten: bool) -> list[float]:
    """All bounds together keep `keep` of the reference. Every bound starts at its loosest
    candidate; then, while the budget lasts, the move of one bound to a tighter candidate that
    removes the most crawl per reference document lost is taken: first by crawl no other bound
    removes, then by crawl the bound removes itself (a second line against junk the crawl
    sample happens to catch twice). Moves that lose no reference come first, so no bound ends
    looser than the reference needs; moves that lose reference and remove no crawl are never
    taken."""
    cands = [s.candidates(keep, tighten) for s in ss]
    pos = [0] * len(ss)
    r, c = _Removal(ref, ss, [x[0] for x in cands]), _Removal(crawl, ss, [x[0] for x in cands])
    budget = int((1 - keep) * len(ref) + 1e-9) - r.removed()
    while True:
        best = None
        for i, cand in enumerate(cands):
            for j in range(pos[i] + 1, len(cand)):
                dr, _, rnew = r.gain(i, cand[j])
                if dr > budget:
                    break  # tighter candidates lose more
                joint, own, cnew = c.gain(i, cand[j])
                if dr and not own:
                    continue
                score = (dr == 0, joint / max(dr, 1), own / max(dr, 1), -dr, j - pos[i])
                if best is None or score > best[0]:
                    best = (score, i, j, dr, rnew, cnew)
        if best is None:
            return [x[p] for x, p in zip(cands, pos)]
        _, i, j, dr, rnew, cnew = best
        r.move(i, rnew)
        c.move(i, cnew)
        pos[i] = j
        budget -= dr


def _bound(lang, s: _Slot, value: float, ref: pd.DataFrame, crawl: pd.DataFrame) -> Bound:
    def shares(frame):
        col = _col(frame, s.key)
        n = int(col.notna().sum())
        return n, _share(fires(col, s.bound, s.current), n), _share(fires(col, s.bound, value), n)

    return Bound(lang, s.key, s.bound, s.current, value, *shares(ref), *shares(crawl), s.note)


def _joint(frame: pd.DataFrame, ss: list[_Slot], values: list[float]) -> float:
    return _share(_Removal(frame, ss, values).count > 0, len(frame))


def calibrate_language(
    lang: str,
    ref: pd.DataFrame,
    crawl: pd.DataFrame,
    cfg: BuildConfig,
    keep: float,
    per_rule: bool = False,
    tighten: bool = False,
    min_docs: int = 50,
) -> LangResult:
    ss = slots(ref, cfg, lang, min_docs)
    keys = [k for k in dict.fromkeys(s.key for s in ss) if k in crawl]
    # crawl documents that reached the language's rules (a build without --annotate-all leaves
    # the signals of later stages empty for documents dropped earlier)
    crawl = crawl[crawl[keys].notna().any(axis=1)] if keys else crawl.iloc[0:0]
    if per_rule:
        values = [s.candidates(keep, tighten)[-1] for s in ss]
    else:
        values = allocate(ss, ref, crawl, keep, tighten)
    now = [s.current for s in ss]
    return LangResult(
        lang,
        1 - keep,
        per_rule,
        len(ref),
        len(crawl),
        _joint(ref, ss, now),
        _joint(ref, ss, values),
        _joint(crawl, ss, now),
        _joint(crawl, ss, values),
        tuple(_bound(lang, s, v, ref, crawl) for s, v in zip(ss, values)),
    )


def calibrate_reference(
    out: str,
    reference: str,
    cfg: BuildConfig,
    keep: float = 0.98,
    per_rule: bool = False,
    tighten: bool = False,
    min_docs: int = 50,
    sample: int = 0,
    seed: int = 0,
) -> tuple[list[LangResult], int]:
    """Per kept language present in the reference: proposals, and how many reference documents
    were of no kept language."""
    if not 0.5 <= keep <= 1:
        raise ValueError("keep must be within [0.5, 1]")
    ref, other = reference_frame(reference, cfg)
    crawl = build_frame(out, cfg, sample, seed)
    results = []
    for lang in [x for x in cfg.lang_id.keep if len(ref) and (ref[vocab.LANG] == x).any()]:
        results.append(
            calibrate_language(
                lang,
                ref[ref[vocab.LANG] == lang],
                crawl[crawl[vocab.LANG] == lang],
                cfg,
                keep,
                per_rule,
                tighten,
                min_docs,
            )
        )
    return results, other


# ---------------------------------------------------------------- output


def _num(x: float) -> str:
    """A number YAML reads back as one (PyYAML takes 1e-05 for a string)."""
    if float(x).is_integer():
        return str(int(x))
    text = f"{x:.12g}"
    return text if "e" not in text else f"{x:.15f}".rstrip("0")


def _pct(x: float) -> str:
    return f"{x:.1%}"


def _proposed(b: Bound) -> str:
    if not b.placed:
        return "="
    # a bound that now removes crawl and would remove nothing: the rule is switched off
    off = b.crawl_now > 0 and b.crawl_new == 0 and b.ref_new == 0
    return f"{b.proposed:g}" + (" (off)" if off else "")


def table(r: LangResult) -> str:
    from corpus.core.sql import format_table

    scope = "each rule alone" if r.per_rule else "all rules together"
    head = (
        f"{r.lang}: {r.ref_docs} reference docs, {r.crawl_docs} crawl docs; {scope} may remove "
        f"{_pct(r.budget)} of the reference"
    )
    rows = [
        (
            b.key,
            b.bound,
            f"{b.current:g}",
            _pct(b.ref_now),
            _pct(b.crawl_now),
            _proposed(b),
            _pct(b.ref_new),
            _pct(b.crawl_new),
            b.note,
        )
        for b in r.bounds
    ]
    rows.append(("all rules", "", "", _pct(r.ref_now), _pct(r.crawl_now), "", _pct(r.ref_new), _pct(r.crawl_new), ""))
    cols = ["signal", "bound", "now", "ref now", "crawl now", "proposed", "ref new", "crawl new", "note"]
    return head + "\n" + format_table(cols, rows, max_width=48)


def fragment(results: list[LangResult]) -> str:
    """YAML for `thresholds` (build -c, refilter -c), each line with what it removes. Bounds the
    reference did not place are comments."""

    scope = "each rule alone" if results and results[0].per_rule else "all rules together"
    keep = 1 - results[0].budget if results else 1.0
    lines = [
        f"# thresholds keeping {keep:.1%} of each language's reference text ({scope}); shares are",
        "# (reference removed / crawl removed), now -> proposed",
        "thresholds:",
    ]
    notes = []
    for r in results:
        by_key: dict[str, list[Bound]] = {}
        for b in r.bounds:
            if b.placed:
                by_key.setdefault(b.key, []).append(b)
            else:
                notes.append(
                    f"# {r.lang}.{b.key}.{b.bound}: "
                    + (b.note or f"{_num(b.proposed)} would remove ({_pct(b.ref_new)} / {_pct(b.crawl_new)})")
                )
        lines.append(
            f"  {r.lang}:{'' if by_key else ' {}'}  # all rules: ({_pct(r.ref_now)} / {_pct(r.crawl_now)})"
            f" -> ({_pct(r.ref_new)} / {_pct(r.crawl_new)})"
        )
        for key, bs in by_key.items():
            values = ", ".join(f"{b.bound}: {_num(b.proposed)}" for b in bs)
            why = "; ".join(
                f"{b.bound} {b.current:g} -> {b.proposed:g}: ({_pct(b.ref_now)} / {_pct(b.crawl_now)})"
                f" -> ({_pct(b.ref_new)} / {_pct(b.crawl_new)})"
                for b in bs
            )
            lines.append(f"    {key}: {{{values}}}  # {why}")
    return "\n".join(lines + notes) + "\n"
