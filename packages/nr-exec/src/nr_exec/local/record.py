"""``local.json``: which process runs a local job, written once the job has started.

The record names the job's process-group leader by pid *and* start time, so that any process
can tell whether the job still runs (see :func:`nr_exec.local.proc.is_alive`). It is written
atomically by the launching process right after the start (by the fork server before the
task runs, for a forked job), or, when the launcher died before it could, by the first
:meth:`~nr_exec.local.LocalBackend.find` or ``describe`` that finds the job's live process
(``recovered`` is then true).

The record is atomic (a reader, or a launcher killed half-way, sees no record or a whole
one) but not fsynced: it names a process by its start time since boot, so after a power
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
        The record, or None when the file does not exist (the job was never started).

    Raises:
        BackendError: The file exists but is not a record.
    """
    path = job_dir / STATE_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
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
    """Write a job's ``local.json`` atomically (a temporary file renamed over it)."""
    path = job_dir / STATE_FILE
    temp = path.with_name(f".{STATE_FILE}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    try:
        temp.write_text(json.dumps(asdict(record), sort_keys=True), encoding="utf-8")
        temp.replace(path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
