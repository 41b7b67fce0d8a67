"""Small file-system helpers shared by the backends: atomic writes and the home directory."""

import json
import os
from pathlib import Path

__all__ = ["create_exclusive", "nemorun_home", "write_json_atomic", "write_text_atomic"]


def nemorun_home() -> Path:
    """Return ``$NEMORUN_HOME`` (default ``~/.run``), read at call time, never cached."""
    return Path(os.environ.get("NEMORUN_HOME") or Path.home() / ".run")


def _tmp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.{id(path):x}.tmp")


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename.

    Readers see either the old content or the new one, never a partial file.
    """
    tmp = _tmp_name(path)
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def write_json_atomic(path: Path, data: object) -> None:
    """Write ``data`` as JSON to ``path`` atomically (see :func:`write_text_atomic`)."""
    write_text_atomic(path, json.dumps(data, sort_keys=True))


def create_exclusive(path: Path, text: str) -> bool:
    """Create ``path`` with ``text`` atomically unless it already exists.

    The content is complete before the file appears (temporary file, then a hard link).

    Returns:
        True if this call created the file, False if it existed already.
    """
    tmp = _tmp_name(path)
    tmp.write_text(text, encoding="utf-8")
    try:
        os.link(tmp, path)
    except FileExistsError:
        return False
    finally:
        tmp.unlink()
    return True
