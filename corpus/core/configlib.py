"""Frozen-dataclass config loading: YAML/dicts in, validated objects out, errors naming the key.

Each config section is a frozen dataclass whose fields carry their types; ``from_dict`` walks the
annotations, so adding a field is the whole work of adding an option. Validation beyond types
lives in the dataclass's ``__post_init__`` and raises ``ConfigError`` with the dotted key.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from pathlib import Path
from typing import Annotated, Any, Callable, Literal

import yaml


ANY_LANG = "*"  # per-language settings and thresholds: the entry for every language not listed


def for_lang(by_lang: dict, lang: str | None, default: Any = None) -> Any:
    """A language's entry of a per-language mapping, else its "*" entry."""
    return by_lang.get(lang or "", by_lang.get(ANY_LANG, default))


def parse_assignment(item: str) -> tuple[list[str], Any]:
    """'a.b.c=VALUE' (a `--set` flag) -> (['a', 'b', 'c'], VALUE read as a YAML scalar; none: None)."""
    if "=" not in item:
        raise ConfigError(item, "expected KEY=VALUE")
    path, raw = item.split("=", 1)
    value = yaml.safe_load(raw)
    return path.strip().split("."), None if value in ("none", "null") else value


def nested(parts: list[str], value: Any) -> dict:
    """(['a', 'b'], v) -> {'a': {'b': v}}"""
    for p in reversed(parts):
        value = {p: value}
    return value


class ConfigError(ValueError):
    def __init__(self, key: str, message: str, what: str = "config key"):
        super().__init__(f"{what} '{key}': {message}")
        self.key = key


def check(condition: bool, key: str, message: str) -> None:
    if not condition:
        raise ConfigError(key, message)


@dataclasses.dataclass(frozen=True)
class OnDisk:
    """Marks a path setting ("" = unset) that a build reads: ``check_paths`` checks it when a build loads its
    config, before OUT is touched. ``from_dict`` does not: `corpus refilter` re-reads a finished build's
    config, and by then the build's lists and models may be gone (refilter reads none of them)."""

    kind: Literal["file", "dir"]
    holds: Callable[[str], bool] | None = None  # what a directory must contain
    what: str = ""  # ... said in the message when it does not

    def check(self, path: str, key: str) -> None:
        p, noun = Path(path), "file" if self.kind == "file" else "directory"
        check(p.exists(), key, f"no such {noun}: {path}")
        check(p.is_file() if self.kind == "file" else p.is_dir(), key, f"{path} is not a {noun}")
        check(self.holds is None or self.holds(path), key, f"{path} holds no {self.what}")


FilePath = Annotated[str, OnDisk("file")]
DirPath = Annotated[str, OnDisk("dir")]


def _convert(tp: Any, value: Any, key: str) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is Any:
        return value
    # YAML's .nan and .inf: every comparison with NaN is false, so a NaN bound or score never fires, and
    # an infinite timeout or size overflows where it is used
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(key, f"must be a finite number, got {value}")
    if origin is Annotated:
        return _convert(args[0], value, key)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        for arg in (a for a in args if a is not type(None)):
            try:
                return _convert(arg, value, key)
            except ConfigError:
                continue  # the next type may take it; when none does, the message below names the union
        raise ConfigError(key, f"expected {tp}, got {value!r}")
    if origin is typing.Literal:
        if value not in args:
            raise ConfigError(key, f"must be one of {list(args)}, got {value!r}")
        return value
    if dataclasses.is_dataclass(tp):
        if isinstance(value, tp):
            return value
        if not isinstance(value, dict):
            raise ConfigError(key, f"expected a mapping, got {type(value).__name__}")
        return from_dict(tp, value, key)
    if origin is tuple:
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            raise ConfigError(key, f"expected a list, got {value!r}")
        inner = args[0] if args else Any
        return tuple(_convert(inner, v, f"{key}[{i}]") for i, v in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(key, f"expected a mapping, got {value!r}")
        kt, vt = args if args else (Any, Any)
        return {_convert(kt, k, key): _convert(vt, v, f"{key}.{k}") for k, v in value.items()}
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(key, f"expected a number, got {value!r}")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(key, f"expected an integer, got {value!r}")
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(key, f"expected true or false, got {value!r}")
        return value
    if tp is str:
        if not isinstance(value, (str, Path)):
            raise ConfigError(key, f"expected a string, got {value!r}")
        return str(value)
    raise ConfigError(key, f"unsupported type {tp}")


def from_dict(cls: type, data: dict, prefix: str = "") -> Any:
    hints = typing.get_type_hints(cls, include_extras=True)
    names = {f.name for f in dataclasses.fields(cls) if f.init}
    for k in data:
        if k not in names:
            dotted = f"{prefix}.{k}" if prefix else str(k)
            raise ConfigError(dotted, f"unknown key (known: {', '.join(sorted(names))})")
    kwargs = {k: _convert(hints[k], v, f"{prefix}.{k}" if prefix else k) for k, v in data.items()}
    try:
        return cls(**kwargs)
    except TypeError as e:  # a required field is missing
        raise ConfigError(prefix or cls.__name__, str(e)) from None


def check_paths(obj: Any, prefix: str = "") -> None:
    """Every OnDisk path setting of a config (nested sections, lists and mappings of them) is there."""
    hints = typing.get_type_hints(type(obj), include_extras=True)
    for f in dataclasses.fields(obj):
        _check_path(hints[f.name], getattr(obj, f.name), f"{prefix}.{f.name}" if prefix else f.name)


def _check_path(tp: Any, value: Any, key: str) -> None:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if dataclasses.is_dataclass(value):
        check_paths(value, key)
    elif origin is Annotated and value:
        for mark in (a for a in args[1:] if isinstance(a, OnDisk)):
            mark.check(value, key)
    elif origin is tuple:
        for i, v in enumerate(value):
            _check_path(args[0], v, f"{key}[{i}]")
    elif origin is dict:
        for k, v in value.items():
            _check_path(args[1], v, f"{key}.{k}")


def to_dict(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj):
        return {f.name: to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, (list, tuple)):
        return [to_dict(v) for v in obj]
    if isinstance(obj, dict):
        return {k: to_dict(v) for k, v in obj.items()}
    return obj


def load_yaml(path: str | Path) -> dict:
    p = Path(path)
    if not p.exists():
        raise ConfigError(str(path), "does not exist", what="config file")
    text = p.read_text(encoding="utf-8")
    try:
        _check_unique_keys(yaml.compose(text, Loader=yaml.SafeLoader))
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise ConfigError(
            str(path), f"not valid YAML: {getattr(e, 'problem', None) or e}{where}", what="config file"
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(str(path), "its top level must be a mapping", what="config file")
    return data


def _check_unique_keys(node: yaml.Node | None, prefix: str = "") -> None:
    """YAML lets a later key silently replace an earlier one: a setting written twice is a mistake."""
    if isinstance(node, yaml.MappingNode):
        seen = set()
        for key_node, value in node.value:
            key = f"{prefix}.{key_node.value}" if prefix else str(key_node.value)
            check(key not in seen, key, f"given twice (the second at line {key_node.start_mark.line + 1})")
            seen.add(key)
            _check_unique_keys(value, key)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _check_unique_keys(item, f"{prefix}[{i}]")


def merge(base: dict, override: dict) -> dict:
    out = dict(base)
    for k, v in override.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out
