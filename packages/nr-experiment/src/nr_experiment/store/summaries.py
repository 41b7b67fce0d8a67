"""What the catalog keeps of a ``job.json`` so a status need not read it.

A summary holds the fields a status row shows; it is trusted only while the file it was made
from is still there unchanged, which :func:`file_identity` tells (every store write replaces
the file with a new one, so its inode changes; mtime and size guard a reused inode).
"""

import json
import os
from pathlib import Path
from typing import Any

from nr_experiment.store.records import JobRecord

__all__ = ["dumps_compact", "file_identity", "stat_identity", "status_summary"]


def file_identity(path: Path | str) -> str:
    """Identify one version of a file: ``<inode>:<mtime ns>:<size>``.

    Raises:
        FileNotFoundError: The file does not exist.
    """
    return stat_identity(os.stat(path))  # noqa: PTH116 - called 10,000 times per status


def stat_identity(stat: os.stat_result) -> str:
    """:func:`file_identity` of a file already stat'ed (``os.fstat`` of the file read)."""
    return f"{stat.st_ino}:{stat.st_mtime_ns}:{stat.st_size}"


def status_summary(job: JobRecord) -> dict[str, Any]:
    """The fields of ``job`` a status shows (JSON data).

    ``written_state`` is the caller's own ``state`` key: when it differs from ``state`` (the
    store's keys are newer), the job's message is the one the state implies.
    ``executor_description`` is "" for a job recorded before descriptions were kept (and is
    missing from a summary made by an older version).
    """
    return {
        "name": job.name,
        "state": job.state.value,
        "written_state": job.get("state"),
        "reason": None if job.reason is None else job.reason.value,
        "retries": job.retries,
        "exit_code": job.exit_code,
        "message": job.message,
        "executor_info": job.get("executor_info") or "",
        "executor_description": job.get("executor_description") or "",
        "handles": list(job.handles),
    }


def dumps_compact(data: Any) -> str:
    """Serialise ``data`` as compact JSON (for the catalog, not for files)."""
    return json.dumps(data, separators=(",", ":"), sort_keys=True, allow_nan=False)
