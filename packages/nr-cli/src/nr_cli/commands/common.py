"""What the ``experiment`` commands share: loading an experiment, job rows, exit codes."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from nr_exec.states import FailureReason, JobState
from nr_experiment.store import Store

from nr_cli.output import EXIT_FAILED, EXIT_OK

__all__ = [
    "FAILED_STATES",
    "LIVE_STATES",
    "all_ended",
    "experiment_exit_code",
    "format_time",
    "job_ref",
    "job_rows",
    "load_experiment",
]

FAILED_STATES = frozenset({JobState.FAILED, JobState.CANCELLED, JobState.UNKNOWN})
"""Job states that make ``status`` exit with code 1 (UNKNOWN: nobody can say it runs)."""
LIVE_STATES = frozenset({JobState.SUBMITTED, JobState.PENDING, JobState.RUNNING, JobState.UNKNOWN})
"""Job states of a job that may still run on its backend (``rm`` refuses them)."""


def format_time(seconds: float, *, sep: str = " ") -> str:
    """A local time, to the second (``2025-01-31 12:00:00``; ``sep="T"`` for one token)."""
    return datetime.datetime.fromtimestamp(seconds).isoformat(sep=sep, timespec="seconds")


def job_ref(text: str) -> str | int:
    """A job reference from the command line: an index when all digits, else an id or name."""
    return int(text) if text.isdigit() else text


def load_experiment(store: Store, id_or_title: str) -> Any:
    """The `Experiment` an id or title names (importing the experiment layer)."""
    from nr_experiment.experiment import Experiment  # noqa: PLC0415 - heavy; only when needed

    ref = store.find(id_or_title)
    return Experiment.from_id(ref.id)


def _job_row(job_id: str, row: Mapping[str, Any]) -> dict[str, Any]:
    """One job of ``status``, with its state and failure reason as plain strings."""
    reason = row.get("reason")
    return {
        "id": job_id,
        "name": row.get("name"),
        "status": JobState(row["status"]).value,
        "reason": None if reason is None else FailureReason(reason).value,
        "retries": int(row.get("retries") or 0),
        "exit_code": row.get("exit_code"),
        "message": row.get("message"),
        "executor": row.get("executor"),
        "handle": row.get("handle"),
        "local_dir": row.get("local_dir"),
    }


def job_rows(experiment: Any) -> list[dict[str, Any]]:
    """The jobs of `experiment` as ``status`` shows them, states asked of their backends."""
    rows: dict[str, dict[str, Any]] = experiment.status(return_dict=True) or {}
    return [_job_row(job_id, row) for job_id, row in rows.items()]


def all_ended(jobs: Sequence[Mapping[str, Any]]) -> bool:
    """Whether every job is SUCCEEDED, FAILED or CANCELLED."""
    return all(JobState(j["status"]).is_terminal for j in jobs)


def experiment_exit_code(jobs: Sequence[Mapping[str, Any]]) -> int:
    """0 when every job succeeded; a lone job's own exit code (1-255) when it failed; else 1."""
    if all(JobState(j["status"]) is JobState.SUCCEEDED for j in jobs):
        return EXIT_OK
    code = jobs[0]["exit_code"] if len(jobs) == 1 else None
    return int(code) if isinstance(code, int) and 0 < code < 256 else EXIT_FAILED
