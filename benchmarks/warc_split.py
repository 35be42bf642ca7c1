"""Re-chunk WARC files into N smaller ones (whole records, order kept), for executor and scale runs
(`evalsets.warcs`, which the tests and benchmarks/ray_vs_local.py use).

    python -m benchmarks.warc_split ../shared/data/warc/*.warc.gz -n 8 -o split/
"""

from __future__ import annotations

import argparse

from evalsets.warcs import count_records, split_warcs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("inputs", nargs="+")
    ap.add_argument("-n", type=int, required=True, help="number of output files")
    ap.add_argument("-o", "--out", required=True)
    a = ap.parse_args()
    for p in split_warcs(a.inputs, a.n, a.out):
        print(p, count_records(p))


if __name__ == "__main__":
    main()
