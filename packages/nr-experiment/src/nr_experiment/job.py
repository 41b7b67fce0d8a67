"""Jobs of an experiment: one task (``Job``) or several run together (``JobGroup``).

A job keeps its tasks and executors both as objects and as the JSON records saved in its
``job.json``; a reconstructed job deserializes them only when first accessed, so listing or
polling a large experiment never builds a task.
"""

import time
from pathlib import Path
from typing import Any

from nr_config import Partial, Script
from nr_exec import Executor

from nr_experiment.serial import (
    executor_from_record,
    executor_to_record,
    task_from_record,
    task_to_record,
    use_main_script,
)

__all__ = ["TERMINAL_STATES", "BaseJob", "Job", "JobGroup", "job_from_record"]

#: States a job never leaves.
TERMINAL_STATES = frozenset({"SUCCEEDED", "FAILED", "CANCELLED"})


class BaseJob:
    """What ``Job`` and ``JobGroup`` share: identity, dependencies, handles and last state.

    Attributes:
        id: The job's id in its experiment (its directory name; unique even when names repeat).
        name: The name given at ``add`` (or derived from the task).
        dependencies: Ids of the jobs that must succeed before this one starts.
        tail_logs: Whether the attached launcher prints the job's output as it comes.
        plugins: Records of the plugins applied when the job was added.
        job_dir: The job's directory in the store.
        executor_info: One-line description of the executor.
        handles: Backend handles (``<backend>://<cluster>/<id>``), once submitted.
        state: Last known state (a ``JobState`` value).
        exit_code: Exit code, once ended and known.
        message: Detail of the last state (error summary, why it was not started, ...).
        cancel_requested: Whether a cancel was asked for before the job was submitted.
        direct: Whether the job ran in the launching process.
    """

    kind = "job"

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
    ) -> None:
        self.id = id
        self.name = name
        self._tasks = tasks
        self._executors = executors
        self._task_records = task_records
        self._executor_records = executor_records
        self.dependencies = list(dependencies or [])
        self.tail_logs = tail_logs
        self.plugins = list(plugins or [])
        self.job_dir = job_dir
        self.executor_info = executor_info
        self.handles: list[str] = []
        self.state = "UNSUBMITTED"
        self.exit_code: int | None = None
        self.message = ""
        self.cancel_requested = False
        self.direct = False
        self.intent: dict[str, Any] | None = None
        self.main_script: Path | None = None
        self.updated = time.time()

    # -- tasks and executors (deserialized on first access) -------------------------------------

    @property
    def tasks(self) -> list[Partial[Any] | Script]:
        """The job's tasks (built from their records on first access after a reconstruction)."""
        if self._tasks is None:
            if self.main_script is not None:
                use_main_script(self.main_script, self._task_records or [])
            self._tasks = [task_from_record(r) for r in self._task_records or []]
        return self._tasks

    @property
    def executors(self) -> list[Executor]:
        """The job's executors, one per task or one for all."""
        if self._executors is None:
            if self.main_script is not None:
                use_main_script(self.main_script, self._executor_records or [])
            self._executors = [executor_from_record(r) for r in self._executor_records or []]
        return self._executors

    def executor_for(self, index: int) -> Executor:
        """Return the executor of task ``index``."""
        executors = self.executors
        return executors[index] if len(executors) > 1 else executors[0]

    def task_records(self) -> list[Any]:
        """The tasks as saved data (re-serialized if they were loaded, as they may have changed)."""
        if self._tasks is not None:
            self._task_records = [task_to_record(task) for task in self._tasks]
        return list(self._task_records or [])

    def executor_records(self) -> list[Any]:
        """The executors as saved data (re-serialized if they were loaded)."""
        if self._executors is not None:
            self._executor_records = [executor_to_record(e) for e in self._executors]
        return list(self._executor_records or [])

    # -- state ----------------------------------------------------------------------------------

    @property
    def handle(self) -> str:
        """The first handle, or "" before submission."""
        return self.handles[0] if self.handles else ""

    @property
    def is_terminal(self) -> bool:
        """Whether the job has ended (succeeded, failed or cancelled)."""
        return self.state in TERMINAL_STATES

    @property
    def launched(self) -> bool:
        """Whether the job was submitted (or run directly)."""
        return bool(self.handles) or self.direct

    def set_state(self, state: str, exit_code: int | None = None, message: str = "") -> None:
        """Record a new last known state."""
        self.state, self.exit_code, self.message = state, exit_code, message
        self.updated = time.time()

    def to_record(self) -> dict[str, Any]:
        """Return the caller-owned content of ``job.json``."""
        return {
            "kind": self.kind,
            "tasks": self.task_records(),
            "executors": self.executor_records(),
            "executor_info": self.executor_info,
            "plugins": self.plugins,
            "dependencies": self.dependencies,
            "tail_logs": self.tail_logs,
            "handles": self.handles,
            "state": self.state,
            "exit_code": self.exit_code,
            "message": self.message,
            "updated": self.updated,
            "cancel_requested": self.cancel_requested,
            "direct": self.direct,
        }

    def load_state(self, record: dict[str, Any]) -> None:
        """Take handles and state from a ``job.json`` record (the store's ``handle`` included)."""
        handles = list(record.get("handles") or [])
        if not handles and record.get("handle"):
            handles = [record["handle"]]
        self.handles = handles
        self.state = record.get("state") or "UNSUBMITTED"
        self.exit_code = record.get("exit_code")
        self.message = record.get("message") or ""
        self.cancel_requested = bool(record.get("cancel_requested"))
        self.direct = bool(record.get("direct"))
        self.updated = float(record.get("updated") or record.get("created") or time.time())
        self.intent = record.get("intent")
        if self.intent is not None and not handles and not self.is_terminal:
            self.set_state("UNKNOWN", message="submit in doubt: intent recorded, no handle")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id!r}, state={self.state}, handle={self.handle!r})"


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

    kind = "group"


def job_from_record(job_dir: Path, record: dict[str, Any]) -> BaseJob:
    """Rebuild a job from its ``job.json`` content (tasks and executors stay unbuilt)."""
    cls = JobGroup if record.get("kind") == "group" else Job
    job = cls(
        id=record["id"],
        name=record["name"],
        tasks=None,
        executors=None,
        task_records=record.get("tasks") or [],
        executor_records=record.get("executors") or [],
        dependencies=record.get("dependencies") or [],
        tail_logs=bool(record.get("tail_logs")),
        plugins=record.get("plugins") or [],
        job_dir=job_dir,
        executor_info=record.get("executor_info") or "",
    )
    job.load_state(record)
    return job
