"""Small file-system helpers shared by the backends.

Atomic writes, the home directory, staged files and the index of job directories by job id.
"""

import json
import os
from collections.abc import Iterable
from pathlib import Path

from nr_exec.errors import BackendError
from nr_exec.spec import StagedFile

__all__ = [
    "create_exclusive",
    "index_job_dir",
    "nemorun_home",
    "write_json_atomic",
    "write_staged_files",
    "write_text_atomic",
]


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


def write_staged_files(files: Iterable[StagedFile]) -> None:
    """Write each file (creating its directory), making the executable ones ``0o755``."""
    for item in files:
        path = Path(item.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(item.content, encoding="utf-8")
        if item.executable:
            path.chmod(0o755)


def index_job_dir(root: Path, job_id: str, job_dir: Path) -> None:
    """Make ``root/<job_id>`` lead to ``job_dir``: a symlink, unless it is that directory.

    Indexing the same job directory again does nothing.

    Raises:
        BackendError: ``root`` already indexes another directory under ``job_id``.
    """
    entry = root / job_id
    if entry == job_dir:
        return
    root.mkdir(parents=True, exist_ok=True)
    try:
        entry.symlink_to(job_dir.absolute(), target_is_directory=True)
    except FileExistsError:
        if entry.resolve() != job_dir.resolve():
            raise BackendError(f"job id {job_id!r} is already used in {root}") from None
