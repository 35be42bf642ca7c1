"""Demo-quality models trained from the text shipped in filters/data/demo/ (no external data).

A build with no `scorers.models_dir` uses these, trained once into a cache directory keyed by
the demo text's checksum, so a fresh clone runs the whole cascade offline. They are tiny and
only show the machinery; real thresholds need models from `corpus models train`.
"""

from __future__ import annotations

import fcntl
import hashlib
from pathlib import Path

from corpus.core import files
from filters.models.registry import INDEX, write_index
from filters.models.train import LangData, TrainParams, train_all

DEMO_DIR = Path(__file__).resolve().parents[1] / "data" / "demo"
DEMO_VERSION = "2"  # bump when something outside filters/models changes what the demo models are
DEMO_PARAMS = TrainParams(
    seed=0,
    threads=1,
    heldout=0.25,
    sp_vocab=400,
    fasttext={"epoch": 50, "lr": 0.1, "wordNgrams": 2, "dim": 16, "minCount": 1, "bucket": 20_000},
)


def _docs(path: Path) -> list[str]:
    return [d.strip() for d in path.read_text(encoding="utf-8").split("\n\n") if d.strip()]


def demo_data() -> dict[str, LangData]:
    safety = [
        line.split("\t") for line in (DEMO_DIR / "safety_labelled.txt").read_text(encoding="utf-8").splitlines() if line
    ]
    out = {}
    for lang in ("en", "zh"):
        low = (DEMO_DIR / f"{lang}_low_quality.txt").read_text(encoding="utf-8").splitlines()
        # the demo's low-quality lines are its spam too: one role, so they count once as negatives
        out[lang] = LangData(
            reference=_docs(DEMO_DIR / f"{lang}_reference.txt"),
            spam=[t for t in low if t],
            safety=[(t, int(y)) for y, lg, t in safety if lg == lang],
            inputs={"reference": [{"path": f"filters/data/demo/{lang}_reference.txt"}]},
        )
    return out


def demo_digest() -> str:
    """Covers the demo text and the training code, so a changed trainer never reuses stale models."""
    h = hashlib.sha256(DEMO_VERSION.encode())
    for p in sorted(DEMO_DIR.iterdir()) + sorted(Path(__file__).parent.glob("*.py")):
        h.update(p.name.encode() + p.read_bytes())
    return h.hexdigest()[:16]


def cache_root() -> Path:
    return files.cache_root() / "demo-models" / demo_digest()


def ensure_demo_models(root: str | Path | None = None) -> str:
    """Train the demo models unless a finished set is there; a lock keeps parallel builds from racing."""
    root = Path(root or cache_root())
    if (root / INDEX).exists():
        return str(root)
    root.mkdir(parents=True, exist_ok=True)
    with open(root.parent / f"{root.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (root / INDEX).exists():
            from loguru import logger

            entries = train_all(demo_data(), str(root), DEMO_PARAMS, log=logger.info, skip_without_kenlm=True)
            write_index(
                root,
                entries,
                {
                    "demo": True,
                    "digest": demo_digest(),
                    "note": "demo-quality models from filters/data/demo; not for real thresholds",
                },
            )
    return str(root)
