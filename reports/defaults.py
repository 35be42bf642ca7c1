"""What the stages' defaults files say about a threshold or a parameter, for the report's captions.

A per-language default often differs between languages for a reason written beside it as a YAML
comment (`c4_curly_bracket: {max: 1}  # (ref) ... zh Wikipedia has ... -{...}- markup`); the report
shows that comment next to the value, when the value in force is the file's. Signal descriptions that
name a parameter (`params.short_line_length`) get the language's value from the same files.
"""

from __future__ import annotations

import glob
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

NOTE_CHARS = 240
ABOVE_LINES = 3
_KEY = re.compile(r"^(\s*)(\"[^\"]*\"|'[^']*'|[^\s:#][^:#]*?):(?:\s+(.*))?$")
_MARKER = re.compile(r"^\((\w+)\)")


@dataclass
class DefaultsFile:
    path: str
    data: dict
    # (lang, signal) -> (bounds, the comment beside the line or the comment block just above it)
    notes: dict[tuple[str, str], tuple[dict, str]] = field(default_factory=dict)
    comments: list[str] = field(default_factory=list)  # every comment line, for the legend of a marker

    @property
    def fallback(self) -> str | None:
        value = self.data.get("fallback")
        return value if isinstance(value, str) else None

    def entry(self, lang: str, signal: str) -> tuple[dict, str] | None:
        found = self.notes.get((lang, signal))
        if found is None and lang not in self.data:
            found = self.notes.get((self.fallback, signal)) or self.notes.get(("*", signal))
        return found

    def param(self, lang: str, name: str):
        for key in (lang, self.fallback, "*"):
            params = (self.data.get(key) or {}).get("params") if isinstance(self.data.get(key), dict) else None
            if isinstance(params, dict) and name in params:
                return params[name]
        return None

    def legend(self, marker: str) -> str:
        """The comment line that says what '(ref)' means, if the file has one."""
        return next((c for c in self.comments if f"marked ({marker})" in c), "")


def read_defaults_file(path: str) -> DefaultsFile:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    data = yaml.safe_load(text)
    out = DefaultsFile(path, data if isinstance(data, dict) else {})
    stack: list[tuple[int, str]] = []  # (indent, key) of the mappings around the current line
    above: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            above = []
            continue
        if stripped.startswith("#"):
            comment = stripped.lstrip("#").strip()
            out.comments.append(comment)
            above.append(comment)
            continue
        m = _KEY.match(line)
        if not m:
            above = []
            continue
        indent, key, rest = len(m.group(1)), m.group(2).strip("\"'"), m.group(3) or ""
        while stack and stack[-1][0] >= indent:
            stack.pop()
        if rest.startswith("{") and "}" in rest and stack:
            bounds_text, _, after = rest.partition("}")
            try:
                bounds = yaml.safe_load(bounds_text + "}")
            except yaml.YAMLError:
                bounds = None
            # the comment beside the line; else a short block just above it (a longer one speaks of a group)
            comment = (
                after.strip().lstrip("#").strip()
                if after.strip().startswith("#")
                else " ".join(above)
                if len(above) <= ABOVE_LINES
                else ""
            )
            if isinstance(bounds, dict):
                out.notes[(stack[0][1], key)] = (bounds, comment)
        stack.append((indent, key))
        above = []
    return out


def candidate_files(config: dict, data_dirs: list[str]) -> list[str]:
    """Defaults files a config names (any .yaml path in its sections), then every file of the data folders."""
    named: list[str] = []

    def walk(value):
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                walk(v)
        elif isinstance(value, str) and value.endswith((".yaml", ".yml")) and os.path.isfile(value):
            named.append(value)

    walk({k: v for k, v in config.items() if k not in ("inputs", "output")})
    found = [p for d in data_dirs for p in sorted(glob.glob(os.path.join(d, "*.yaml")))]
    return list(dict.fromkeys(os.path.realpath(p) for p in named + found))


class Defaults:
    """The defaults files of a build, asked for the comment behind a value or a parameter's value."""

    def __init__(self, paths: list[str]):
        self.files = []
        for p in paths:
            try:
                self.files.append(read_defaults_file(p))
            except (OSError, yaml.YAMLError, UnicodeDecodeError):
                continue

    @classmethod
    def of_config(cls, config: dict, demo: bool = False) -> "Defaults":
        """demo: the demo models' defaults files (`*_demo.yaml`) are asked first."""
        import filters

        paths = candidate_files(config, [str(Path(filters.__file__).parent / "data")])
        return cls(sorted(paths, key=lambda p: not (demo and "_demo." in os.path.basename(p))))

    def why(self, lang: str, signal: str, bound: str, value) -> str:
        """The comment beside (or above) `signal` for `lang` in the first file whose value is the one in force."""
        for f in self.files:
            found = f.entry(lang, signal)
            if found is None or not _same(found[0].get(bound), value):
                continue
            note = found[1]
            return note if len(note) <= NOTE_CHARS else note[: NOTE_CHARS - 1] + "…"
        return ""

    def legends(self, notes: list[str]) -> list[str]:
        """What the markers opening `notes` stand for ('(ref)': the file's line saying 'rules marked (ref) ...')."""
        markers = dict.fromkeys(m.group(1) for m in map(_MARKER.match, notes) if m)
        found = (next((f.legend(mark) for f in self.files if f.legend(mark)), "") for mark in markers)
        return [f"({mark}): {text}" for mark, text in zip(markers, found) if text]

    def source(self, lang: str, signal: str, bound: str, value) -> str:
        for f in self.files:
            found = f.entry(lang, signal)
            if found is not None and _same(found[0].get(bound), value):
                return f.path
        return ""

    def resolve_params(self, text: str, lang: str) -> str:
        """'at most params.short_line_length chars' -> 'at most 30 chars' (for lang); an unknown parameter
        keeps its name without the prefix."""

        def value(m: re.Match) -> str:
            for f in self.files:
                v = f.param(lang, m.group(1))
                if v is not None:
                    return str(v)
            return m.group(1)

        return re.sub(r"\bparams\.(\w+)", value, text)


def _same(a, b) -> bool:
    try:
        return a == b or (a is not None and b is not None and abs(float(a) - float(b)) < 1e-12)
    except (TypeError, ValueError):
        return False
