"""Frozen-dataclass config loading: YAML/dicts in, validated objects out, errors naming the key.

Each config section is a frozen dataclass whose fields carry their types; ``from_dict`` walks the
annotations, so adding a field is the whole work of adding an option. Validation beyond types
lives in the dataclass's ``__post_init__`` and raises ``ConfigError`` with the dotted key.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from pathlib import Path
from typing import Any

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


def _convert(tp: Any, value: Any, key: str) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in (a for a in args if a is not type(None)):
            try:
                return _convert(arg, value, key)
            except ConfigError as e:
                errors.append(str(e))
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
    hints = typing.get_type_hints(cls)
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
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise ConfigError(str(path), f"not valid YAML: {getattr(e, 'problem', None) or e}{where}",
                          what="config file") from None
    if not isinstance(data, dict):
        raise ConfigError(str(path), "its top level must be a mapping", what="config file")
    return data


def merge(base: dict, override: dict) -> dict:
    out = dict(base)
    for k, v in override.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out
