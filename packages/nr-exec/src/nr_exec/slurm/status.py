"""Status of many Slurm jobs from one remote command: ``sacct``, ``squeue``, exit markers.

One shell command asks ``sacct`` about every job (``-D`` lists each requeued attempt, which
gives the restart count) and ``squeue`` (for jobs the accounting database has not recorded yet,
or all jobs when accounting is disabled), prints the exit markers of all the jobs and which
of them the remote job index lists. :func:`parse_status` combines them: the scheduler says
whether a job is pending, running or how it ended (with the failure reason), the marker gives
the exit code, a job only the index knows is ``UNKNOWN``, and a job nothing knows is None.
"""

import json
import re
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from nr_exec.marker import ExitMarker
from nr_exec.states import FailureReason, JobState, JobStatus

__all__ = [
    "SACCT_FIELDS",
    "SchedulerRow",
    "combine",
    "marker_path",
    "parse_rows",
    "parse_status",
    "status_command",
    "to_status",
]

#: Fields asked from ``sacct``.
SACCT_FIELDS = "JobID,State,ExitCode,Reason"
#: Directory of the remote root holding one link per submitted Slurm job id.
INDEX_DIR = ".jobs"

_STATES: dict[str, tuple[JobState, FailureReason | None]] = {
    "PENDING": (JobState.PENDING, None),
    "REQUEUED": (JobState.PENDING, None),
    "REQUEUE_HOLD": (JobState.PENDING, None),
    "REQUEUE_FED": (JobState.PENDING, None),
    "RESV_DEL_HOLD": (JobState.PENDING, None),
    "CONFIGURING": (JobState.RUNNING, None),
    "RUNNING": (JobState.RUNNING, None),
    "COMPLETING": (JobState.RUNNING, None),
    "RESIZING": (JobState.RUNNING, None),
    "SIGNALING": (JobState.RUNNING, None),
    "STAGE_OUT": (JobState.RUNNING, None),
    "STOPPED": (JobState.RUNNING, None),
    "SUSPENDED": (JobState.RUNNING, None),
    "COMPLETED": (JobState.SUCCEEDED, None),
    "FAILED": (JobState.FAILED, FailureReason.USER_ERROR),
    "TIMEOUT": (JobState.FAILED, FailureReason.TIMEOUT),
    "DEADLINE": (JobState.FAILED, FailureReason.TIMEOUT),
    "PREEMPTED": (JobState.FAILED, FailureReason.PREEMPTED),
    "NODE_FAIL": (JobState.FAILED, FailureReason.NODE_FAIL),
    "BOOT_FAIL": (JobState.FAILED, FailureReason.NODE_FAIL),
    "OUT_OF_MEMORY": (JobState.FAILED, FailureReason.OOM),
    "CANCELLED": (JobState.CANCELLED, None),
    "REVOKED": (JobState.CANCELLED, None),
}
_SQUEUE_SHORT = {
    "PD": "PENDING",
    "R": "RUNNING",
    "CG": "COMPLETING",
    "CD": "COMPLETED",
    "F": "FAILED",
    "CA": "CANCELLED",
    "TO": "TIMEOUT",
    "PR": "PREEMPTED",
    "NF": "NODE_FAIL",
    "OOM": "OUT_OF_MEMORY",
    "BF": "BOOT_FAIL",
    "DL": "DEADLINE",
    "S": "SUSPENDED",
}
_PENDING_RANGE = re.compile(r"(?P<job>\d+)_\[(?P<ranges>[^\]]*)\]")
_SECTION = re.compile(r"^@@(sacct|squeue|markers|index)(?: (\d+))?$")


@dataclass(frozen=True)
class SchedulerRow:
    """One line of ``sacct``/``squeue`` output.

    Attributes:
        job_id: ``123``, ``123_4`` (array element), ``123+1`` (het component) or
            ``123_[5-9%2]`` (pending array elements).
        state: State name (``CANCELLED by 0`` is reduced to ``CANCELLED``).
        exit_code: ``ExitCode`` text (``"3:0"``), empty from ``squeue``.
        reason: ``Reason`` text.
    """

    job_id: str
    state: str
    exit_code: str = ""
    reason: str = ""


