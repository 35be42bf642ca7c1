import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import numpy as np
import pytest
import yaml

from corpus.core.configlib import ConfigError
from mixtures.build import build, plan, read_manifest
from mixtures.mixture import allocate, load_mixture
from mixtures.regression import MODELS
from searchlib import tiny_search
from tests.clirun import corpus as run_cli
from tokens.tokenizer import TokenizerConfig, train_tokenizer

REPO = Path(__file__).resolve().parents[2]
EN = [
    "The river rose {i} feet in the spring flood and the valley filled with water.",
    "Trains left the station every {i} minutes on weekdays and twice an hour on Sundays.",
]
ZH = ["今天的天气很好，我们在第{i}天去公园散步。", "这篇论文研究了贵州东南部第{i}号剖面的地质构造特征。"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """A build-shaped kept table (id, text, lang), a text-file source, a held-out target, a tokenizer."""
    root = tmp_path_factory.mktemp("mix")
    docs = [(f"en-{i}", EN[i % 2].format(i=i), "en") for i in range(80)]
    docs += [(f"zh-{i}", ZH[i % 2].format(i=i), "zh") for i in range(30)]
    (root / "kept").mkdir()
    pq.write_table(
        pa.table({"id": [d[0] for d in docs], "text": [d[1] for d in docs], "lang": [d[2] for d in docs]}),
        root / "kept" / "00000.parquet",
    )
    (root / "notes.txt").write_text("\n".join(f"Short note number {i} about lobsters." for i in range(40)))
    (root / "target.txt").write_text("\n".join(f"The flood of {1900 + i} reached the station." for i in range(20)))
    train_tokenizer(
        [str(root / "kept"), str(root / "notes.txt")],
        str(root / "tok"),
        TokenizerConfig(vocab_size=400, char_budget=10**6),
    )
    return root


def mixture(root: Path, **extra) -> dict:
    return {
        "tokenizer": str(root / "tok"),
        "total_tokens": 4000,
        "seed": 0,
        "cache": str(root / "cache"),
        "sources": [
            {"name": "en", "inputs": [str(root / "kept")], "where": "lang = 'en'", "weight": 0.3},
            {"name": "zh", "inputs": [str(root / "kept")], "where": "lang = 'zh'", "weight": 0.5, "max_epochs": 2.0},
            {"name": "notes", "inputs": [str(root / "notes.txt")], "weight": 0.2},
        ],
        "targets": [{"name": "target", "inputs": [str(root / "target.txt")]}],
    } | extra


def test_budget_and_epochs_by_hand():
    # asked = weight x budget; epochs = asked / available; a cap of 4 epochs grants 4 x available
    allocs = allocate({"a": 100, "b": 600, "c": 1000}, {"a": 5, "b": 3, "c": 2}, 1000, {"a": 4, "b": 4, "c": 4})
    assert [(a.asked, a.epochs, a.granted) for a in allocs] == [(500, 5.0, 400), (300, 0.5, 300), (200, 0.2, 200)]
    assert "beyond max_epochs 4" in allocs[0].warning and allocs[1].warning == allocs[2].warning == ""
    (a,) = allocate({"a": 400}, {"a": 1}, 1000, {"a": 4})
    assert (a.epochs, a.granted) == (2.5, 1000) and a.warning.startswith("exhausted")
    (empty,) = allocate({"a": 0}, {"a": 1}, 10, {"a": 4})
    assert empty.granted == 0 and "empty" in empty.warning


def test_plan_and_build_follow_the_arithmetic(corpus, tmp_path):
    mix = load_mixture(data=mixture(corpus))
    rows = {r["source"]: r for r in plan(mix)}
    assert rows["en"]["docs"] + rows["zh"]["docs"] <= 110 and rows["notes"]["docs"] <= 40
    for name, w in (("en", 0.3), ("zh", 0.5), ("notes", 0.2)):
        r = rows[name]
        assert r["asked"] == round(4000 * w) and r["epochs"] == pytest.approx(r["asked"] / r["available"])
    assert rows["zh"]["epochs"] > 2 and rows["zh"]["granted"] == 2 * rows["zh"]["available"]  # capped at 2 epochs
    manifest = build(mix, str(tmp_path / "out"))
    docs = duckdb.sql(
        f"select source, epoch, count(*) n, sum(tokens) t from '{tmp_path / 'out' / 'docs.parquet'}' "
        "where split = 'train' group by all order by all"
    ).fetchall()
    zh = {e: (n, t) for s, e, n, t in docs if s == "zh"}
    assert sorted(zh) == [0, 1] and zh[0] == zh[1] == (rows["zh"]["docs"], rows["zh"]["available"])  # two whole copies
    for name, r in rows.items():  # realised = granted, up to the one document that crosses the line
        got = manifest["sources"][name]["realised"]["tokens"]
        assert r["granted"] <= got < r["granted"] + 40
    val = duckdb.sql(
        f"select distinct source from '{tmp_path / 'out' / 'docs.parquet'}' where split = 'val'"
    ).fetchall()
    assert ("target",) in val


def test_proxy_scale_keeps_the_repetition_rate(corpus):
    mix = load_mixture(
        data=mixture(
            corpus,
            total_tokens=30000,
            sources=[
                {
                    "name": "en",
                    "inputs": [str(corpus / "kept")],
                    "where": "lang = 'en'",
                    "weight": 0.5,
                    "max_epochs": 50,
                },
                {"name": "notes", "inputs": [str(corpus / "notes.txt")], "weight": 0.5, "max_epochs": 50},
            ],
        )
    )
    full = {r["source"]: r for r in plan(mix)}
    proxy = {r["source"]: r for r in plan(mix, tokens=15000, scale=0.5)}
    for name in full:
        assert proxy[name]["available"] < 0.6 * full[name]["available"]  # the pool is subsampled ...
        assert proxy[name]["epochs"] == pytest.approx(full[name]["epochs"], rel=0.1)  # ... to the same epochs


def test_same_mixture_and_seed_give_identical_bytes(corpus, tmp_path):
    mix = load_mixture(data=mixture(corpus))
    build(mix, str(tmp_path / "a"))
    build(mix, str(tmp_path / "b"))
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert {"index.json", "docs.parquet", "manifest.json", "train/00000.bin", "val/00000.bin"} <= {
        str(f) for f in files
    }
    for f in files:
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
    other = load_mixture(data=mixture(corpus, seed=1))
    build(other, str(tmp_path / "c"))
    assert (tmp_path / "c" / "train/00000.bin").read_bytes() != (tmp_path / "a" / "train/00000.bin").read_bytes()
    assert read_manifest(str(tmp_path / "c"))["seed"] == 1
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "keep.txt").write_text("not a build")
    with pytest.raises(FileExistsError):
        build(mix, str(tmp_path / "d"))


