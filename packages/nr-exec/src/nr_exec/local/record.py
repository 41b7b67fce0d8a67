"""``local.json``: which process runs a local job, written once the job has started.

The record names the job's process-group leader by pid *and* start time, so that any process
can tell whether the job still runs (see :func:`nr_exec.local.proc.is_alive`). It is written
by the launching process right after the start (by the fork server before the task runs, for
a forked job), or, when the launcher died before it could, by the first
:meth:`~nr_exec.local.LocalBackend.find` or ``describe`` that finds the job's live process
(``recovered`` is then true).

A new record is created exclusively and written in one ``write`` (no temporary file, no
rename: one inode and three system calls per job); one that exists already is replaced
atomically (a temporary file renamed over it). A reader may thus catch a new record empty,
or (in theory) cut short: :func:`read_record` takes a file that is empty or does not end its
JSON object as not written yet, which is what it is; a writer killed half-way leaves such a
file, and the job is then one that never started (a forked child runs nothing without its
whole record).

The record is not fsynced: it names a process by its start time since boot, so after a power
loss it could only name a process that no longer exists. Syncing it cost two disk syncs per
job for nothing; the job's exit marker, which does outlive a reboot, stays durable.
"""

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from nr_exec.errors import BackendError

__all__ = ["STATE_FILE", "ProcessRecord", "read_record", "write_record"]

#: The record's file, relative to the job directory.
STATE_FILE = "local.json"


@dataclass(frozen=True)
class ProcessRecord:
    """The content of ``local.json``.

    Attributes:
        pid: Pid of the job's process-group leader (the supervisor, or the job's one task).
        start_time: The leader's start time in clock ticks since boot (None when it had
            already ended when recorded).
        host: The host the job runs on.
        job_id: The job's id.
        job_dir: The job directory.
        recovered: Whether the record was rebuilt from the live process (the launcher
            died before writing it).
        forked: Whether the local fork server started the job (:mod:`nr_exec.local.forkserver`;
            it wrote the record before the job's task ran).
    """

    pid: int
    start_time: int | None
    host: str = ""
    job_id: str = ""
    job_dir: str = ""
    recovered: bool = False
    forked: bool = False


def read_record(job_dir: Path) -> ProcessRecord | None:
    """Read a job's ``local.json``.

    Returns:
        The record, or None when the file does not exist (the job was never started) or is
        not written yet (empty, or its JSON object not ended).

    Raises:
        BackendError: The file exists but is not a record.
    """
    path = job_dir / STATE_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    if not text.rstrip().endswith("}"):
        return None  # being written (or its writer was killed before it wrote)
    try:
        data = json.loads(text)
        if not isinstance(data, dict) or not isinstance(data.get("pid"), int):
            raise TypeError("missing integer 'pid'")
        known = {k: v for k, v in data.items() if k in ProcessRecord.__dataclass_fields__}
        known.setdefault("start_time", None)
        return ProcessRecord(**known)
    except (ValueError, TypeError) as exc:
        raise BackendError(f"invalid {STATE_FILE} of the job in {job_dir}: {exc}") from None


def write_record(job_dir: Path, record: ProcessRecord) -> None:
    """Write a job's ``local.json``: created in one write if new, else replaced atomically."""
    path = job_dir / STATE_FILE
    data = json.dumps(asdict(record), sort_keys=True).encode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
    except FileExistsError:
        _replace(path, data)
        return
    try:
        if os.write(fd, data) != len(data):  # a full disk: the part written reads as unwritten
            raise OSError(f"cannot write {path}: short write")
    finally:
        os.close(fd)


def _replace(path: Path, data: bytes) -> None:
    """Replace ``path`` by ``data`` atomically (a temporary file renamed over it)."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    try:
        temp.write_bytes(data)
        temp.replace(path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
