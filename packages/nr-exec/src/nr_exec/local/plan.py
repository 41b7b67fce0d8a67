"""The local launch plan: what :class:`~nr_exec.local.LocalBackend` writes and starts.

A plan is frozen, typed data. It round-trips through JSON exactly (:meth:`LocalPlan.to_json`,
:meth:`LocalPlan.from_json`), which is how a supervised job's supervisor receives it on stdin.
This module imports nothing heavy, so the supervisor starts fast.
"""

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from nr_exec.spec import StagedFile

__all__ = ["LocalPlan", "LocalTask"]


@dataclass(frozen=True)
class LocalTask:
    """One process of a local job.

    Attributes:
        name: Name of the spec the task belongs to.
        argv: The command.
        cwd: Its working directory.
        env: Variables added to the launching environment.
    """

    name: str
    argv: tuple[str, ...]
    cwd: str
    env: Mapping[str, str] = field(default_factory=dict)

    def to_data(self) -> dict[str, Any]:
        """Return the task as JSON-compatible data."""
        return {"name": self.name, "argv": list(self.argv), "cwd": self.cwd, "env": dict(self.env)}

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> "LocalTask":
        """Rebuild a task from :meth:`to_data` output."""
        return cls(
            name=str(data["name"]),
            argv=tuple(data["argv"]),
            cwd=str(data["cwd"]),
            env=dict(data["env"]),
        )


@dataclass(frozen=True, kw_only=True)
class LocalPlan:
    """How one local job (or one group) is started.

    Attributes:
        job_id: The job's id (the first spec's): its handle and its entry in the job root.
        job_dir: The first spec's job directory (log, state, exit marker).
        log: The log file every task appends to.
        marker: The job's exit marker.
        retries: How many times a failed attempt is restarted.
        supervised: Whether the job runs under ``python -m nr_exec.local.supervisor``
            (detached, several tasks, or retries); else its one task is started directly.
        tasks: The processes of one attempt.
        files: Files written before the job starts.
    """

    job_id: str
    job_dir: str
    log: str
    marker: str
    retries: int = 0
    supervised: bool = False
    tasks: tuple[LocalTask, ...] = ()
    files: tuple[StagedFile, ...] = ()

    def to_data(self) -> dict[str, Any]:
        """Return the plan as JSON-compatible data."""
        return {
            "job_id": self.job_id,
            "job_dir": self.job_dir,
            "log": self.log,
            "marker": self.marker,
            "retries": self.retries,
            "supervised": self.supervised,
            "tasks": [task.to_data() for task in self.tasks],
            "files": [asdict(item) for item in self.files],
        }

    def to_json(self, *, indent: int | None = None) -> str:
        """Return the plan as key-sorted JSON text."""
        return json.dumps(self.to_data(), sort_keys=True, indent=indent)

    @classmethod
    def from_json(cls, text: str) -> "LocalPlan":
        """Parse :meth:`to_json` output.

        Raises:
            ValueError: ``text`` is not a complete plan (the message says what is missing).
        """
        data = json.loads(text)
        try:
            return cls(
                job_id=str(data["job_id"]),
                job_dir=str(data["job_dir"]),
                log=str(data["log"]),
                marker=str(data["marker"]),
                retries=int(data["retries"]),
                supervised=bool(data["supervised"]),
                tasks=tuple(LocalTask.from_data(t) for t in data["tasks"]),
                files=tuple(StagedFile(**f) for f in data["files"]),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a local launch plan: missing or invalid {exc}") from None
