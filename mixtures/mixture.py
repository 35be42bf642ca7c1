"""A mixture file: named sources (inputs + a SQL predicate), weights, a token budget, epoch caps and
the target sets that judge a mixture. Loaded into frozen dataclasses, checked at load.

```yaml
tokenizer: tok                      # a `corpus tokenizer train` directory
total_tokens: 20000000              # the budget of the run this mixture is for
seed: 0
sources:
  - {name: en_web, inputs: [out/kept], where: "lang = 'en'", weight: 0.4, max_epochs: 4}
  - {name: zh_ref, inputs: [zh-csl-abstracts.txt.gz], weight: 0.6}
targets:                            # judged on every proxy run; none of them is trained on
  - {name: wiki_en, inputs: [xquad_en_contexts.txt.gz]}
  - {name: mmlu, mc: ../shared/data/eval/mmlu, lang: en}
```

Relative paths are relative to the file. A source's `where` is DuckDB SQL over its Parquet columns
(a build's kept table: lang, quality buckets, topic or cluster labels once those columns exist).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, replace
from typing import Any

from corpus.core.configlib import ConfigError, check, from_dict, load_yaml
from corpus.core.remote import is_remote

NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_-")


def _check_name(name: str, key: str) -> None:
    check(bool(name) and set(name) <= NAME_CHARS, key, f"{name!r}: use lower-case letters, digits, '_' or '-'")


@dataclass(frozen=True)
class Source:
    name: str
    inputs: tuple[str, ...]
    weight: float = 1.0  # relative; weights are normalised over the sources
    where: str = ""
    max_epochs: float = 4.0  # repetition beyond this is capped (and `plan` warns)
    val_fraction: float = 0.02  # held out by a hash of the text: the source's own validation split

    def __post_init__(self):
        check(self.weight >= 0, "weight", "must be >= 0")
        check(self.max_epochs > 0, "max_epochs", "must be > 0")
        check(0 <= self.val_fraction < 1, "val_fraction", "must be in [0, 1)")
        check(bool(self.inputs), "inputs", "a source needs at least one input")


@dataclass(frozen=True)
class Target:
    """Held-out text (inputs, optional where) scored by loss, or a multiple-choice task directory (mc)."""

    name: str
    inputs: tuple[str, ...] = ()
    where: str = ""
    mc: str = ""
    lang: str = "en"
    sample: int = 20  # questions per subject for mc targets
    shots: int = 0

    def __post_init__(self):
        check(bool(self.inputs) != bool(self.mc), "inputs", "a target has either inputs (text) or mc (a task dir)")


@dataclass(frozen=True)
class Mixture:
    tokenizer: str
    sources: tuple[Source, ...]
    total_tokens: int
    targets: tuple[Target, ...] = ()
    seed: int = 0
    cache: str = ".mix-cache"  # tokenised sources, keyed by tokenizer, inputs and predicate
    shard_tokens: int = 50_000_000
    search: dict[str, Any] = field(default_factory=dict)  # read by `corpus mix search` (mixtures/search.py)

    def __post_init__(self):
        check(self.total_tokens > 0, "total_tokens", "must be positive")
        check(bool(self.sources), "sources", "a mixture needs at least one source")
        names = [s.name for s in self.sources] + [t.name for t in self.targets]
        for i, n in enumerate(names):
            _check_name(n, f"sources[{i}].name" if i < len(self.sources) else "targets.name")
        dup = sorted({n for n in names if names.count(n) > 1})
        check(not dup, "sources", f"names must be unique across sources and targets: {dup}")
        check(sum(s.weight for s in self.sources) > 0, "sources", "at least one weight must be > 0")

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.sources]

    def weights(self) -> dict[str, float]:
        total = sum(s.weight for s in self.sources)
        return {s.name: s.weight / total for s in self.sources}

    def with_weights(self, weights: dict[str, float], seed: int | None = None) -> "Mixture":
        sources = tuple(replace(s, weight=float(weights.get(s.name, 0.0))) for s in self.sources)
        return replace(self, sources=sources, seed=self.seed if seed is None else seed)


def _resolve(path: str, base: str) -> str:
    """Relative to the mixture file; absolute paths and URLs (s3://..., read from a local copy) as given."""
    if os.path.isabs(path) or not base or is_remote(path):
        return path
    return os.path.normpath(os.path.join(base, path))


def load_mixture(path: str | None = None, data: dict | None = None) -> Mixture:
    raw = dict(load_yaml(path) if path else data or {})
    base = os.path.dirname(os.path.abspath(path)) if path else ""
    check(
        "tokenizer" in raw and "sources" in raw and "total_tokens" in raw,
        "sources",
        "a mixture needs tokenizer, sources and total_tokens",
    )
    raw["tokenizer"] = _resolve(raw["tokenizer"], base)
    raw["cache"] = _resolve(raw.get("cache", ".mix-cache"), base)
    for section in ("sources", "targets"):
        items = raw.get(section) or []
        check(isinstance(items, list), section, "expected a list")
        for i, item in enumerate(items):
            check(isinstance(item, dict), f"{section}[{i}]", "expected a mapping")
            item = dict(item)
            if "inputs" in item:
                ins = item["inputs"] if isinstance(item["inputs"], list) else [item["inputs"]]
                item["inputs"] = [_resolve(str(p), base) for p in ins]
            if item.get("mc"):
                item["mc"] = _resolve(item["mc"], base)
            items[i] = item
        raw[section] = items
    try:
        return from_dict(Mixture, raw)
    except ConfigError as e:
        if e.key in ("weight", "max_epochs", "val_fraction", "inputs"):  # name the source that is wrong
            raise ConfigError(f"sources.{e.key}", str(e).split(": ", 1)[-1]) from None
        raise


# ---------------------------------------------------------------- budget arithmetic
@dataclass(frozen=True)
class Allocation:
    source: str
    available: int  # training tokens the source holds (after subsampling to the proxy's scale)
    asked: int  # weight x budget
    epochs: float  # asked / available: how often each document would be seen
    granted: int  # tokens actually used once the epoch cap applies
    warning: str = ""


def allocate(
    available: dict[str, int], weights: dict[str, float], total: int, max_epochs: dict[str, float]
) -> list[Allocation]:
    """Tokens per source for a budget; the cap on epochs can leave a run short of its budget."""
    wsum = sum(weights.values())
    out = []
    for name, avail in available.items():
        asked = int(round(total * weights.get(name, 0.0) / wsum))
        epochs = asked / avail if avail else (math.inf if asked else 0.0)
        granted = min(asked, int(math.floor(avail * max_epochs[name])))
        warning = ""
        if asked and not avail:
            warning = "no documents: the source is empty"
        elif epochs > max_epochs[name]:
            warning = f"repeated {epochs:.2f}x, beyond max_epochs {max_epochs[name]:g}: capped at {granted} tokens"
        elif epochs > 1:
            warning = f"exhausted: every document repeated {epochs:.2f}x"
        out.append(Allocation(name, avail, asked, epochs, granted, warning))
    return out
