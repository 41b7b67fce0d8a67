"""From engine states and exit markers to job statuses (pure functions, no engine calls).

A task that still has a container is as the engine says (created: pending; running,
restarting, paused: running). An ended task is as its exit marker says: the one the runner or
wrapper wrote, else the one the backend wrote from the container's exit code. A task whose
container is gone without a marker is ``UNKNOWN``, never ``SUCCEEDED``. A job (one or more
tasks) is ``FAILED`` as soon as one task failed, and ``SUCCEEDED`` only when all succeeded.
"""

from collections.abc import Sequence

from nr_exec.marker import ExitMarker
from nr_exec.states import FailureReason, JobState, JobStatus

__all__ = ["OOM_ERROR", "combine", "engine_state", "job_marker", "task_status"]

#: The ``error`` of a marker the backend writes for a container the OOM killer ended.
OOM_ERROR = "killed by the kernel's OOM killer"

_PENDING = frozenset({"created", "configured", "initialized"})
_RUNNING = frozenset({"running", "restarting", "paused", "removing", "stopping"})


def engine_state(state: str) -> JobState | None:
    """The state of a task whose container is in engine state ``state``; None once it ended."""
    if state in _PENDING:
        return JobState.PENDING
    if state in _RUNNING:
        return JobState.RUNNING
    return None


def task_status(marker: ExitMarker | None) -> JobStatus:
    """The status of an ended task from its exit marker (``UNKNOWN`` without one)."""
    if marker is None:
        return JobStatus(
            JobState.UNKNOWN, message="the container is gone and the task left no exit marker"
        )
    status = marker.to_status()
    if marker.error == OOM_ERROR and status.state is JobState.FAILED:
        return JobStatus(
            JobState.FAILED,
            reason=FailureReason.OOM,
            exit_code=status.exit_code,
            message=status.message,
            retries=status.retries,
        )
    return status


def combine(statuses: Sequence[JobStatus]) -> JobStatus:
    """The status of a job from those of its tasks (in task order).

    ``FAILED`` if any task failed (the first one's code and reason), else ``CANCELLED`` if any
    was cancelled, else ``RUNNING``/``PENDING`` while any runs or waits, else ``UNKNOWN`` if any
    is unknown, else ``SUCCEEDED``.
    """
    retries = max((s.retries for s in statuses), default=0)
    several = len(statuses) > 1
    for index, status in enumerate(statuses):
        if status.state is JobState.FAILED:
            prefix = f"task {index}: " if several else ""
            return JobStatus(
                JobState.FAILED,
                reason=status.reason,
                exit_code=status.exit_code,
                message=prefix + (status.message or f"exit code {status.exit_code}"),
                retries=retries,
            )
    states = {s.state for s in statuses}
    for state in (JobState.CANCELLED, JobState.RUNNING, JobState.PENDING):
        if state in states:
            return JobStatus(state, retries=retries)
    for index, status in enumerate(statuses):
        if status.state is JobState.UNKNOWN:
            prefix = f"task {index}: " if several else ""
            return JobStatus(JobState.UNKNOWN, message=prefix + status.message, retries=retries)
    return JobStatus(JobState.SUCCEEDED, exit_code=0, retries=retries)


def job_marker(status: JobStatus, task_markers: Sequence[ExitMarker | None]) -> ExitMarker:
    """The job's ``exit.json`` for a terminal combined ``status``."""
    starts = [m.started for m in task_markers if m is not None and m.started]
    error = status.message if status.state is JobState.FAILED else None
    if status.reason is FailureReason.OOM:
        error = OOM_ERROR
    return ExitMarker.now(
        status.exit_code or 0,
        started=min(starts) if starts else None,
        writer="launcher",
        error=error,
        cancelled=status.state is JobState.CANCELLED,
        retries=status.retries,
    )
