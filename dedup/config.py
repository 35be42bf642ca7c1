"""Config section for cascaded deduplication."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DedupConfig:
    enabled: bool = True
