"""Text forms of the canonical form (JSON, YAML, TOML) and files whose extension picks one.

JSON and YAML hold the canonical form as is. TOML has no null, holds only 64-bit integers and
needs a table at the top, so None is written as ``{"_type_": "none"}``, larger integers as
``{"_type_": "int", "value": "<digits>"}`` and a value that is not a table is boxed as
``{"_type_": "box", "value": ...}``; nothing is dropped. ``dump``/``load`` accept ``file:section``
to write or read one top-level section of a document. Every writer takes ``dotted_targets=True``
to write references as ``module.qualname`` (NeMo-Run's and Hydra's form) instead of
``module:qualname``; readers accept both.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from nr_config.errors import ConfigError
from nr_config.serialization.canonical import from_dict, to_dict
from nr_config.serialization.refs import MainModule

__all__ = [
    "dump",
    "dumps_json",
    "dumps_toml",
    "dumps_yaml",
    "load",
    "loads_json",
    "loads_toml",
    "loads_yaml",
]

_FORMATS = {".json": "json", ".yaml": "yaml", ".yml": "yaml", ".toml": "toml"}


def dumps_json(value: Any, *, indent: int | None = 2, dotted_targets: bool = False) -> str:
    """Serialize `value` to canonical JSON.

    Args:
        value: A configuration graph or any representable value.
        indent: Indentation; None writes one compact line.
        dotted_targets: Write references as ``module.qualname`` (see `to_dict`).

    Returns:
        The JSON text.

    Raises:
        SerializationError: Something cannot be represented; the error names its path.
    """
    separators = (",", ":") if indent is None else None
    data = to_dict(value, dotted_targets=dotted_targets)
    return json.dumps(data, indent=indent, separators=separators, allow_nan=False)


def loads_json(text: str | bytes, *, main_module: MainModule = None) -> Any:
    """Load a configuration graph from canonical JSON (see `from_dict` for `main_module`)."""
    return from_dict(json.loads(text), main_module=main_module)


def dumps_yaml(value: Any, *, dotted_targets: bool = False) -> str:
    """Serialize `value` to YAML (the canonical form, keys in graph order).

    ``dotted_targets=True`` writes references as ``module.qualname`` (see `to_dict`).
    """
    return _yaml_text(to_dict(value, dotted_targets=dotted_targets))


def loads_yaml(text: str, *, main_module: MainModule = None) -> Any:
    """Load a configuration graph from YAML (safe loading: plain data only)."""
    return from_dict(_yaml_data(text), main_module=main_module)


def dumps_toml(value: Any, *, dotted_targets: bool = False) -> str:
    """Serialize `value` to TOML; None and non-table roots are tagged, never dropped.

    ``dotted_targets=True`` writes references as ``module.qualname`` (see `to_dict`).
    """
    return _toml_text(_toml_safe(to_dict(value, dotted_targets=dotted_targets)))


def loads_toml(text: str, *, main_module: MainModule = None) -> Any:
    """Load a configuration graph from TOML."""
    return from_dict(_toml_data(text), main_module=main_module)


def _yaml_text(data: Any) -> str:
    import yaml  # noqa: PLC0415 - imported only when YAML is used

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return str(yaml.dump(data, Dumper=dumper, sort_keys=False, allow_unicode=True))


def _yaml_data(text: str) -> Any:
    import yaml  # noqa: PLC0415 - imported only when YAML is used

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader


_INT64 = range(-(2**63), 2**63)


def _toml_safe(data: Any) -> Any:
    if data is None:
        return {"_type_": "none"}
    if type(data) is int and data not in _INT64:
        return {"_type_": "int", "value": str(data)}
    if isinstance(data, list):
        return [_toml_safe(item) for item in data]
    if isinstance(data, dict):
        return {key: _toml_safe(item) for key, item in data.items()}
    return data


def _toml_text(data: Any) -> str:
    import tomli_w  # noqa: PLC0415 - imported only when TOML is used

    if not isinstance(data, dict):
        data = {"_type_": "box", "value": data}
    return tomli_w.dumps(data)


def _toml_data(text: str) -> Any:
    if sys.version_info >= (3, 11):
        import tomllib  # noqa: PLC0415 - imported only when TOML is used
    else:
        import tomli as tomllib  # noqa: PLC0415 - imported only when TOML is used
    return tomllib.loads(text)


def _split(target: str | os.PathLike[str]) -> tuple[Path, str | None, str]:
    text = os.fspath(target)
    section: str | None = None
    head, sep, tail = text.rpartition(":")
    if sep and Path(head).suffix.lower() in _FORMATS and tail:
        text, section = head, tail
    path = Path(text)
    kind = _FORMATS.get(path.suffix.lower())
    if kind is None:
        raise ConfigError(f"{path}: unknown format; use one of {', '.join(sorted(_FORMATS))}")
    return path, section, kind


def _parse(text: str, kind: str) -> Any:
    if kind == "json":
        return json.loads(text)
    if kind == "yaml":
        return _yaml_data(text)
    return _toml_data(text)


def _render(data: Any, kind: str) -> str:
    if kind == "json":
        return json.dumps(data, indent=2, allow_nan=False) + "\n"
    if kind == "yaml":
        return _yaml_text(data)
    return _toml_text(_toml_safe(data))


def dump(value: Any, target: str | os.PathLike[str], *, dotted_targets: bool = False) -> Path:
    """Write `value` to a file whose extension picks the format (.json, .yaml, .yml, .toml).

    With ``file.ext:section``, the value is written under the top-level key `section`; other
    sections of an existing file are kept.

    Args:
        value: A configuration graph or any representable value.
        target: The file, optionally followed by ``:section``.
        dotted_targets: Write references as ``module.qualname`` (see `to_dict`).

    Returns:
        The path of the written file.

    Raises:
        ConfigError: Unknown extension, or an existing file whose top level is not a table.
        SerializationError: Something cannot be represented.
    """
    path, section, kind = _split(target)
    data = to_dict(value, dotted_targets=dotted_targets)
    if section is not None:
        document: Any = _parse(path.read_text(encoding="utf-8"), kind) if path.exists() else {}
        if not isinstance(document, dict):
            raise ConfigError(f"{path}: cannot add section {section!r} to a non-table document")
        document[section] = data
        data = document
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_render(data, kind), encoding="utf-8")
    return path


def load(source: str | os.PathLike[str], *, main_module: MainModule = None) -> Any:
    """Load a configuration graph from a file (format by extension; ``file.ext:section`` allowed).

    Args:
        source: The file, optionally followed by ``:section``.
        main_module: What ``__main__:...`` references resolve against (see `from_dict`).

    Returns:
        The configuration graph.

    Raises:
        ConfigError: Unknown extension or missing section.
        DeserializationError: Malformed data, or a name that cannot be imported.
    """
    path, section, kind = _split(source)
    data = _parse(path.read_text(encoding="utf-8"), kind)
    if section is not None:
        if not isinstance(data, dict) or section not in data:
            raise ConfigError(f"{path}: no section {section!r}")
        data = data[section]
    return from_dict(data, main_module=main_module)
