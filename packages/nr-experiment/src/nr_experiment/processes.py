"""The process that drives an experiment, and whether it still runs.

``experiment.json`` names the process that submits the experiment's waiting jobs (the
launcher while it waits, or the detached supervisor) by host, pid and start time, as a
submit intent names its launcher (:meth:`nr_experiment.store.Intent.launcher_running`).
``resume()`` leaves the jobs to that process while it runs.
"""

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from nr_experiment.store.records import process_running, process_start_time

__all__ = ["ProcessIdentity"]


@dataclass(frozen=True)
class ProcessIdentity:
    """One process, told apart from a later process that reuses its pid.

    Attributes:
        host: The host name (``os.uname().nodename``).
        pid: The process id.
        started: When it started, in seconds since the epoch (None where the OS does not tell).
    """

    host: str
    pid: int
    started: float | None

    @classmethod
    def of_pid(cls, pid: int) -> "ProcessIdentity":
        """The identity of process ``pid`` of this host (read now, while it runs)."""
        return cls(os.uname().nodename, pid, process_start_time(pid))

    @classmethod
    def current(cls) -> "ProcessIdentity":
        """The identity of this process."""
        return cls.of_pid(os.getpid())

    @classmethod
    def from_record(cls, record: object) -> "ProcessIdentity | None":
        """Read :meth:`to_record` data; None when ``record`` is not such data."""
        if not isinstance(record, Mapping):
            return None
        host, pid, started = record.get("host"), record.get("pid"), record.get("started")
        if not isinstance(host, str) or not isinstance(pid, int):
            return None
        return cls(host, pid, float(started) if isinstance(started, (int, float)) else None)

    def to_record(self) -> dict[str, Any]:
        """The identity as JSON-compatible data."""
        return asdict(self)

    def is_current(self) -> bool:
        """Whether this is the calling process."""
        return self.host == os.uname().nodename and self.pid == os.getpid()

    def is_running(self) -> bool | None:
        """Whether the process still runs: True, False, or None when it cannot be told.

        Only this host can tell; for a process of another host the answer is None.
        """
        return process_running(self.host, self.pid, self.started)

    def describe(self) -> str:
        """``pid <pid> on <host>``."""
        return f"pid {self.pid} on {self.host}"
