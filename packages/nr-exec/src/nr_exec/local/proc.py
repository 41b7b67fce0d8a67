"""Processes of this machine: liveness by pid *and* start time, and jobs found by environment.

A job's process is identified by its pid and its start time (``/proc/<pid>/stat``), so a
reused pid is not mistaken for the job. Every process the local backend starts carries
``NR_EXEC_JOB_ID`` and ``NR_EXEC_JOB_DIR`` in its environment and leads its own process
group, so a job whose launcher died before recording it can still be found.
"""

import os
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from nr_exec.constants import EnvVar

__all__ = ["JobProcess", "find_job_processes", "is_alive", "is_waiting_supervisor", "start_time"]

_PROC = Path("/proc")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = (_PROC / str(pid) / "stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    # The command name (field 2) may contain spaces and parentheses; fields after it are plain.
    return text.rpartition(")")[2].split()


def start_time(pid: int) -> int | None:
    """Return the start time of ``pid`` in clock ticks since boot, or None if it is gone.

    Falls back to 0 for a live process where ``/proc`` is unavailable (no pid-reuse check).
    """
    fields = _stat_fields(pid)
    if fields is not None:
        return None if fields[0] in {"Z", "X"} else int(fields[19])
    if (_PROC / "self" / "stat").exists():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return 0
    return 0


def is_alive(pid: int, started: int) -> bool:
    """Whether the process ``pid`` that started at ``started`` still runs (zombies do not)."""
    now = start_time(pid)
    return now is not None and now == started


@dataclass(frozen=True)
class JobProcess:
    """The live process-group leader of a local job.

    Attributes:
        job_id: The job's id (its ``NR_EXEC_JOB_ID``).
        job_dir: The job's directory (its ``NR_EXEC_JOB_DIR``).
        pid: The leader's pid (also the group's id).
        start_time: The leader's start time (see :func:`start_time`).
    """

    job_id: str
    job_dir: str
    pid: int
    start_time: int


def _environment(pid: int) -> dict[str, str]:
    try:
        raw = (_PROC / str(pid) / "environ").read_bytes()
    except OSError:
        return {}
    pairs = (item.partition(b"=") for item in raw.split(b"\0") if item)
    return {k.decode(errors="replace"): v.decode(errors="replace") for k, _, v in pairs}


def find_job_processes(job_ids: Collection[str]) -> dict[str, JobProcess]:
    """Find the live process-group leaders of these jobs among this user's processes.

    One pass over ``/proc``: a process counts when it leads its session (the local backend
    starts every job in a new session) and its environment names one of the jobs; of several
    (a job that started sessions of its own), the earliest started is the job's. Nothing is
    found where ``/proc`` is unavailable.

    Args:
        job_ids: The ids to look for.

    Returns:
        The leader of each job found, by job id.
    """
    wanted = set(job_ids)
    found: dict[str, JobProcess] = {}
    if not wanted:
        return found
    uid = os.getuid()
    try:
        entries = list(_PROC.iterdir())
    except OSError:
        return found
    for entry in entries:
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        try:
            if entry.stat().st_uid != uid:
                continue
        except OSError:
            continue
        fields = _stat_fields(pid)
        if fields is None or fields[0] in {"Z", "X"} or int(fields[3]) != pid:
            continue  # gone, a zombie, or not a session leader
        env = _environment(pid)
        job_id = env.get(EnvVar.JOB_ID.value)
        if job_id is None or job_id not in wanted:
            continue
        started = int(fields[19])
        if job_id not in found or started < found[job_id].start_time:
            found[job_id] = JobProcess(job_id, env.get(EnvVar.JOB_DIR.value, ""), pid, started)
    return found


def is_waiting_supervisor(pid: int) -> bool:
    """Whether ``pid`` is a local job supervisor that has not started its job yet.

    Such a supervisor is still reading its launch plan; if its launcher died while sending it,
    the plan is incomplete and the supervisor will end without running anything. Unknown
    (no ``/proc/<pid>/task/<pid>/children``): False.
    """
    try:
        command = (_PROC / str(pid) / "cmdline").read_bytes()
        children = (_PROC / str(pid) / "task" / str(pid) / "children").read_text()
    except OSError:
        return False
    return b"nr_exec.local.supervisor" in command and not children.strip()
