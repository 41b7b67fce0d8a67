"""What the ``experiment`` commands share: loading an experiment, job rows, exit codes."""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping, Sequence
from typing import Any

from nr_exec.describe import describe_record
from nr_exec.states import FailureReason, JobState
from nr_experiment.store import Store, StoreError

from nr_cli.commands.readonly import drop_state_writes
from nr_cli.output import EXIT_FAILED, EXIT_OK

__all__ = [
    "FAILED_STATES",
    "LIVE_STATES",
    "all_ended",
    "described_executors",
    "executor_descriptions",
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


def load_experiment(store: Store, id_or_title: str, *, reading: bool = False) -> Any:
    """The `Experiment` an id or title names (importing the experiment layer).

    Args:
        store: The store to look the experiment up in.
        id_or_title: An experiment id, or a title (its newest experiment).
        reading: For a read command: on a read-only ``NEMORUN_HOME`` the states it learns
            from the backends are shown, not recorded (see `nr_cli.commands.readonly`).
    """
    from nr_experiment.experiment import Experiment  # noqa: PLC0415 - heavy; only when needed

    ref = store.find(id_or_title)
    experiment = Experiment.from_id(ref.id)
    if reading:
        drop_state_writes(experiment)
    return experiment


#: Up to this many jobs recorded without a description (by an older version) have their
#: ``job.json`` read by ``status`` to describe their executor; beyond, they keep the one-line
#: ``info()`` recorded at add time (reading 10,000 files would cost a status of a large sweep
#: several times its budget).
DESCRIBED_UP_TO = 1000


def executor_descriptions(
    store: Store, experiment_id: str, job_ids: Sequence[str]
) -> dict[str, str]:
    """Each job's executor as its non-default fields, as recorded when the job was added.

    ``LocalExecutor(ntasks_per_node=2)``; several executors (a job group) are joined with
    ``", "``. The descriptions come from the catalog's status summaries (one query; a job's
    description is made when it is added and never changes, so any summary of the job has
    it). A job without one there (an older version added it, or the catalog is unusable) is
    described from the executor its ``job.json`` records, when at most
    :data:`DESCRIBED_UP_TO` jobs need that (else they keep the add-time ``info()``). A job
    whose record holds no executor is left out.

    Args:
        store: The store holding the experiment.
        experiment_id: The experiment's id.
        job_ids: Its jobs' ids (as ``status`` lists them).
    """
    recorded = _recorded_descriptions(store, experiment_id)
    described = {job_id: recorded[job_id] for job_id in job_ids if recorded.get(job_id)}
    missing = [job_id for job_id in job_ids if job_id not in described]
    if len(missing) > DESCRIBED_UP_TO:
        return described
    for job_id in missing:
        text = _describe_job(store, experiment_id, job_id)
        if text:
            described[job_id] = text
    return described


def _recorded_descriptions(store: Store, experiment_id: str) -> dict[str, str]:
    """The executor description of each job the catalog summarises (none if unusable)."""
    rows = [row for row in store.catalog.job_summaries(experiment_id) or [] if row.summary]
    try:
        summaries = json.loads(f"[{','.join(row.summary or '' for row in rows)}]")  # one decode
    except json.JSONDecodeError:
        return {}  # a damaged row: describe from the files
    found = {}
    for row, summary in zip(rows, summaries, strict=True):
        text = summary.get("executor_description") if isinstance(summary, dict) else None
        if isinstance(text, str):
            found[row.job_id] = text
    return found


def _describe_job(store: Store, experiment_id: str, job_id: str) -> str | None:
    try:
        job = store.load_job(experiment_id, job_id)
    except StoreError:
        return None  # incomplete or missing: status reports it elsewhere
    text = job.get("executor_description")
    if isinstance(text, str) and text:
        return text
    records = job.get("executors") or []
    return ", ".join(describe_record(record) for record in records) or None


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


def job_rows(experiment: Any, executors: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """The jobs of `experiment` as ``status`` shows them, states asked of their backends.

    Args:
        experiment: The `Experiment`.
        executors: Executor descriptions by job id (`described_executors` of earlier rows),
            shown instead of the one-line description recorded when the job was added.
    """
    rows: dict[str, dict[str, Any]] = experiment.status(return_dict=True) or {}
    shown = executors or {}
    return [
        {**_job_row(job_id, row), "executor": shown.get(job_id, row.get("executor"))}
        for job_id, row in rows.items()
    ]


def described_executors(experiment: Any, jobs: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """`jobs` (`job_rows` of `experiment`) with each executor described by `executor_descriptions`.

    A job without a description keeps the executor its row shows.
    """
    ids = [str(job["id"]) for job in jobs]
    described = executor_descriptions(experiment.store, experiment.id, ids)
    return [{**job, "executor": described.get(str(job["id"]), job["executor"])} for job in jobs]


def all_ended(jobs: Sequence[Mapping[str, Any]]) -> bool:
    """Whether every job is SUCCEEDED, FAILED or CANCELLED."""
    return all(JobState(j["status"]).is_terminal for j in jobs)


def experiment_exit_code(jobs: Sequence[Mapping[str, Any]]) -> int:
    """0 when every job succeeded; a lone job's own exit code (1-255) when it failed; else 1."""
    if all(JobState(j["status"]) is JobState.SUCCEEDED for j in jobs):
        return EXIT_OK
    code = jobs[0]["exit_code"] if len(jobs) == 1 else None
    return int(code) if isinstance(code, int) and 0 < code < 256 else EXIT_FAILED
