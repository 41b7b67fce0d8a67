"""Jobs of an experiment: one task (``Job``) or several run together (``JobGroup``).

A job keeps its tasks and executors both as objects and as the JSON records saved in its
``job.json``; a reconstructed job deserializes them only when first accessed, so listing,
polling, reconciling or cancelling a large experiment never builds a task or an executor.
The records are serialized once and again only after the objects were handed out through
``tasks``, ``executors``, ``task`` or ``executor`` (the caller may have changed them); the
launcher reads them through :meth:`BaseJob.read_tasks`, :meth:`BaseJob.read_executors` and
:meth:`BaseJob.executor_for`, which leave the records as they are.
A job's state is a :class:`~nr_exec.JobState`, with the failure reason and the retry count
its backend reported.
"""

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nr_config import Partial, Script
from nr_exec import Executor, FailureReason, JobState, JobStatus

from nr_experiment.pool import BackendRef
from nr_experiment.serial import (
    executor_from_record,
    executor_to_record,
    task_from_record,
    task_to_record,
    use_main_script,
)
from nr_experiment.store import Intent, JobRecord

__all__ = ["BaseJob", "Job", "JobGroup", "combine_statuses", "implied_message", "job_from_record"]

#: The message of a state implied by the store's keys (newer than the last caller write).
_IMPLIED = {JobState.UNKNOWN: "submit in doubt: intent recorded, no handle"}

#: How a job made of several submitted units stands: the first state present wins.
_PRECEDENCE = (
    JobState.FAILED,
    JobState.CANCELLED,
    JobState.RUNNING,
    JobState.PENDING,
    JobState.SUBMITTED,
    JobState.UNKNOWN,
)


def implied_message(state: JobState) -> str:
    """The message of a job whose state the store's keys imply (newer than its own)."""
    return _IMPLIED.get(state, "")


def combine_statuses(statuses: Sequence[JobStatus]) -> JobStatus:
    """The status of a job made of several submitted units (one status per unit).

    A failure or cancellation of any unit decides, then a unit still running or waiting;
    the job succeeded only when every unit did. The exit code is the first non-zero one, the
    reason the first given, the retries the most of any unit.
    """
    present = {s.state for s in statuses}
    state = next((s for s in _PRECEDENCE if s in present), statuses[0].state)
    codes = [s.exit_code for s in statuses if s.exit_code]
    return JobStatus(
        state,
        reason=next((s.reason for s in statuses if s.reason is not None), None),
        exit_code=codes[0] if codes else statuses[0].exit_code,
        message=next((s.message for s in statuses if s.message), ""),
        retries=max(s.retries for s in statuses),
    )


