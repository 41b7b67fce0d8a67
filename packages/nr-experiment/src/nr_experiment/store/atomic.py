"""Crash-safe file writes and strict JSON reads.

A write goes to a temporary file in the target's directory, is flushed and fsynced, renamed over
the target with :func:`os.replace` and the directory is fsynced: a reader (or a process killed
half-way) sees the old content or the new content, never a mix. Reads never "repair" anything: a
file that does not parse raises :class:`CorruptMetadataError` naming it.
"""

import json
import os
from pathlib import Path
from typing import Any

from nr_experiment.store.errors import CorruptMetadataError

__all__ = [
    "dumps_json",
    "fsync_dir",
    "read_json",
    "read_json_object",
    "write_json_atomic",
    "write_text_atomic",
]


def fsync_dir(directory: Path) -> None:
    """Flush a directory's entries (a rename or mkdir inside it) to disk.

    Args:
        directory: The directory to sync.
    """
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def dumps_json(data: Any) -> str:
    """Serialise ``data`` the way every store file is written (indented, sorted keys, newline).

    Args:
        data: A JSON-serialisable value.

    Returns:
        The JSON text.

    Raises:
        TypeError: ``data`` holds a value JSON cannot represent.
        ValueError: ``data`` holds a NaN or infinite float.
    """
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


def _write_bytes_atomic(path: Path, data: bytes) -> None:
    temp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        temp.replace(path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def write_text_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` (UTF-8) atomically and durably.

    Args:
        path: The file to write; its directory must exist.
        text: The new content.
    """
    _write_bytes_atomic(path, text.encode())


def write_json_atomic(path: Path, data: Any) -> None:
    """Replace ``path`` with ``data`` as indented JSON, atomically and durably.

    Args:
        path: The file to write; its directory must exist.
        data: A JSON-serialisable value.

    Raises:
        TypeError: ``data`` holds a value JSON cannot represent (nothing is written).
        ValueError: ``data`` holds a NaN or infinite float (nothing is written).
    """
    _write_bytes_atomic(path, dumps_json(data).encode())


def read_json(path: Path) -> Any:
    """Read a JSON file strictly.

    Args:
        path: The file to read.

    Returns:
        The decoded value.

    Raises:
        FileNotFoundError: The file does not exist.
        CorruptMetadataError: The file is empty, not UTF-8 or not valid JSON.
    """
    raw = path.read_bytes()
    if not raw.strip():
        raise CorruptMetadataError(path, "the file is empty (truncated?)")
    try:
        return json.loads(raw.decode())
    except UnicodeDecodeError as error:
        raise CorruptMetadataError(
            path, f"not UTF-8 ({error.reason} at byte {error.start})"
        ) from error
    except json.JSONDecodeError as error:
        raise CorruptMetadataError(
            path, f"invalid JSON ({error.msg} at line {error.lineno} column {error.colno})"
        ) from error


def read_json_object(path: Path) -> dict[str, Any]:
    """Read a JSON file that must hold an object.

    Args:
        path: The file to read.

    Returns:
        The decoded object.

    Raises:
        FileNotFoundError: The file does not exist.
        CorruptMetadataError: The file does not parse, or holds something other than an object.
    """
    data = read_json(path)
    if not isinstance(data, dict):
        raise CorruptMetadataError(path, f"expected a JSON object, found {type(data).__name__}")
    return data
