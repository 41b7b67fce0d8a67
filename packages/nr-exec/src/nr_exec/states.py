"""Job states, failure reasons and the status record every backend returns."""

import enum
from dataclasses import dataclass

__all__ = ["FailureReason", "JobState", "JobStatus"]


class JobState(str, enum.Enum):
    """Lifecycle state of a job, common to every backend."""

    UNSUBMITTED = "UNSUBMITTED"
    SUBMITTED = "SUBMITTED"
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    UNKNOWN = "UNKNOWN"

    @property
    def is_terminal(self) -> bool:
        """Whether the job can no longer change state (succeeded, failed or cancelled)."""
        return self in _TERMINAL


_TERMINAL = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED})


class FailureReason(str, enum.Enum):
    """Why a job failed, when the backend knows."""

    TIMEOUT = "TIMEOUT"
    PREEMPTED = "PREEMPTED"
    NODE_FAIL = "NODE_FAIL"
    OOM = "OOM"
    USER_ERROR = "USER_ERROR"
    SUBMIT_ERROR = "SUBMIT_ERROR"  # the submit was refused (packaging, preflight, backend)


@dataclass(frozen=True)
class JobStatus:
    """What a backend knows about one job.

    Attributes:
        state: The job's state.
        reason: Why it failed, when known (only for ``FAILED``).
        exit_code: The job's exit code, when it ended and the code is known.
        message: A human-readable detail (an exception summary, "killed by signal 9", ...).
        retries: How many times the job was restarted after a failure.
    """

    state: JobState
    reason: FailureReason | None = None
    exit_code: int | None = None
    message: str = ""
    retries: int = 0

    @property
    def is_terminal(self) -> bool:
        """Shortcut for ``status.state.is_terminal``."""
        return self.state.is_terminal
