"""Share of documents each heuristic family drops, per language, on an --annotate-all build.

    python -m benchmarks.heuristics_drop_shares [--data D]          # builds its input first (as heuristics_throughput)
    python -m benchmarks.heuristics_drop_shares --from BUILD_OUT    # an earlier --annotate-all build

'alone': the family's rules fire on the document (every family judged on every document that
passed language ID); 'in cascade': the document's recorded drop stage is the family.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from benchmarks.heuristics_throughput import build_input
from benchmarks.results import add_data_arg, scratch
from corpus.core import vocab
from corpus.refilter import effective_config, recorded_models, stage_rules
from corpus.core.sql import connect
from corpus.core.steps import ANY_LANG


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_data_arg(ap)
    ap.add_argument("--from", dest="build_out", default=None, help="an earlier `corpus build --annotate-all` output")
    ap.add_argument("--work", type=Path, default=scratch("heuristics-throughput"), help="where the input is built")
    args = ap.parse_args()
    out = args.build_out or build_input(args.data, args.work / "build")
    cfg = effective_config(out)
    con = connect(out)
    base = f"from docs where fate <> 'failed' and {vocab.LANG} in ('en', 'zh') and coalesce(stage, '') not in ('url_filter', 'lang_id')"  # noqa: E501
    totals = dict(con.execute(f"select {vocab.LANG}, count(*) {base} group by 1").fetchall())
    print(f"{'family':18} " + " ".join(f"{lang + ' alone':>10} {lang + ' cascade':>11}" for lang in ("en", "zh")))
    for stage, by_lang in stage_rules(cfg, recorded_models(out)):
        cells = []
        for lang in ("en", "zh"):
            rules = by_lang.get(lang, by_lang.get(ANY_LANG, ()))
            fires = " or ".join(r.sql_fires() for r in rules) or "false"
            alone = con.execute(f"select count(*) {base} and {vocab.LANG} = ? and ({fires})", [lang]).fetchall()[0][0]
            casc = con.execute(f"select count(*) {base} and {vocab.LANG} = ? and stage = ?", [lang, stage]).fetchall()[
                0
            ][0]
            cells.append(f"{alone / totals[lang]:10.1%} {casc / totals[lang]:11.1%}")
        print(f"{stage:18} " + " ".join(cells))
    print(f"documents after language ID: en {totals['en']}, zh {totals['zh']}")


if __name__ == "__main__":
    main()
