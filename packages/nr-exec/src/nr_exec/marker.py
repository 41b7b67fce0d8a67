"""Exit markers: ``exit.json`` written into the job directory when a job ends.

A marker is written atomically (temporary file, then rename or hard link) by whatever is
outermost in the job: the in-job runner for a ``Partial``, the POSIX-sh wrapper for a ``Script``
or a launcher command, the local supervisor, or ``cancel``. The writers here also fsync it
(:mod:`nr_exec.durable`, as the store does). Every backend's status prefers the
marker over what the scheduler says. The in-job runner writes its marker through the lighter
:mod:`nr_exec.marker_writer`, which writes the same text.

Format (JSON object)::

    {
        "version": 1,
        "exit_code": 0,
        "started": "2025-01-01T00:00:00Z",
        "ended": "2025-01-01T00:00:05Z",
        "host": "node1",
        "writer": "runner",
        "error": null,
        "cancelled": false,
        "retries": 0,
    }

Only ``exit_code`` is required; the other keys default as shown (times and host to null).
"""

import json
import os
import signal
from dataclasses import asdict, dataclass
from pathlib import Path

from nr_exec.constants import EnvVar
from nr_exec.durable import create_exclusive, write_text_atomic
from nr_exec.errors import ExitMarkerError
from nr_exec.marker_writer import host_name, utc_now
from nr_exec.states import FailureReason, JobState, JobStatus

__all__ = [
    "EXIT_MARKER_ENV",
    "ExitMarker",
    "exit_code_from_returncode",
    "read_exit_marker",
    "signal_summary",
    "utc_now",
    "write_exit_marker",
]

#: Environment variable naming the marker file the outermost in-job process must write.
EXIT_MARKER_ENV = EnvVar.EXIT_MARKER.value


def exit_code_from_returncode(returncode: int) -> int:
    """Map a ``Popen.returncode`` (negative for a signal) to a shell exit code (128 + signal)."""
    return 128 - returncode if returncode < 0 else returncode


@dataclass(frozen=True)
class ExitMarker:
    """The content of ``exit.json``.

    Attributes:
        exit_code: Exit code of the job (128 + N when killed by signal N).
        started: When the job started (ISO-8601 UTC), if known.
        ended: When the job ended (ISO-8601 UTC), if known.
        host: Host the job ran on, if known.
        writer: What wrote the marker: runner, wrapper, supervisor, launcher or cancel.
        error: Summary of the exception or signal that ended the job, if any.
        cancelled: Whether the job was cancelled.
        retries: How many restarts happened before this final exit.
        version: Format version.
    """

    exit_code: int
    started: str | None = None
    ended: str | None = None
    host: str | None = None
    writer: str = ""
    error: str | None = None
    cancelled: bool = False
    retries: int = 0
    version: int = 1

    def to_json(self) -> str:
        """Return the marker as JSON text."""
        return json.dumps(asdict(self), sort_keys=True)

    def to_status(self) -> JobStatus:
        """Translate the marker into a terminal :class:`~nr_exec.JobStatus`."""
        if self.cancelled:
            state, reason = JobState.CANCELLED, None
        elif self.exit_code == 0:
            state, reason = JobState.SUCCEEDED, None
        else:
            state = JobState.FAILED
            # A plain non-zero exit is the job's own doing; a signal may come from anywhere.
            reason = FailureReason.USER_ERROR if self.exit_code <= 128 else None
        return JobStatus(
            state=state,
            reason=reason,
            exit_code=self.exit_code,
            message=self.error or signal_summary(self.exit_code) or "",
            retries=self.retries,
        )

    @classmethod
    def now(
        cls, exit_code: int, *, started: str | None, writer: str, **extra: object
    ) -> "ExitMarker":
        """Make a marker ending now on this host."""
        return cls(
            exit_code=exit_code,
            started=started,
            ended=utc_now(),
            host=host_name(),
            writer=writer,
            **extra,  # type: ignore[arg-type]
        )


def signal_summary(exit_code: int) -> str | None:
    """Describe an exit code above 128 as the signal that probably caused it."""
    if exit_code <= 128:
        return None
    try:
        name = signal.Signals(exit_code - 128).name
    except ValueError:
        return None
    return f"killed by signal {name}"


def read_exit_marker(path: str | os.PathLike[str]) -> ExitMarker | None:
    """Read an exit marker.

    Args:
        path: The marker file (``<job_dir>/exit.json``).

    Returns:
        The marker, or None when the file does not exist.

    Raises:
        ExitMarkerError: The file exists but is not a valid marker.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        data = json.loads(text)
        if not isinstance(data, dict) or not isinstance(data.get("exit_code"), int):
            raise TypeError("missing integer 'exit_code'")
        known = {k: v for k, v in data.items() if k in ExitMarker.__dataclass_fields__}
        return ExitMarker(**known)
    except (ValueError, TypeError) as exc:
        raise ExitMarkerError(f"invalid exit marker {os.fspath(path)}: {exc}") from exc


def write_exit_marker(
    path: str | os.PathLike[str], marker: ExitMarker, *, exclusive: bool = False
) -> bool:
    """Write ``marker`` to ``path`` atomically.

    Args:
        path: The marker file.
        marker: What to write.
        exclusive: Only write if no marker exists yet (the first writer wins).

    Returns:
        True if the marker was written, False if ``exclusive`` and a marker existed.
    """
    target = Path(path)
    if exclusive:
        return create_exclusive(target, marker.to_json())
    write_text_atomic(target, marker.to_json())
    return True