@pytest.mark.faults
@pytest.mark.parametrize("seed", range(2))
def test_mix_build_killed_mid_write_then_rerun_gives_the_same_bytes(corpus, tmp_path, seed):
    sources = [dict(s, max_epochs=1000.0) for s in mixture(corpus)["sources"]]  # long enough to kill mid-write
    path = tmp_path / "mix.yaml"
    path.write_text(yaml.safe_dump(mixture(corpus, total_tokens=300_000, shard_tokens=2000, sources=sources)))
    cmd = lambda out: [sys.executable, "-m", "corpus.cli", "mix", "build", str(path), "-o", str(out)]  # noqa: E731
    env = dict(os.environ, PYTHONPATH=str(REPO))
    subprocess.run(cmd(tmp_path / "straight"), env=env, check=True, capture_output=True)
    killed = tmp_path / "killed"
    proc = subprocess.Popen(cmd(killed), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    shards = tmp_path / "killed.partial" / "train"
    at = 2 + random.Random(seed).randrange(20)  # the kill lands after this many shards were written
    deadline = time.time() + 600  # waiting on the shards, not the clock: the deadline only stops a hung build
    while proc.poll() is None and time.time() < deadline and len(list(shards.glob("*.bin*"))) < at:
        time.sleep(0.002)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL, "mix build ended before the kill"
    assert not killed.exists()  # only the .partial directory, which the rerun clears
    subprocess.run(cmd(killed), env=env, check=True, capture_output=True)
    files = lambda d: {str(p.relative_to(d)): p.read_bytes() for p in d.rglob("*") if p.is_file()}  # noqa: E731
    straight = files(tmp_path / "straight")
    assert len(straight) > 20 and files(killed) == straight and not (tmp_path / "killed.partial").exists()


@pytest.mark.parametrize(
    "change,key",
    [
        ({"total_tokens": 0}, "total_tokens"),
        ({"bogus": 1}, "bogus"),
        ({"sources": [{"name": "a", "inputs": ["x"], "weight": -1}]}, "sources.weight"),
        ({"targets": [{"name": "en", "inputs": ["x"]}]}, "sources"),
        ({"sources": [{"name": "A b", "inputs": ["x"]}]}, "sources[0].name"),
    ],
)
def test_bad_mixture_names_the_key(corpus, change, key):
    with pytest.raises(ConfigError) as e:
        load_mixture(data=mixture(corpus, **change))
    assert e.value.key == key


def search_file(root: Path, tmp_path: Path, runs: int, final_seeds: int, **extra) -> str:
    data = mixture(
        root,
        **extra,
        search=tiny_search(runs, final_seeds, max_steps=4),
    )
    path = tmp_path / "space.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def test_smoke_search_records_runs_proposes_and_reports(corpus, tmp_path):
    from corpus.core.sql import connect_runs
    from mixtures.olmix import export_runs, import_runs
    from mixtures.report import write_report
    from mixtures.search import run_search

    quiz = tmp_path / "quiz" / "test"
    quiz.mkdir(parents=True)
    (quiz / "rivers_test.csv").write_text(
        "question,choice0,choice1,choice2,choice3,answer\n"
        + "".join(f"What rose {i} feet?,the river,a train,a note,a cat,0\n" for i in range(3))
    )
    targets = [
        {"name": "target", "inputs": [str(corpus / "target.txt")]},
        {"name": "quiz", "mc": str(tmp_path / "quiz"), "sample": 3},
    ]
    mix = load_mixture(search_file(corpus, tmp_path, runs=4, final_seeds=1, targets=targets))
    result = run_search(mix, str(tmp_path / "runs"), log=lambda s: None)
    con = connect_runs(str(tmp_path / "runs"))
    kinds = dict(con.execute("select kind, count(*) from runs group by kind").fetchall())
    assert kinds == {"search": 4, "proposed": 1, "uniform": 1, "best": 1}
    row = con.execute(
        'select "loss.target", "loss.en", "w.en" + "w.zh" + "w.notes", wall_s, metric, cpu_s from runs '
        "where run = 's000'"
    ).fetchone()
    assert row[0] > 0 and row[1] > 0 and row[2] == pytest.approx(1, abs=1e-5) and row[3] > 0 and row[4] == row[0]
    assert 0 < row[5] < 3 * row[3]  # CPU seconds, of the order of the wall time (one torch thread)
    acc = [a for (a,) in con.execute('select "acc.quiz" from runs').fetchall()]
    assert len(acc) == 7 and all(a in (0, 1 / 3, 2 / 3, 1) for a in acc)  # 3 questions scored per run
    assert set(result["heldout_spearman"]) == set(MODELS)
    assert sum(result["proposal"].values()) == pytest.approx(1, abs=1e-5)
    html = open(write_report(str(tmp_path / "runs"))).read()
    assert (
        html.count('class="plot-data"') >= 2 + 3 + 1  # plotly charts: fits, weights, comparison
        and "Spearman" in html
        and "http" not in html.split("<body>")[1].replace("http-equiv", "")
    )
    assert '<script src="plotly.min.js"' in html and (tmp_path / "runs" / "plotly.min.js").stat().st_size > 1e6
    charts = {
        m.group(1): json.loads(m.group(2))
        for m in re.finditer(r'data-plot="([^"]+)".*?class="plot-data">(.*?)</script>', html)
    }
    metrics = dict(con.execute("select run, metric from runs where kind = 'search'").fetchall())
    en = charts["weight-en"]["data"][0]
    assert dict(zip(en["text"], en["y"])) == pytest.approx(metrics)  # the metric against each run's weight
    assert charts["compare"]["layout"]["yaxis"]["title"]["text"] == "metric (min-max over seeds)"
    rep = run_cli("mix", "report", tmp_path / "runs")  # the verdict on the terminal and at the top of the page
    assert rep.returncode == 0 and rep.stdout.startswith("metric = loss.target (lower is better)")
    assert "this search cannot tell mixtures apart yet: add runs" in rep.stdout
    assert "verdict: the proposal" in rep.stdout
    html = open(rep.stdout.strip().splitlines()[-1]).read()
    assert "id='verdict'" in html and "class='warn'" in html and "<th>loss.target</th>" in html and "acc.quiz" in html
    columns = [c for (c,) in con.execute("select column_name from (describe runs)").fetchall()]
    n_metrics = sum(c.startswith(("loss.", "bpb.", "acc.", "acc_norm.")) for c in columns) + 1  # + the metric
    exported = export_runs(str(tmp_path / "runs"), str(tmp_path / "olmix"))
    assert exported == {"runs": 7, "domains": 3, "metrics": n_metrics}
    ratios = (tmp_path / "olmix" / "ratios.csv").read_text().splitlines()
    assert ratios[0] == "run,name,en,zh,notes" and len(ratios) == 8
    assert import_runs(str(tmp_path / "olmix"), str(tmp_path / "back")) == {"imported": 7, "skipped": 0}
    back = connect_runs(str(tmp_path / "back")).execute('select run, "w.en", metric from runs order by run').fetchall()
    assert back == con.execute('select run, "w.en", metric from runs order by run').fetchall()


@pytest.mark.faults
def test_search_resumes_after_sigkill_without_redoing_finished_runs(corpus, tmp_path):
    space = search_file(corpus, tmp_path, runs=4, final_seeds=0)
    runs = tmp_path / "runs"
    cmd = [sys.executable, "-m", "corpus.cli", "mix", "search", space, "-o", str(runs)]
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    table = runs / "runs.jsonl"
    deadline = time.time() + 600  # waiting on the runs table, not the clock: the deadline only stops a hung search
    while (
        proc.poll() is None
        and time.time() < deadline
        and (not table.exists() or len(table.read_text().splitlines()) < 2)
    ):
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = [json.loads(line) for line in table.read_text().splitlines()]
    assert 2 <= len(before) < 4, "the kill should land mid-search"
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"{len(before)} of 4 search runs already finished" in done.stderr
    after = [json.loads(line) for line in table.read_text().splitlines()]
    assert sorted(r["run"] for r in after) == ["s000", "s001", "s002", "s003"]
    assert after[: len(before)] == before  # finished runs kept as they were, not redone


@pytest.mark.realdata
def test_regmix_regression_ranks_unseen_mixtures(shared_data):
    import pandas as pd

    from mixtures.regression import fit, spearman

    d = shared_data / "mixtures" / "regmix"
    X, Y = pd.read_csv(d / "train_mixture_1m.csv"), pd.read_csv(d / "train_pile_loss_1m.csv")
    Xt, Yt = pd.read_csv(d / "test_mixture_1m.csv"), pd.read_csv(d / "test_pile_loss_1m.csv")
    domains = [c for c in X.columns if c.startswith("train_")]
    target = "metric/the_pile_pile_cc_val_loss"
    assert len(X) == 512 and len(Xt) == 256 and len(domains) == 17
    rho = {
        k: spearman(fit(k, X[domains].values, Y[target].values).predict(Xt[domains].values), Yt[target].values)
        for k in ("lightgbm", "linear")
    }
    print(f"RegMix Pile-CC, 256 unseen mixtures: Spearman lightgbm {rho['lightgbm']:.4f}, linear {rho['linear']:.4f}")
    assert rho["lightgbm"] >= 0.95
    assert 0.8 < rho["linear"] < rho["lightgbm"]


@pytest.mark.parametrize("sign", [1.0, -1.0])  # a loss falling, an accuracy rising
def test_per_target_mixing_law_ranks_a_metric_whose_targets_trade_off(sign):
    from mixtures.regression import dirichlet, fit, out_of_fold, spearman

    rng = np.random.default_rng(0)
    W = dirichlet(np.ones(4), 30, rng)  # sources: en_a, en_b, zh_a, zh_b
    en = 3 + sign * np.exp(0.5 - 1.5 * np.sqrt(W[:, 0] + 0.5 * W[:, 1]))
    zh = 4 + sign * np.exp(0.8 - 1.2 * np.sqrt(W[:, 2] + 0.3 * W[:, 3]))
    Y = np.c_[en, zh] + rng.normal(0, 0.002, (30, 2))
    mean = Y.mean(axis=1)  # English gains are Chinese losses: the mean is a near-cancellation
    law = spearman(out_of_fold("mixing_law", W, Y, 6), mean)
    whole = spearman(out_of_fold("mixing_law", W, mean, 6), mean)
    assert law > 0.9 and law > whole and law > spearman(out_of_fold("sqrt_linear", W, Y, 6), mean)
    assert fit("mixing_law", W, Y).models[0].sign == sign


def test_yi_grid_mixtures_come_from_the_grid_within_the_epoch_caps(corpus, tmp_path):
    from mixtures.build import source_docs
    from mixtures.search import YI_GRID, sample_mixtures, search_config

    mix = load_mixture(search_file(corpus, tmp_path, runs=12, final_seeds=0))
    mix = load_mixture(data=mixture(corpus, search=dict(mix.search, strategy="grid")))
    available = {n: sum(d[3] for d in docs) for n, (_, docs) in source_docs(mix).items()}
    W = sample_mixtures(mix, search_config(mix), available)
    assert W.shape == (12, 3) and len({tuple(w) for w in W}) == 12
    assert (W == sample_mixtures(mix, search_config(mix), available)).all()  # seeded
    for w in W:  # each row is grid values over their sum: ratios between sources are ratios of grid values
        assert w.sum() == pytest.approx(1, abs=1e-5)
        ratios = w / w.max()
        assert all(min(abs(r - g) for g in YI_GRID) < 1e-4 for r in ratios)
    zh_cap = 2.0 * available["zh"] / mix.total_tokens  # max_epochs 2 for zh
    assert (W[:, 1] <= zh_cap + 1e-9).all()


@pytest.mark.slow
def test_parallel_runs_with_a_launcher(corpus, tmp_path, monkeypatch):
    from mixtures.runs import read_runs
    from mixtures.search import run_search

    base = load_mixture(search_file(corpus, tmp_path, runs=2, final_seeds=0))
    mix = load_mixture(
        data=mixture(corpus, search=dict(base.search, workers=2, launcher=f"{sys.executable} -m corpus.cli"))
    )
    monkeypatch.setenv("PYTHONPATH", os.environ.get("PYTHONPATH") or str(REPO))  # the launcher's `corpus.cli`
    run_search(mix, str(tmp_path / "runs"), log=lambda s: None)
    rows = read_runs(str(tmp_path / "runs"))
    assert sorted(r["run"] for r in rows) == ["s000", "s001"] and all(r["loss.target"] > 0 for r in rows)
    assert os.path.exists(tmp_path / "runs" / "runs" / "s000" / "train.yaml")  # trained by the launcher