class BaseJob:
    """What ``Job`` and ``JobGroup`` share: identity, dependencies, handles and last state.

    Attributes:
        id: The job's id in its experiment (its directory name; unique even when names repeat).
        name: The name given at ``add`` (or derived from the task).
        dependencies: Ids of the jobs that must succeed before this one starts.
        tail_logs: Whether the attached launcher prints the job's output as it comes.
        plugins: Records of the plugins applied when the job was added.
        job_dir: The job's directory in the store.
        executor_info: One-line description of the executor (its ``info()``).
        executor_description: The executors' non-default fields
            (``SlurmExecutor(nodes=2)``, several joined with ``", "``), made at ``add``;
            "" for a job recorded before descriptions were kept.
        handles: Backend handles (``<backend>://<cluster>/<id>``), once submitted.
        backends: The backend of each handle (scheme and connection), parallel to ``handles``.
        state: Last known state.
        reason: Why it failed, when the backend knows.
        exit_code: Exit code, once ended and known.
        message: Detail of the last state (error summary, why it was not started, ...).
        retries: How many times the backend restarted it after a failure.
        cancel_requested: Whether a cancel was asked for before the job was submitted.
        direct: Whether the job ran in the launching process.
        intent: The store's record of the last submit intent (None before any submit).
        code: The code each executor ships, pinned before the first submit (records of
            :class:`~nr_experiment.code.CodePin`, None per executor shipping nothing);
            None until pinned.
    """

    def __init__(
        self,
        *,
        id: str,
        name: str,
        tasks: list[Partial[Any] | Script] | None,
        executors: list[Executor] | None,
        task_records: list[Any] | None = None,
        executor_records: list[Any] | None = None,
        dependencies: list[str] | None = None,
        tail_logs: bool = False,
        plugins: list[Any] | None = None,
        job_dir: Path,
        executor_info: str = "",
        executor_description: str = "",
    ) -> None:
        self.id = id
        self.name = name
        self._tasks = tasks
        self._executors = executors
        self._task_records = task_records
        self._executor_records = executor_records
        self._executor_records_final = False  # serialized after the submit: reused from then
        self._tasks_out = False  # tasks handed out since their records were made
        self._executors_out = False  # executors handed out since their records were made
        self.dependencies = list(dependencies or [])
        self.tail_logs = tail_logs
        self.plugins = list(plugins or [])
        self.job_dir = job_dir
        self.executor_info = executor_info
        self.executor_description = executor_description
        self.handles: list[str] = []
        self.backends: list[BackendRef] = []
        self.state = JobState.UNSUBMITTED
        self.reason: FailureReason | None = None
        self.exit_code: int | None = None
        self.message = ""
        self.retries = 0
        self.cancel_requested = False
        self.direct = False
        self.intent: Intent | None = None
        self.code: list[Any] | None = None
        self.main_script: Path | None = None
        self.updated = time.time()

    # -- tasks and executors (deserialized on first access) -------------------------------------

    @property
    def tasks(self) -> list[Partial[Any] | Script]:
        """The job's tasks (built from their records on first access after a reconstruction).

        The caller may change them: the job's task records are made again on the next write.
        """
        tasks = self.read_tasks()
        self._tasks_out = True
        return tasks

    @property
    def executors(self) -> list[Executor]:
        """The job's executors, one per task or one for all.

        The caller may change them: until the job is submitted, its executor records are made
        again on the next write.
        """
        executors = self.read_executors()
        self._executors_out = True
        return executors

    def read_tasks(self) -> list[Partial[Any] | Script]:
        """The job's tasks, for reading only (their records are not made again for it)."""
        if self._tasks is None:
            if self.main_script is not None:
                use_main_script(self.main_script, self._task_records or [])
            self._tasks = [task_from_record(r) for r in self._task_records or []]
        return self._tasks

    def read_executors(self) -> list[Executor]:
        """The job's executors, for reading only (their records are not made again for it)."""
        if self._executors is None:
            if self.main_script is not None:
                use_main_script(self.main_script, self._executor_records or [])
            self._executors = [executor_from_record(r) for r in self._executor_records or []]
        return self._executors

    def loaded_executors(self) -> list[Executor] | None:
        """The executors if this process already holds them, else None (nothing is rebuilt)."""
        return self._executors

    def executor_for(self, index: int) -> Executor:
        """Return the executor of task ``index``, for reading only (see :attr:`executors`)."""
        executors = self.read_executors()
        return executors[index] if len(executors) > 1 else executors[0]

    def task_records(self) -> list[Any]:
        """The tasks as saved data, serialized again only if they were handed out since."""
        if self._tasks is not None and (self._task_records is None or self._tasks_out):
            self._task_records = [task_to_record(task) for task in self._tasks]
            self._tasks_out = False
        return list(self._task_records or [])

    def executor_records(self) -> list[Any]:
        """The executors as saved data, serialized again only if they were handed out since.

        Once the job was submitted the records are those of the executors it was submitted
        with: executors handed out before the submit are serialized once more at most, and
        later writes reuse those records.
        """
        if self._executors is not None and not (self._executor_records_final and self.launched):
            if self._executor_records is None or self._executors_out:
                self._executor_records = [executor_to_record(e) for e in self._executors]
                self._executors_out = False
            self._executor_records_final = self.launched
        return list(self._executor_records or [])

    # -- state ----------------------------------------------------------------------------------

    @property
    def handle(self) -> str:
        """The first handle, or "" before submission."""
        return self.handles[0] if self.handles else ""

    @property
    def is_terminal(self) -> bool:
        """Whether the job has ended (succeeded, failed or cancelled)."""
        return self.state.is_terminal

    @property
    def launched(self) -> bool:
        """Whether the job was submitted (or run directly)."""
        return bool(self.handles) or self.direct

    @property
    def submit_unresolved(self) -> bool:
        """Whether a submit was intended and no handle came back (it needs reconciling)."""
        return self.intent is not None and not self.launched and not self.is_terminal

    def backend_of(self, index: int) -> BackendRef | None:
        """The backend reference of handle ``index`` (None for records made without one)."""
        return self.backends[index] if index < len(self.backends) else None

    def set_state(
        self,
        state: JobState,
        exit_code: int | None = None,
        message: str = "",
        *,
        reason: FailureReason | None = None,
        retries: int | None = None,
    ) -> None:
        """Record a new last known state (``retries`` None keeps the count)."""
        self.state, self.exit_code, self.message, self.reason = state, exit_code, message, reason
        if retries is not None:
            self.retries = retries
        self.updated = time.time()

    def apply(self, status: JobStatus) -> bool:
        """Take a backend's status; returns whether anything changed."""
        new = (status.state, status.exit_code, status.message, status.reason, status.retries)
        if new == (self.state, self.exit_code, self.message, self.reason, self.retries):
            return False
        self.set_state(
            status.state,
            status.exit_code,
            status.message,
            reason=status.reason,
            retries=status.retries,
        )
        return True

    def submitted(
        self, handles: Sequence[str], backends: Sequence[BackendRef], message: str
    ) -> None:
        """Record the handles of the submitted units (``SUBMITTED`` until polled)."""
        self.handles, self.backends = list(handles), list(backends)
        self.set_state(JobState.SUBMITTED, message=message, retries=0)

    @property
    def kind(self) -> str:
        """``"group"`` for a :class:`JobGroup`, ``"job"`` otherwise (as saved in ``job.json``)."""
        return "group" if isinstance(self, JobGroup) else "job"

    def to_record(self) -> dict[str, Any]:
        """Return the caller-owned content of ``job.json``."""
        return {
            "kind": self.kind,
            "tasks": self.task_records(),
            "executors": self.executor_records(),
            "executor_info": self.executor_info,
            "executor_description": self.executor_description,
            "plugins": self.plugins,
            "dependencies": self.dependencies,
            "tail_logs": self.tail_logs,
            "handles": self.handles,
            "backends": [ref.to_record() for ref in self.backends],
            "state": self.state.value,
            "reason": None if self.reason is None else self.reason.value,
            "exit_code": self.exit_code,
            "message": self.message,
            "retries": self.retries,
            "updated": self.updated,
            "cancel_requested": self.cancel_requested,
            "direct": self.direct,
            "code": self.code,
        }

    def load_state(self, record: JobRecord) -> None:
        """Take handles and state from a ``job.json`` record.

        The state is the record's (the newer of what was last written and what the store's
        keys imply): a submit intent left without a handle by a launcher that stopped
        mid-submit reads as ``UNKNOWN`` until :meth:`Experiment.status` reconciles it.
        """
        self.handles = list(record.handles)
        saved = record.get("backends")
        saved = saved if isinstance(saved, list) else []
        self.backends = [
            BackendRef.from_record(
                saved[i] if i < len(saved) else None, default_scheme=h.partition("://")[0]
            )
            for i, h in enumerate(self.handles)
        ]
        self.state, self.updated = record.state, record.updated
        self.reason, self.retries = record.reason, record.retries
        self.exit_code, self.message = record.exit_code, record.message
        if record.state.value != record.get("state"):  # the store's keys are newer
            self.message = implied_message(record.state)
        self.cancel_requested = bool(record.get("cancel_requested"))
        self.direct = bool(record.get("direct"))
        self.intent = record.intent
        code = record.get("code")
        self.code = list(code) if isinstance(code, list) else None

    def __repr__(self) -> str:
        state = self.state.value
        return f"{type(self).__name__}(id={self.id!r}, state={state}, handle={self.handle!r})"


class Job(BaseJob):
    """One task on one executor."""

    @property
    def task(self) -> Partial[Any] | Script:
        """The job's task."""
        return self.tasks[0]

    @property
    def executor(self) -> Executor:
        """The job's executor."""
        return self.executors[0]


class JobGroup(BaseJob):
    """Several tasks started together as one job (one allocation where the backend allows).

    On a backend with job groups (``Capabilities.job_groups``) the tasks form one request and
    one handle; elsewhere each task is submitted on its own, with its own handle.
    """


def job_from_record(job_dir: Path, record: JobRecord) -> BaseJob:
    """Rebuild a job from its ``job.json`` content (tasks and executors stay unbuilt)."""
    cls: type[BaseJob] = JobGroup if record.get("kind") == "group" else Job
    job = cls(
        id=record.id,
        name=record.name,
        tasks=None,
        executors=None,
        task_records=record.get("tasks") or [],
        executor_records=record.get("executors") or [],
        dependencies=record.get("dependencies") or [],
        tail_logs=bool(record.get("tail_logs")),
        plugins=record.get("plugins") or [],
        job_dir=job_dir,
        executor_info=record.get("executor_info") or "",
        executor_description=record.get("executor_description") or "",
    )
    job.load_state(record)
    return job
