"""``@file`` values: configuration data read from YAML, JSON or TOML files.

``@path.yaml`` reads a whole file, ``@path.yaml:section`` one top-level section. A document in the
canonical form (with ``_target_`` keys, as written by ``--to-yaml``) is loaded as configurations;
any other document is plain data that the caller applies as overrides.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nr_config import load

from nr_cli.errors import ConfigFileError

__all__ = ["FILE_PREFIX", "is_file_reference", "read_data"]

FILE_PREFIX = "@"
_SUFFIXES = (".yaml", ".yml", ".json", ".toml")


def is_file_reference(text: str) -> bool:
    """Return True when `text` is an ``@file`` reference."""
    return text.startswith(FILE_PREFIX) and len(text) > 1


def read_data(reference: str, *, argument: str = "") -> Any:
    """Read the data an ``@file[:section]`` reference points at.

    Args:
        reference: The reference, with or without the leading ``@``.
        argument: The command-line argument, named in errors.

    Returns:
        A configuration graph (canonical documents) or plain data (dicts, lists, scalars).

    Raises:
        ConfigFileError: Unknown extension, missing file or section, or malformed content.
    """
    spec = reference.removeprefix(FILE_PREFIX)
    path_text, section = (spec.rpartition(":")[::2]) if _has_section(spec) else (spec, "")
    path = Path(path_text)
    if path.suffix.lower() not in _SUFFIXES:
        raise ConfigFileError(
            f"cannot read {spec!r}: unknown file type",
            argument=argument or reference,
            hint="use a .yaml, .yml, .json or .toml file, optionally followed by :section",
        )
    if not path.is_file():
        raise ConfigFileError(f"file not found: {path}", argument=argument or reference)
    try:
        return load(f"{path}:{section}" if section else path)
    except Exception as error:
        raise ConfigFileError(
            f"cannot read {spec}: {error}", argument=argument or reference
        ) from error


def _has_section(spec: str) -> bool:
    head, sep, tail = spec.rpartition(":")
    return bool(sep and tail and Path(head).suffix.lower() in _SUFFIXES)