def marker_path(job_id: str) -> str:
    """Exit marker of a job relative to the remote root, through the job index."""
    base, _, index = job_id.partition("_")
    if index:
        return f"{INDEX_DIR}/{base}/elements/{index}/exit.json"
    return f"{INDEX_DIR}/{base}/exit.json"


def status_command(job_ids: Sequence[str], root: str) -> str:
    """The one remote command printing sacct (or squeue) rows, exit markers and index entries.

    Args:
        job_ids: Slurm job ids (``123``, or ``123_4`` for an array element).
        root: The remote root (holding the job index).
    """
    bases = sorted({j.partition("_")[0] for j in job_ids}, key=int)
    markers = " ".join(shlex.quote(marker_path(j)) for j in job_ids)
    return (
        f"nr_out=$(sacct -P -n -X -D -o {SACCT_FIELDS} -j {','.join(bases)} 2>&1); nr_rc=$?\n"
        'echo "@@sacct $nr_rc"; printf "%s\\n" "$nr_out"\n'
        'echo "@@squeue"\n'
        f"squeue -h -r -t all -o '%i|%T|%r' -j {','.join(bases)} 2>/dev/null\n"
        'echo "@@markers"\n'
        f"cd {shlex.quote(root)} 2>/dev/null || exit 0\n"
        f"grep -s -H '' {markers}\n"
        'echo "@@index"\n'
        f'for nr_id in {" ".join(bases)}; do [ -L "{INDEX_DIR}/$nr_id" ] && echo "$nr_id"; done\n'
        "true"
    )


def parse_rows(text: str) -> list[SchedulerRow]:
    """Parse ``JobID|State|ExitCode|Reason`` (sacct) or ``JobID|State|Reason`` (squeue)."""
    rows = []
    for line in text.splitlines():
        parts = line.strip().split("|")
        if len(parts) == 4:
            job_id, state, exit_code, reason = parts
        elif len(parts) == 3:
            (job_id, state, reason), exit_code = parts, ""
        else:
            continue
        state = state.split(" ", 1)[0]
        rows.append(SchedulerRow(job_id, _SQUEUE_SHORT.get(state, state), exit_code, reason))
    return rows


def _exit_code(text: str) -> int | None:
    code, _, signal = text.partition(":")
    if not code.isdigit():
        return None
    return 128 + int(signal) if signal.isdigit() and int(signal) else int(code)


def to_status(row: SchedulerRow, retries: int = 0) -> JobStatus:
    """Translate one scheduler row into a :class:`~nr_exec.JobStatus`."""
    state, reason = _STATES.get(row.state, (JobState.UNKNOWN, None))
    exit_code = _exit_code(row.exit_code) if state.is_terminal else None
    detail = row.reason if row.reason not in ("", "None") else ""
    message = f"{row.state}: {detail}" if detail else row.state
    return JobStatus(state, reason=reason, exit_code=exit_code, message=message, retries=retries)


def combine(statuses: Sequence[JobStatus]) -> JobStatus:
    """One status for several components (het job, whole array).

    The least advanced live state, else the first failure, else cancelled, else success.
    """
    live = [s for s in statuses if not s.is_terminal]
    if live:
        running = [s for s in live if s.state is JobState.RUNNING]
        return (running or live)[0]
    for state in (JobState.FAILED, JobState.CANCELLED):
        for status in statuses:
            if status.state is state:
                return status
    return statuses[0]


def _expand(ranges: str) -> set[str]:
    indices: set[str] = set()
    for part in ranges.split("%", 1)[0].split(","):
        low, _, high = part.partition("-")
        if low.isdigit():
            indices.update(str(i) for i in range(int(low), int(high or low) + 1))
    return indices


def _index(rows: Iterable[SchedulerRow]) -> dict[str, list[SchedulerRow]]:
    """Rows by job id; each pending array range is listed under every element it covers."""
    found: dict[str, list[SchedulerRow]] = {}
    for row in rows:
        match = _PENDING_RANGE.fullmatch(row.job_id)
        keys = [f"{match['job']}_{i}" for i in _expand(match["ranges"])] if match else []
        for key in keys or [row.job_id]:
            found.setdefault(key, []).append(row)
    return found


