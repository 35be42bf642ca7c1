"""Signature throughput (documents per second per core): ours vs datatrove vs datasketch.

Same documents (English article bodies + WikiText paragraphs from the shared data folder), same
parameters (word 5-grams, 14 bands x 8 rows = 112 permutations, 64-bit hashes), one process,
measured in CPU seconds of this process (robust to other load on the machine), best of --repeat.

    python -m benchmarks.dedup_throughput [--data ../shared/data] [--docs 3116]

Records the claim signature_throughput (our documents per CPU-second over each baseline's).
"""

from __future__ import annotations

import argparse
import tempfile
import time

from benchmarks.results import add_data_arg, record


def best_cpu(fn, repeat: int) -> tuple[float, float]:
    """(best CPU seconds, wall seconds of that run)."""
    runs = []
    for _ in range(repeat):
        c, w = time.process_time(), time.perf_counter()
        fn()
        runs.append((time.process_time() - c, time.perf_counter() - w))
    return min(runs)


def ours(texts: list[str], bands: int, rows: int) -> None:
    from dedup.config import Shingling
    from dedup.hashing import batch_shingles
    from dedup.minhash import MinHasher

    hasher, sh = MinHasher(bands, rows), Shingling("word", 5)
    for s in range(0, len(texts), 256):
        h, o = batch_shingles(texts[s : s + 256], sh)
        hasher.band_keys(hasher.signatures_flat(h, o, len(texts[s : s + 256])))


def datasketch_batch(texts: list[str], perms: int) -> None:
    from datasketch import MinHash

    for t in texts:
        words = t.split()
        grams = [" ".join(words[i : i + 5]).encode("utf-8") for i in range(max(1, len(words) - 4))]
        m = MinHash(num_perm=perms)
        m.update_batch(grams)
        m.digest()


def datatrove_step(bands: int, rows: int, folder: str):
    from datatrove.pipeline.dedup.minhash import MinhashConfig, MinhashDedupSignature
    from datatrove.utils.hashing import HashConfig

    cfg = MinhashConfig(n_grams=5, num_buckets=bands, hashes_per_bucket=rows, hash_config=HashConfig(precision=64))
    return MinhashDedupSignature(output_folder=folder, config=cfg)


def datatrove_run(step, texts: list[str]) -> None:
    from datatrove.data import Document

    docs = (Document(text=t, id=str(i)) for i, t in enumerate(texts))
    for _ in step.run(docs, rank=0, world_size=1) or ():
        pass


def main() -> None:
    from dedup.synth import real_docs

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_data_arg(ap)
    ap.add_argument("--docs", type=int, default=3116)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--bands", type=int, default=14)
    ap.add_argument("--rows", type=int, default=8)
    args = ap.parse_args()
    texts = [d.text for d in real_docs(args.data, "en", args.docs)]
    n, mb = len(texts), sum(len(t.encode("utf-8")) for t in texts) / 2**20
    print(f"{n} documents, {mb:.2f} MB, {args.bands}x{args.rows} permutations, CPU seconds, best of {args.repeat}")
    with tempfile.TemporaryDirectory() as tmp:
        step = datatrove_step(args.bands, args.rows, tmp)
        c0 = time.process_time()
        datatrove_run(step, texts[:20])  # start-up: spaCy tokenizer and hash parameters
        startup = time.process_time() - c0
        results = {
            "ours (numpy, batched)": best_cpu(lambda: ours(texts, args.bands, args.rows), args.repeat),
            "datasketch MinHash.update_batch": best_cpu(
                lambda: datasketch_batch(texts, args.bands * args.rows), args.repeat
            ),
            "datatrove MinhashDedupSignature": best_cpu(lambda: datatrove_run(step, texts), args.repeat),
        }
    rate = {k: n / cpu for k, (cpu, _) in results.items()}
    ref = rate["ours (numpy, batched)"]
    for k, (cpu, wall) in results.items():
        print(
            f"{k:34s} {rate[k]:9.0f} docs/s/core  ({cpu:.2f} s CPU, {wall:.2f} s wall)  ours/this = {ref / rate[k]:.2f}x"  # noqa: E501
        )
    print(f"datatrove start-up (first 20 documents): {startup:.2f} s CPU")
    value = {
        "vs datatrove": round(ref / rate["datatrove MinhashDedupSignature"], 2),
        "vs datasketch": round(ref / rate["datasketch MinHash.update_batch"], 2),
    }
    record(
        "signature_throughput",
        value,
        {"vs datatrove": 3, "vs datasketch": 1},
        "x faster (documents per CPU-second)",
        value["vs datatrove"] >= 3 and value["vs datasketch"] >= 1,
        {"docs": n, "mb": mb, "docs_per_cpu_s": rate, "cpu_wall_s": results, "datatrove_startup_cpu_s": startup},
    )


if __name__ == "__main__":
    main()
