"""Throughput and peak memory of `corpus build` against input size: synthetic 1x, 10x, 50x ... expansions
of WARC shards, each built on the same cores, stages and files-per-task.

An expansion by k writes every page k times: copy 0 as it is, the others under a new URL and record id,
a third of them with the payload unchanged (exact duplicates) and the rest lightly edited (a few words
swapped for others, a line added: near duplicates for MinHash), so dedup has real work at every size. The
records are dealt into files of about `--records-per-file` records, so the task count grows with the
input and the memory of one task should not. Each build is `corpus build` in a process of its own. Peak
RSS is sampled every 0.1 s: of the build process (also per pipeline), and of every task process (the
children of the pool's forkserver), reported as the largest; CPU seconds are each process's last sample
(a process's last 0.1 s is missed).

    python -m benchmarks.growth [--data D] --shards zh-news-00 multi-cache-00 --factors 1 10 50 \\
        [--plot benchmarks/results/growth.png]

Records the claim growth_rss: peak RSS of the largest task process and of the build process per factor,
"flat" when the largest factor's peak is within FLAT (1.15x) of the smallest factor's, for both.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import shutil
import sys
import threading
import time
import uuid
from pathlib import Path

os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
os.environ.setdefault("LOGURU_LEVEL", "WARNING")

from benchmarks.results import add_data_arg, record, scratch  # noqa: E402
from evalsets import ROOT as _ROOT  # noqa: E402

ROOT = str(_ROOT)
FLAT = 1.15  # "flat": the largest input's peak RSS at most this times the smallest input's

STAGES = ["url_filter", "lang_id", "gopher_quality", "fineweb", "dedup_exact", "dedup_minhash"]
EXTRA_WORDS = ["river", "station", "archive", "morning", "signal", "平台", "城市", "发展", "记者", "市场"]


def _edit(payload: bytes, rng: random.Random) -> bytes:
    """A few words swapped and one short line added, in the HTML as it is (charset kept: ASCII edits)."""
    words = payload.split(b" ")
    for _ in range(3):
        i = rng.randrange(len(words))
        if words[i].isalpha():
            words[i] = rng.choice(EXTRA_WORDS[:5]).encode()
    body = b" ".join(words)
    note = f"<p>Updated {rng.randrange(1, 28)} {rng.choice(['May', 'June', 'July'])}.</p>".encode()
    at = body.rfind(b"</body>")
    return body[:at] + note + body[at:] if at >= 0 else body + note


def _pages(paths: list[str]) -> list[tuple[str, bytes, bytes]]:
    """(url, http headers block, payload) of every response record."""
    from warcio.archiveiterator import ArchiveIterator

    pages = []
    for p in paths:
        with open(p, "rb") as f:
            for rec in ArchiveIterator(f):
                if rec.rec_type != "response" or rec.http_headers is None:
                    continue
                headers = rec.http_headers.to_str().encode("latin-1", "replace")
                pages.append((rec.rec_headers.get_header("WARC-Target-URI"), headers, rec.content_stream().read()))
    return pages


def _record(writer, url: str, headers: bytes, payload: bytes) -> None:
    from warcio.statusandheaders import StatusAndHeadersParser

    http = StatusAndHeadersParser(["HTTP/1.0", "HTTP/1.1"]).parse(io.BytesIO(headers))
    http.replace_header("Content-Length", str(len(payload)))
    http.remove_header("Transfer-Encoding")
    http.remove_header("Content-Encoding")
    rec = writer.create_warc_record(
        url,
        "response",
        payload=io.BytesIO(payload),
        http_headers=http,
        warc_headers_dict={"WARC-Record-ID": f"<urn:uuid:{uuid.uuid4()}>"},
    )
    writer.write_record(rec)


def expand(paths: list[str], factor: int, out_dir: Path, records_per_file: int, seed: int = 0) -> list[str]:
    from warcio.warcwriter import WARCWriter

    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    rng, pages = random.Random(seed), _pages(paths)
    variants = []
    for copy in range(factor):
        for url, headers, payload in pages:
            if copy == 0:
                variants.append((url, headers, payload))
                continue
            new_url = url.replace("://", f"://m{copy}.", 1) + f"{'&' if '?' in url else '?'}copy={copy}"
            variants.append((new_url, headers, payload if copy % 3 == 0 else _edit(payload, rng)))
    rng.shuffle(variants)  # copies of a page land in different files, as in a crawl
    files = []
    for i in range(0, len(variants), records_per_file):
        path = out_dir / f"part-{i // records_per_file:05d}.warc.gz"
        with open(path, "wb") as f:
            writer = WARCWriter(f, gzip=True)
            for v in variants[i : i + records_per_file]:
                _record(writer, *v)
        files.append(str(path))
    return files


class PeakRss:
    """Largest RSS seen, of the build process and of any one task process (the children of its pool's
    forkserver), sampled in a thread; also the build's peak per pipeline (the newest OUT/logs/<pipeline>,
    "start" before the first, "after <pipeline>" between one that finished and the next)."""

    def __init__(self, pid: int, out: Path, every: float = 0.1):
        import psutil

        self.build, self.out, self.every = psutil.Process(pid), out, every
        self.driver = self.worker = 0
        self.driver_cpu = 0.0
        self.worker_cpu: dict[int, float] = {}  # last CPU seconds seen per task process
        self.by_pipeline: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _pipeline(self) -> str:
        try:
            dirs = list(os.scandir(self.out / "logs"))
        except OSError:
            return "start"
        dirs = [d for d in dirs if d.is_dir() and d.name != "progress"]
        if not dirs:
            return "start"
        newest = max(dirs, key=lambda d: d.stat().st_mtime_ns)
        # its stats.json is written when it has finished: the funnel and manifest after the last pipeline
        return f"after {newest.name}" if os.path.exists(os.path.join(newest.path, "stats.json")) else newest.name

    def _sample(self) -> None:
        import psutil

        rss = self.build.memory_info().rss
        t = self.build.cpu_times()
        self.driver, self.driver_cpu = max(self.driver, rss), t.user + t.system
        phase = self._pipeline()
        self.by_pipeline[phase] = max(self.by_pipeline.get(phase, 0), rss)
        for server in self.build.children():
            try:
                if "forkserver" not in " ".join(server.cmdline()):
                    continue
                for w in server.children():
                    self.worker = max(self.worker, w.memory_info().rss)
                    t = w.cpu_times()
                    self.worker_cpu[w.pid] = t.user + t.system
            except psutil.Error:
                pass

    def _run(self):
        import psutil

        while not self._stop.is_set():
            try:
                self._sample()
            except psutil.Error:  # the build has ended
                return
            time.sleep(self.every)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def build_one(files: list[str], out: Path, stages: list[str], workers: int) -> dict:
    """`corpus build` in a process of its own: what is measured is the build, not this script (which has
    just held every expanded page in memory)."""
    import subprocess

    from corpus.core.sql import connect

    shutil.rmtree(out, ignore_errors=True)
    config = out.parent / f"{out.name}.yaml"
    config.write_text(json.dumps({"stages": stages, "executor": {"workers": workers}}))  # JSON is YAML
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "corpus.cli", "build", *files, "-c", str(config), "-o", str(out)],
        stdout=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": ROOT},
    )
    with PeakRss(proc.pid, out) as rss:
        proc.wait()
    wall = time.perf_counter() - t0
    assert proc.returncode == 0, out
    funnel = json.load(open(out / "funnel.json"))
    t = funnel["totals"]
    records = sum(s["records"] for s in funnel["shards"].values())
    cpu = rss.driver_cpu + sum(rss.worker_cpu.values())
    dedup = sum(row["docs_in"] - row["docs_out"] for row in funnel["stages"] if row["stage"].startswith("dedup"))
    kept = connect(str(out)).execute("select count(*) from kept").fetchone()[0]
    assert kept == t["kept"]
    return {
        "files": len(files),
        "records": records,
        "mb": sum(os.path.getsize(f) for f in files) / 1e6,
        "wall_s": round(wall, 1),
        "docs_per_s": round(records / wall, 1),
        "kept": t["kept"],
        "dedup_dropped": dedup,
        "cpu_s": round(cpu, 1),
        "docs_per_cpu_s": round(records / cpu, 1),
        "peak_rss_driver_mb": round(rss.driver / 2**20),
        "peak_rss_worker_mb": round(rss.worker / 2**20),
        "peak_rss_driver_by_pipeline_mb": {k: round(v / 2**20) for k, v in rss.by_pipeline.items()},
        "load_avg": round(os.getloadavg()[0], 1),
    }


def plot(rows: list[dict], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.5))
    x = [r["records"] for r in rows]
    a.plot(x, [r["docs_per_s"] for r in rows], "o-")
    a.set(xscale="log", xlabel="input records", ylabel="docs/s (2 workers)", title="throughput", ylim=(0, None))
    b.plot(x, [r["peak_rss_worker_mb"] for r in rows], "o-", label="largest task process")
    b.plot(x, [r["peak_rss_driver_mb"] for r in rows], "s--", label="build process")
    b.set(xscale="log", xlabel="input records", ylabel="peak RSS (MiB)", title="memory", ylim=(0, None))
    b.legend()
    fig.tight_layout()
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    fig.savefig(path, dpi=110)


def main() -> None:
    ap = argparse.ArgumentParser()
    add_data_arg(ap)
    ap.add_argument("--shards", nargs="+", default=["zh-news-00", "multi-cache-00"], help="names under DATA/warc/")
    ap.add_argument("--factors", nargs="+", type=int, default=[1, 10, 50])
    ap.add_argument("--records-per-file", type=int, default=200)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--stages", nargs="+", default=STAGES)
    ap.add_argument("--work", type=Path, default=scratch("growth"))
    ap.add_argument("--plot", default=os.path.join(ROOT, "benchmarks", "results", "growth.png"))
    a = ap.parse_args()

    paths = [os.path.join(a.data, "warc", f"{s}.warc.gz") for s in a.shards]
    print(f"shards {a.shards}, stages {a.stages}, {a.workers} workers, load before {os.getloadavg()}")
    rows = []
    for k in a.factors:
        files = expand(paths, k, Path(a.work) / f"in-{k}", a.records_per_file)
        row = {"factor": k, **build_one(files, Path(a.work) / f"out-{k}", a.stages, a.workers)}
        rows.append(row)
        print(json.dumps(row))
        shutil.rmtree(Path(a.work) / f"out-{k}", ignore_errors=True)
    print(
        "\n| factor | records | MB | files | wall s | docs/s | CPU s | docs/CPU-s | dedup dropped | kept | "
        "peak RSS task MiB | peak RSS build MiB | load |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    )
    for r in rows:
        print(
            f"| {r['factor']}x | {r['records']} | {r['mb']:.0f} | {r['files']} | {r['wall_s']} | {r['docs_per_s']} | "
            f"{r['cpu_s']} | {r['docs_per_cpu_s']} | "
            f"{r['dedup_dropped']} | {r['kept']} | {r['peak_rss_worker_mb']} | {r['peak_rss_driver_mb']} | "
            f"{r['load_avg']} |"
        )
    if a.plot:
        plot(rows, a.plot)
    peaks = {
        f"{who} {r['factor']}x": r[key]
        for who, key in (("task", "peak_rss_worker_mb"), ("build", "peak_rss_driver_mb"))
        for r in rows
    }
    flat = all(rows[-1][k] <= FLAT * rows[0][k] for k in ("peak_rss_worker_mb", "peak_rss_driver_mb"))
    record(
        "growth_rss",
        peaks,
        f"flat (largest within {FLAT}x of smallest)",
        "MiB peak RSS",
        flat,
        {"shards": a.shards, "stages": a.stages, "workers": a.workers, "rows": rows, "plot": a.plot},
    )


if __name__ == "__main__":
    main()
