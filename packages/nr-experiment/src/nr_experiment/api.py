"""``run()``: launch one task as a one-job experiment and return its result."""

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nr_config
from nr_config import Partial, Script, SerializationError
from nr_exec import Executor, FailureReason, JobState

from nr_experiment.errors import JobFailedError
from nr_experiment.experiment import Experiment, LazyTask, resolve_lazy_task
from nr_experiment.naming import default_job_name
from nr_experiment.plugin import Plugin
from nr_experiment.preview import task_table
from nr_experiment.store import RebuildReport, Store

__all__ = ["JobResult", "RunResult", "rebuild_catalog", "run"]


@dataclass(frozen=True)
class JobResult:
    """How one job ended (or where it stands, for a detached run).

    Attributes:
        name: The job's name.
        id: The job's id.
        state: Its state (``SUCCEEDED``, ``FAILED``, ...).
        exit_code: Its exit code, when known.
        handle: Its backend handle ("" for a direct run).
        reason: Why it failed, when the backend knows (``TIMEOUT``, ``OOM``, ...).
        retries: How many times the backend restarted it.
    """

    name: str
    id: str
    state: JobState
    exit_code: int | None
    handle: str
    reason: FailureReason | None = None
    retries: int = 0


@dataclass(frozen=True)
class RunResult:
    """What :func:`run` returns.

    Attributes:
        experiment_id: The experiment's id (``Experiment.from_id`` takes it).
        path: The experiment's directory.
        jobs: One entry per job.
        exit_code: 0 when every job succeeded; else the first failed job's exit code (1 when
            unknown); None while jobs still run (detached).
        dryrun: Whether nothing was launched.
    """

    experiment_id: str
    path: Path
    jobs: list[JobResult] = field(default_factory=list)
    exit_code: int | None = None
    dryrun: bool = False

    @property
    def job_states(self) -> dict[str, JobState]:
        """``{job name: state}``."""
        return {job.name: job.state for job in self.jobs}

    @property
    def ok(self) -> bool:
        """Whether every job succeeded (a dry run is ok)."""
        return self.dryrun or all(job.state is JobState.SUCCEEDED for job in self.jobs)


def _exit_code(jobs: Sequence[JobResult]) -> int | None:
    for job in jobs:
        if job.state in (JobState.FAILED, JobState.CANCELLED, JobState.UNKNOWN):
            return job.exit_code or 1
    if all(job.state is JobState.SUCCEEDED for job in jobs):
        return 0
    return None


def run(  # noqa: PLR0917 - NeMo-Run's signature
    task: Partial[Any] | Script | LazyTask,
    executor: Executor | None = None,
    name: str = "",
    plugins: Plugin | Sequence[Plugin] | None = None,
    dryrun: bool = False,
    direct: bool = False,
    detach: bool = False,
    tail_logs: bool = True,
    raise_on_failure: bool = True,
    *,
    title: str = "",
) -> RunResult:
    """Run one task as a one-job experiment and return its result.

    Without an executor (or with ``direct=True``) the task runs in this process. Otherwise
    the call waits for the job, printing its output, unless ``detach`` (then the result
    holds the current states).
    An in-process ``Partial`` that cannot be saved (a lambda, a local function, an open
    file argument) is built and called without recording an experiment (the result's
    ``experiment_id`` is ""; give it a module-level function to have it recorded).

    Args:
        task: A ``Partial`` or a ``Script``; a `~nr_experiment.experiment.LazyTask`
            (``run.LazyEntrypoint``) is resolved first, before anything launches.
        executor: Where it runs; None runs it directly in this process.
        name: Job name (default: ``<module>.<qualname>`` of the task's target, or the
            script's name).
        plugins: Plugins to apply.
        dryrun: Print the resolved task as a table (see :func:`~nr_experiment.dryrun_fn`)
            and the artifacts, instead of launching.
        direct: Run in this process.
        detach: Do not wait for the job.
        tail_logs: Print the job's output while waiting (NeMo-Run's default).
        raise_on_failure: Raise :class:`~nr_experiment.errors.JobFailedError` when the job
            does not succeed.
        title: Experiment title (default: the job name).

    Returns:
        The experiment id, the job's state and the exit code.

    Raises:
        TypeError: ``task`` is not a ``Partial`` or a ``Script``.
        JobFailedError: The job failed or was cancelled (unless ``raise_on_failure=False``).
    """
    task = resolve_lazy_task(task)
    if not isinstance(task, (Partial, Script)):
        raise TypeError(
            f"run() takes a run.Partial or run.Script, not {type(task).__name__}: wrap a "
            "function as run.Partial(fn, ...) (a run.Config builds a value, not a task)"
        )
    job_name = name or default_job_name(task)
    in_process = direct or executor is None
    if dryrun:
        sys.stdout.write(task_table(task, None if in_process else executor))
    if in_process and not dryrun and not plugins and not _savable(task):
        return _call_unsaved(task, job_name, raise_on_failure=raise_on_failure)
    with Experiment(title or job_name, executor=executor, clean_mode=in_process) as exp:
        exp.add(task, name=job_name, plugins=plugins, tail_logs=tail_logs)
        if dryrun:
            exp.dryrun()
        else:
            exp.run(direct=in_process, detach=detach, tail_logs=tail_logs)
    if not dryrun and detach and not in_process:
        exp.status(return_dict=True)
    jobs = [
        JobResult(j.name, j.id, j.state, j.exit_code, j.handle, j.reason, j.retries)
        for j in exp.jobs
    ]
    result = RunResult(exp.id, exp.path, jobs, None if dryrun else _exit_code(jobs), dryrun=dryrun)
    if raise_on_failure and not dryrun and result.exit_code not in (0, None):
        raise JobFailedError(result)
    return result


def _savable(task: Partial[Any] | Script) -> bool:
    """Whether the task can be saved in the store (a Script always can)."""
    if not isinstance(task, Partial):
        return True
    try:
        nr_config.dumps_json(task)
    except SerializationError:
        return False
    return True


def _call_unsaved(task: Partial[Any] | Script, name: str, *, raise_on_failure: bool) -> RunResult:
    """Build and call a task that cannot be saved, here, recording nothing."""
    failure: Exception | None = None
    try:
        nr_config.build(task)()
    except Exception as error:  # noqa: BLE001 - the task's own failure is its result
        failure = error
    state = JobState.SUCCEEDED if failure is None else JobState.FAILED
    exit_code = 0 if failure is None else 1
    reason = None if failure is None else FailureReason.USER_ERROR
    job = JobResult(name, "", state, exit_code, "", reason)
    result = RunResult("", Path(), [job], exit_code)
    if failure is not None and raise_on_failure:
        raise JobFailedError(result) from failure
    return result


def rebuild_catalog(home: str | os.PathLike[str] | None = None) -> RebuildReport:
    """Rebuild ``catalog.sqlite3`` from the experiment files (also ``python -m nr_experiment``).

    Args:
        home: Store root (default ``$NEMORUN_HOME``, else ``~/.run``).

    Returns:
        What was indexed, and every corrupt or incomplete file skipped (by path).
    """
    return Store(Path(home) if home is not None else None).rebuild_catalog()
