"""Every path a build reads or writes under OUT, named in one place.

Stages, executors and the SQL views all call these functions, so a file-name template or a
task count can never disagree between the stage that writes and the stage that reads.
"""

from __future__ import annotations

import glob
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from corpus.core.vocab import FATE_DROPPED, FATE_FAILED, FATE_KEPT, FATES

# written into OUT by build and refilter (Layout.ensure): what --overwrite recognises as an output of ours
OUTPUT_MARKER = "corpus-output.json"
OUTPUT_FORMAT = "corpus-toolkit/output"
OUTPUT_VERSION = 1
# the charting library every report page loads from its own folder (reports.plots writes it there)
REPORT_SCRIPT = "plotly.min.js"
# keys every config this toolkit has ever written has: how an output made before the marker is recognised
_CONFIG_KEYS = frozenset({"inputs", "output", "stages"})


def rank_name(rank: int) -> str:
    return f"{rank:05d}"


@dataclass(frozen=True)
class Layout:
    root: str

    def path(self, *parts: str) -> str:
        return os.path.join(self.root, *parts)

    # ---- final tables
    def fate_dir(self, fate: str) -> str:
        assert fate in FATES, fate
        return self.path(fate)

    def clusters_dir(self) -> str:
        """The cluster stage's per-cluster table and model description (the `clusters` view)."""
        return self.path("clusters")

    def clusters_table(self) -> str:
        return os.path.join(self.clusters_dir(), "clusters.parquet")

    def fate_glob(self, fate: str) -> str:
        return os.path.join(self.fate_dir(fate), "*.parquet")

    def fate_filename(self, fate: str, writer: str, segment: int) -> str:
        """File name (datatrove template, ${rank} filled per task) inside fate_dir(fate)."""
        return f"{writer}-s{segment:02d}-${{rank}}.parquet" if fate != FATE_KEPT else "${rank}.parquet"

    def fate_file(self, fate: str, writer: str, segment: int, rank: int) -> str:
        """The file fate_filename names for one task, for writers that do not go through datatrove."""
        name = self.fate_filename(fate, writer, segment).replace("${rank}", rank_name(rank))
        return os.path.join(self.fate_dir(fate), name)

    def empty_file(self, fate: str) -> str:
        """An empty table with the schema, so that every fate reads as a table even with no rows."""
        return os.path.join(self.fate_dir(fate), "empty.parquet")

    # ---- scratch: intermediate data between segments (survivors of segment i, read by segment i+1),
    # removed after a successful build
    def scratch_dir(self) -> str:
        return self.path("work")

    def work_dir(self, segment: int) -> str:
        return os.path.join(self.scratch_dir(), f"seg{segment:02d}")

    def logs_dir(self) -> str:
        return self.path("logs")

    def logging_dir(self, segment: int, part: str = "") -> str:
        return os.path.join(self.logs_dir(), f"seg{segment:02d}" + (f"-{part}" if part else ""))

    @staticmethod
    def segment_of(logging_dir: str) -> int | None:
        """The segment whose pipeline logs into `logging_dir` (logging_dir's inverse); None for another folder."""
        m = re.fullmatch(r"seg(\d{2,})(-.*)?", os.path.basename(os.path.normpath(logging_dir)))
        return int(m.group(1)) if m else None

    def segment_reads(self, segment: int) -> tuple[str, ...]:
        """Where the tasks of a segment's pipelines read what earlier ones wrote: the survivors of the segment
        before, the segment's own dedup scratch (dedup.layout.make_plan), the logs; the fate folders they only
        write. Prefixes of paths under the root."""
        before = (self.work_dir(segment - 1) + os.sep,) if segment else ()
        return (*before, self.work_dir(segment) + "-", self.logs_dir() + os.sep)

    def progress_file(self, segment: int, rank: int) -> str:
        """Documents a running task has read and written so far (corpus.core.progress)."""
        return os.path.join(self.logs_dir(), "progress", f"seg{segment:02d}", f"{rank_name(rank)}.json")

    def progress_files(self, segment: int) -> list[str]:
        return glob.glob(os.path.join(self.logs_dir(), "progress", f"seg{segment:02d}", "*.json"))

    def build_log(self) -> str:
        return os.path.join(self.logs_dir(), "build.log")

    def accounting_dir(self) -> str:
        return os.path.join(self.logs_dir(), "accounting")

    def accounting_file(self, rank: int) -> str:
        return os.path.join(self.accounting_dir(), f"{rank_name(rank)}.json")

    def manifest(self) -> str:
        return self.path("manifest.json")

    def funnel(self) -> str:
        return self.path("funnel.json")

    def config_file(self) -> str:
        """Written first by a build: the config a resumed build must match."""
        return self.path("build-config.json")

    def lock_file(self) -> str:
        return self.path("build.lock")

    def report_file(self) -> str:
        """`corpus report`'s page, by default."""
        return self.path("report.html")

    def report_script(self) -> str:
        """The report's charting library (plotly.js), written beside the page: the page loads it from there."""
        return self.path(REPORT_SCRIPT)

    def marker(self) -> str:
        return self.path(OUTPUT_MARKER)

    def entries(self) -> list[str]:
        """Every file and folder that build, refilter, report and `clusters apply` write directly under OUT:
        all that --overwrite deletes. The marker comes last, so that a deletion cut short leaves a
        directory still recognised as ours."""
        return [
            *(self.fate_dir(f) for f in FATES),
            self.clusters_dir(),
            self.scratch_dir(),
            self.logs_dir(),
            self.manifest(),
            self.funnel(),
            self.config_file(),
            self.report_file(),
            self.report_script(),
            self.lock_file(),
            self.marker(),
        ]

    def holds_a_build(self) -> bool:
        """A directory made by `corpus build` or `corpus refilter`, finished or not: it holds their marker.
        One made before the marker existed is recognised by this toolkit's config, in build-config.json (a
        build) or under "config" in manifest.json (a refilter); any other manifest.json is not enough."""
        if os.path.lexists(self.marker()):
            marker = _read_json(self.marker())
            return isinstance(marker, dict) and marker.get("format") == OUTPUT_FORMAT
        manifest = _read_json(self.manifest())
        return _our_config(_read_json(self.config_file())) or (
            isinstance(manifest, dict) and _our_config(manifest.get("config"))
        )

    def _write_marker(self) -> None:
        tmp = f"{self.marker()}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump({"format": OUTPUT_FORMAT, "version": OUTPUT_VERSION}, f)
        os.replace(tmp, self.marker())  # never seen half-written

    def inputs_failed_file(self) -> str:
        return os.path.join(self.fate_dir(FATE_FAILED), "inputs.parquet")

    def rank_outputs(self, segment: int, rank: int) -> list[str]:
        """Files a task of this segment may have written: removed when the task (re)starts, so a
        task killed half-way leaves nothing behind that its rerun would not overwrite."""
        r = rank_name(rank)
        pats = [os.path.join(self.fate_dir(f), f"*-s{segment:02d}-{r}.parquet") for f in (FATE_DROPPED, FATE_FAILED)]
        pats.append(os.path.join(self.work_dir(segment), f"{r}.parquet"))
        pats.append(os.path.join(self.fate_dir(FATE_KEPT), f"{r}.parquet"))
        return [p for pat in pats for p in glob.glob(pat)]

    def ensure(self) -> None:
        Path(self.root).mkdir(parents=True, exist_ok=True)
        self._write_marker()
        for f in FATES:
            Path(self.fate_dir(f)).mkdir(parents=True, exist_ok=True)
        Path(self.accounting_dir()).mkdir(parents=True, exist_ok=True)


def _read_json(path: str):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _our_config(data) -> bool:
    return isinstance(data, dict) and _CONFIG_KEYS <= data.keys()
