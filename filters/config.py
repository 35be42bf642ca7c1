"""Config sections for the filter families (heuristics, learned scorers)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HeuristicsConfig:
    enabled: bool = True


@dataclass(frozen=True)
class ScorersConfig:
    enabled: bool = True