def _scheduler_status(job_id: str, rows: dict[str, list[SchedulerRow]]) -> JobStatus | None:
    own = rows.get(job_id)
    if own:
        return to_status(own[-1], retries=len(own) - 1)
    parts = [
        to_status(found[-1], retries=len(found) - 1)
        for key, found in rows.items()
        if key.startswith((f"{job_id}+", f"{job_id}_"))
    ]
    return combine(parts) if parts else None


def _markers(text: str) -> dict[str, ExitMarker]:
    markers = {}
    for line in text.splitlines():
        path, _, content = line.partition(":")
        try:
            data = json.loads(content)
            fields = {k: v for k, v in data.items() if k in ExitMarker.__dataclass_fields__}
            markers[path] = ExitMarker(**fields)
        except (ValueError, TypeError):
            continue
    return markers


def _sections(output: str) -> dict[str, str]:
    sections: dict[str, list[str]] = {}
    current = ""
    for line in output.splitlines():
        match = _SECTION.match(line)
        if match:
            current = match[1]
            sections[current] = []
            if match[2] is not None:
                sections[f"{current}_rc"] = [match[2]]
        elif current:
            sections[current].append(line)
    return {k: "\n".join(v) for k, v in sections.items()}


def parse_status(output: str, job_ids: Sequence[str]) -> dict[str, JobStatus | None]:
    """Status of each job id from the output of :func:`status_command`.

    A job the scheduler does not know, with no exit marker, is ``UNKNOWN`` when the job
    index lists it (it was submitted here; its record has expired) and None otherwise.
    """
    sections = _sections(output)
    accounting = sections.get("sacct_rc") == "0"
    accounted = _index(parse_rows(sections.get("sacct", ""))) if accounting else {}
    queued = _index(parse_rows(sections.get("squeue", "")))
    markers = _markers(sections.get("markers", ""))
    indexed = set(sections.get("index", "").split())
    result: dict[str, JobStatus | None] = {}
    for job_id in job_ids:
        scheduler = _current(
            _scheduler_status(job_id, queued), _scheduler_status(job_id, accounted)
        )
        marker = markers.get(marker_path(job_id))
        if scheduler is not None:
            result[job_id] = _merge(scheduler, marker)
        elif marker is not None:
            result[job_id] = marker.to_status()
        elif job_id.partition("_")[0] in indexed:
            source = "sacct" if accounting else "squeue (accounting is disabled)"
            message = f"unknown to {source} and no exit marker"
            result[job_id] = JobStatus(JobState.UNKNOWN, message=message)
        else:
            result[job_id] = None
    return result


def _current(queued: JobStatus | None, accounted: JobStatus | None) -> JobStatus | None:
    """The controller's state when ``squeue`` still lists the job, else the accounting's.

    ``sacct`` is fed by the controller and can lag behind it (a job already completed for
    ``squeue`` may still be PENDING or RUNNING in the database for a moment). Where both say
    the same state, the accounting row is kept: it has the exit code and the restart count.
    """
    if queued is None or accounted is None:
        return queued or accounted
    if queued.state is accounted.state:
        return accounted
    return replace(queued, retries=max(queued.retries, accounted.retries))


def _merge(scheduler: JobStatus, marker: ExitMarker | None) -> JobStatus:
    if marker is None:
        return scheduler
    if not scheduler.is_terminal:
        # The marker is written once, by the final attempt: one at least as late as the
        # attempt the scheduler describes means the job has ended (the batch script is
        # exiting, or the accounting has not caught up). An earlier one predates a requeue.
        return marker.to_status() if marker.retries >= scheduler.retries else scheduler
    return JobStatus(
        scheduler.state,
        reason=scheduler.reason,
        exit_code=marker.exit_code,
        message=scheduler.message,
        retries=max(scheduler.retries, marker.retries),
    )
