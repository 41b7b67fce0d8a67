"""Crash-safe file writes, used by the store and the exit markers alike.

A write goes to a temporary file beside the target, is flushed and fsynced, then renamed
over the target (or hard-linked, for an exclusive create), and the directory is fsynced: a
reader, or a process killed half-way, sees the old content or the new one, never a mix, and a
write that returned survives a power loss.
"""

import json
import os
from pathlib import Path
from typing import Any

__all__ = ["create_exclusive", "fsync_dir", "write_json_atomic", "write_text_atomic"]


def fsync_dir(directory: Path) -> None:
    """Flush a directory's entries (a rename, link or mkdir inside it) to disk.

    Args:
        directory: The directory to sync.
    """
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_temp(path: Path, data: bytes) -> Path:
    temp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        temp.unlink(missing_ok=True)
        raise
    os.close(fd)
    return temp


def write_text_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` (UTF-8) atomically and durably.

    Args:
        path: The file to write; its directory must exist.
        text: The new content.
    """
    temp = _write_temp(path, text.encode())
    try:
        temp.replace(path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def write_json_atomic(path: Path, data: Any) -> None:
    """Replace ``path`` with ``data`` as compact, key-sorted JSON, atomically and durably.

    Args:
        path: The file to write; its directory must exist.
        data: A JSON-serialisable value.

    Raises:
        TypeError: ``data`` holds a value JSON cannot represent (nothing is written).
    """
    write_text_atomic(path, json.dumps(data, sort_keys=True))


def create_exclusive(path: Path, text: str) -> bool:
    """Create ``path`` with ``text`` atomically and durably unless it already exists.

    The content is complete before the file appears (temporary file, then a hard link).

    Returns:
        True if this call created the file, False if it existed already.
    """
    temp = _write_temp(path, text.encode())
    try:
        os.link(temp, path)
    except FileExistsError:
        return False
    finally:
        temp.unlink()
    fsync_dir(path.parent)
    return True
