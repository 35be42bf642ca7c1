"""The heuristic families: each stage and the function that computes its signals from the document's shared
units (filters.units). The one list of families; the stages, the defaults file's check, the tests and the
benchmarks read it. A family's signals and their reasons are declared in corpus.core.vocab under its stage.
"""

from __future__ import annotations

from corpus.core import vocab
from filters.heuristics import blocklist, garbled, gopher, lines

FAMILIES = {  # stage -> signal function(units, params) -> {signal: value}, in cascade order
    vocab.GOPHER_QUALITY: gopher.quality,
    vocab.GOPHER_REPETITION: gopher.repetition,
    vocab.C4: lines.c4,
    vocab.FINEWEB: lines.fineweb,
    vocab.GARBLED: garbled.garbled,
    vocab.WORD_BLOCKLIST: blocklist.blocklist,
}

# every family's signal -> (reason below min, reason above max): what filters/data/heuristics.yaml may bound
SIGNALS = vocab.Bounds(*FAMILIES)
