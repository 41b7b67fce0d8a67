"""Typed, versioned records of the store's files: ``experiment.json`` and ``job.json``.

A record is parsed strictly from a decoded file (a key of the wrong type raises
:class:`~nr_experiment.store.errors.CorruptMetadataError` naming the file and the key) and is
immutable. Each record type declares, once, which keys the store owns (``STORE_KEYS``: only the
store writes them) and which caller-written keys describe one run rather than its
configuration (``RUN_KEYS``: states, handles, times); together they are ``VOLATILE_KEYS``, what
a comparison of two experiments leaves out.

A record is also a read-only mapping of the file's keys exactly as written, so a caller reads
its own content (``record["tasks"]``) where the store gives no typed attribute.

Formats: ``job.json`` format 2 adds the store-owned ``written`` (when the caller's content was
last written; null while only the store's keys exist). Format 1 files, written by the previous
release, still load: their ``written`` is implied by whether they hold any caller content.
"""

from __future__ import annotations

import enum
import json
import os
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from nr_exec.states import FailureReason, JobState

from nr_experiment.store.errors import CorruptMetadataError

__all__ = ["Attempt", "ExperimentRecord", "Intent", "JobRecord", "process_start_time"]

_E = TypeVar("_E", bound=enum.Enum)
_MISSING = object()


#: Copies records (:meth:`_Record.to_json`): NaN refused, as every store file refuses it.
_COPY_ENCODER = json.JSONEncoder(allow_nan=False, ensure_ascii=False)


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class _Reader:
    """Typed access to one decoded JSON object, raising errors that name the file and key."""

    def __init__(self, path: Path, data: Mapping[str, Any], where: str = "") -> None:
        self.path = path
        self.data = data
        self.where = where

    def fail(self, key: str, expected: str) -> CorruptMetadataError:
        found = self.data.get(key, _MISSING)
        shown = "missing" if found is _MISSING else f"{found!r}"
        reason = f"{self.where}{key!r} is {shown}, expected {expected}"
        return CorruptMetadataError(self.path, reason)

    def text(self, key: str) -> str:
        value = self.data.get(key)
        if not isinstance(value, str):
            raise self.fail(key, "a string")
        return value

    def optional_text(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is not None and not isinstance(value, str):
            raise self.fail(key, "a string or null")
        return value

    def seconds(self, key: str) -> float:
        value = self.data.get(key)
        if not _number(value):
            raise self.fail(key, "a number (seconds since the epoch)")
        return float(value)  # type: ignore[arg-type]

    def optional_seconds(self, key: str) -> float | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not _number(value):
            raise self.fail(key, "a number (seconds since the epoch) or null")
        return float(value)

    def integer(self, key: str, default: int | None = None) -> int:
        value = self.data.get(key)
        if value is None and default is not None:
            return default
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(key, "an integer")
        return value

    def optional_integer(self, key: str) -> int | None:
        value = self.data.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise self.fail(key, "an integer or null")
        return value

    def texts(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(key, "a list of strings")
        return tuple(value)

    def mapping(self, key: str) -> Mapping[str, Any]:
        value = self.data.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(key, "an object")
        return value

    def choice(self, key: str, kind: type[_E]) -> _E | None:
        value = self.data.get(key)
        if value is None:
            return None
        try:
            return kind(value)
        except ValueError:
            names = ", ".join(str(m.value) for m in kind)
            raise self.fail(key, f"null or one of {names}") from None

    def version(self, supported: int) -> int:
        version = self.integer("format")
        if version < 1:
            raise self.fail("format", f"a format version from 1 to {supported}")
        if version > supported:
            raise CorruptMetadataError(
                self.path,
                f"format {version} is newer than this version of nemo-run reads (1 to "
                f"{supported}); upgrade nemo-run to read it",
            )
        return version


class _Record(Mapping[str, Any]):
    """A record's mapping view over the file's keys, as written (values are not copies)."""

    STORE_KEYS: ClassVar[frozenset[str]]
    raw: Mapping[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.raw[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.raw)

    def __len__(self) -> int:
        return len(self.raw)

    def to_json(self) -> dict[str, Any]:
        """Return the file's content (a deep copy, safe to modify).

        The content is JSON data: copied through the C JSON codec, several times faster
        than ``copy.deepcopy`` (a launcher copies thousands of records per step).
        """
        return json.loads(_COPY_ENCODER.encode(self.raw))  # type: ignore[no-any-return]

    @property
    def content(self) -> dict[str, Any]:
        """The caller-owned keys only (a deep copy)."""
        return {k: v for k, v in self.to_json().items() if k not in self.STORE_KEYS}


def process_start_time(pid: int) -> float | None:
    """Return when process ``pid`` started (seconds since the epoch), where the OS tells.

    Read from ``/proc`` (Linux); None elsewhere or when no such process runs. Two readings of
    the same process agree to within a clock tick, so a pid reused by a later process is told
    apart from the original.

    Args:
        pid: A process id.

    Returns:
        The start time, or None.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        boot = next(
            float(line.split()[1])
            for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime ")
        )
    except (OSError, StopIteration, ValueError, IndexError):
        return None
    fields = stat.rpartition(")")[2].split()  # after the parenthesised name: field 3 onwards
    if fields[0] in {"Z", "X"}:  # a zombie has ended; only its exit status is left to collect
        return None
    return boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22: start time


#: ``(pid, host, start time)`` of this process, read once per pid (a forked child reads its own).
_THIS_PROCESS: tuple[int, str, float | None] | None = None


def _this_process() -> tuple[int, str, float | None]:
    """This process's pid, host name and start time (what every intent it writes names)."""
    global _THIS_PROCESS  # noqa: PLW0603 - a per-process memo
    pid = os.getpid()
    if _THIS_PROCESS is None or _THIS_PROCESS[0] != pid:
        _THIS_PROCESS = (pid, os.uname().nodename, process_start_time(pid))
    return _THIS_PROCESS


def process_running(host: str, pid: int, started: float | None) -> bool | None:
    """Whether the process ``pid`` of ``host`` that started at ``started`` still runs.

    Args:
        host: The process's host name (``os.uname().nodename``).
        pid: Its process id.
        started: Its start time (from :func:`process_start_time`), or None if unknown.

    Returns:
        False when this host proves it gone (no such process, a zombie, or its pid now
        belongs to a process started later); None for a process of another host, which only
        that host can tell; True otherwise.
    """
    if host != os.uname().nodename:
        return None
    now = process_start_time(pid)
    if now is not None:
        return started is None or abs(now - started) < 1.0
    if Path("/proc/self/stat").is_file():
        return False  # /proc lists every process of this host, and not this one (or a zombie)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(frozen=True)
class Intent:
    """The record of a submit about to happen, written before the backend is asked.

    Attributes:
        backend: The backend's name.
        backend_job_name: The name the job gets on the backend (carries both ids).
        at: When the intent was written.
        host: The launching host.
        pid: The launching process.
        started: When the launching process started (None where the OS does not tell, and in
            records of the previous release).
        details: The caller's facts about the submit; ``commands`` holds the command lines.
    """

    backend: str
    backend_job_name: str
    at: float
    host: str
    pid: int
    started: float | None
    details: Mapping[str, Any]

    @classmethod
    def from_json(cls, path: Path, data: object, where: str = "'intent': ") -> Intent:
        """Parse an intent record.

        Raises:
            CorruptMetadataError: It is not an intent record (the error says which key).
        """
        if not isinstance(data, dict):
            raise CorruptMetadataError(path, f"{where}expected an object, found {data!r}")
        read = _Reader(path, data, where)
        return cls(
            backend=read.text("backend"),
            backend_job_name=read.text("backend_job_name"),
            at=read.seconds("at"),
            host=read.text("host"),
            pid=read.integer("pid"),
            started=read.optional_seconds("started"),
            details=read.mapping("details"),
        )

    @classmethod
    def now(cls, backend: str, backend_job_name: str, details: Mapping[str, Any]) -> Intent:
        """An intent of this process, now."""
        pid, host, started = _this_process()
        return cls(
            backend, backend_job_name, time.time(), host, pid, started, dict(details)
        )  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        """The intent as written in ``job.json``."""
        return {
            "backend": self.backend,
            "backend_job_name": self.backend_job_name,
            "at": self.at,
            "host": self.host,
            "pid": self.pid,
            "started": self.started,
            "details": dict(self.details),
        }

    @property
    def commands(self) -> list[list[str]]:
        """The command lines recorded with the submit (``details["commands"]``), if any."""
        commands = self.details.get("commands")
        if not isinstance(commands, list):
            return []
        return [[str(arg) for arg in command] for command in commands if isinstance(command, list)]

    def launcher_running(self) -> bool | None:
        """Whether the process that wrote this intent may still run.

        Returns:
            False when this host proves it gone (no such process, or its pid now belongs to a
            process started later); None when the intent came from another host, which only
            that host can tell; True otherwise.
        """
        return process_running(self.host, self.pid, self.started)


@dataclass(frozen=True)
class Attempt:
    """An earlier submit of a job that got a handle, kept when the job is submitted again.

    Attributes:
        intent: Its intent record.
        handle: The handle it got.
        submitted: When.
    """

    intent: Intent
    handle: str
    submitted: float

    @classmethod
    def from_json(cls, path: Path, data: object, index: int) -> Attempt:
        """Parse one entry of ``attempts``."""
        where = f"'attempts'[{index}]: "
        if not isinstance(data, dict):
            raise CorruptMetadataError(path, f"{where}expected an object, found {data!r}")
        read = _Reader(path, data, where)
        return cls(
            Intent.from_json(path, data.get("intent"), f"{where}'intent': "),
            read.text("handle"),
            read.seconds("submitted"),
        )


@dataclass(frozen=True, eq=False)
class ExperimentRecord(_Record):
    """An experiment's ``experiment.json``.

    Attributes:
        format: The file's format version.
        id: The experiment id.
        title: Its title.
        created: When it was created.
        jobs: Job ids the caller listed (at launch); empty before.
        raw: The file's content.
    """

    #: The format this version writes.
    FORMAT: ClassVar[int] = 1
    #: Keys only the store writes.
    STORE_KEYS: ClassVar[frozenset[str]] = frozenset({"format", "id", "title", "created"})
    #: Caller-written keys describing one run, not its configuration.
    RUN_KEYS: ClassVar[frozenset[str]] = frozenset({"jobs", "state", "launched", "driver"})
    #: Keys that differ between two runs of the same configuration.
    VOLATILE_KEYS: ClassVar[frozenset[str]] = STORE_KEYS | RUN_KEYS

    format: int
    id: str
    title: str
    created: float
    jobs: tuple[str, ...]
    raw: Mapping[str, Any] = field(repr=False)

    @classmethod
    def from_json(cls, path: Path, data: Mapping[str, Any]) -> ExperimentRecord:
        """Parse a decoded ``experiment.json``.

        Args:
            path: The file (named in errors).
            data: Its decoded content.

        Raises:
            CorruptMetadataError: A key is missing or of the wrong type, or the format is newer.
        """
        read = _Reader(path, data)
        return cls(
            format=read.version(cls.FORMAT),
            id=read.text("id"),
            title=read.text("title"),
            created=read.seconds("created"),
            jobs=read.texts("jobs"),
            raw=data,
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ExperimentRecord) and self.raw == other.raw

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True, eq=False)
class JobRecord(_Record):
    """A job's ``job.json``: the store's keys, plus the caller's state keys, typed.

    ``state`` and ``updated`` are the newer of the caller's last state (its ``state`` and
    ``updated`` keys) and what the store's keys imply: ``SUBMITTED`` once a handle is recorded,
    ``UNKNOWN`` while an intent has no handle (a submit in doubt), else ``UNSUBMITTED``.

    Attributes:
        format: The file's format version.
        experiment_id: The experiment's id.
        id: The job's id (its directory's name).
        name: The name it was added with.
        created: When its directory was created.
        written: When the caller's content was last written; None if it never was (the
            creation was interrupted).
        backend: The backend of the last submit intent.
        intent: The last submit intent.
        handle: The handle of the last submit, once the backend returned one.
        submitted: When that handle was recorded.
        attempts: Earlier submits that got a handle.
        state: The job's last known state.
        updated: When that state was recorded.
        reason: Why it failed, when the backend said.
        retries: How many times the backend restarted it.
        exit_code: Its exit code, once ended and known.
        message: Detail of the last state.
        handles: Every handle of the job (one per submitted unit).
        raw: The file's content.
    """

    #: The format this version writes.
    FORMAT: ClassVar[int] = 2
    #: Keys only the store writes.
    STORE_KEYS: ClassVar[frozenset[str]] = frozenset(
        {"format", "experiment_id", "id", "name", "created", "written", "backend", "intent",
         "handle", "submitted", "attempts"}
    )  # fmt: skip
    #: Caller-written keys describing one run, not its configuration.
    RUN_KEYS: ClassVar[frozenset[str]] = frozenset(
        {"handles", "state", "reason", "exit_code", "message", "retries", "updated",
         "cancel_requested", "backends"}
    )  # fmt: skip
    #: Keys that differ between two runs of the same configuration.
    VOLATILE_KEYS: ClassVar[frozenset[str]] = STORE_KEYS | RUN_KEYS

    format: int
    experiment_id: str
    id: str
    name: str
    created: float
    written: float | None
    backend: str | None
    intent: Intent | None
    handle: str | None
    submitted: float | None
    attempts: tuple[Attempt, ...]
    state: JobState
    updated: float
    reason: FailureReason | None
    retries: int
    exit_code: int | None
    message: str
    handles: tuple[str, ...]
    raw: Mapping[str, Any] = field(repr=False)

    @classmethod
    def new(cls, experiment_id: str, job_id: str, name: str) -> dict[str, Any]:
        """The content of a new job's ``job.json``: the store's keys, no caller content yet."""
        return {
            "format": cls.FORMAT, "experiment_id": experiment_id, "id": job_id, "name": name,
            "created": time.time(), "written": None, "backend": None, "intent": None,
            "handle": None, "submitted": None, "attempts": [],
        }  # fmt: skip

    @classmethod
    def from_json(cls, path: Path, data: Mapping[str, Any]) -> JobRecord:
        """Parse a decoded ``job.json`` (format 1 or 2).

        Args:
            path: The file (named in errors).
            data: Its decoded content.

        Raises:
            CorruptMetadataError: A key is missing or of the wrong type, or the format is newer.
        """
        read = _Reader(path, data)
        version = read.version(cls.FORMAT)
        created = read.seconds("created")
        raw_intent = data.get("intent")
        intent = None if raw_intent is None else Intent.from_json(path, raw_intent)
        handle = read.optional_text("handle")
        submitted = read.optional_seconds("submitted")
        if handle is not None and submitted is None:
            raise read.fail("submitted", "a number since 'handle' is set")
        attempts = data.get("attempts") or []
        if not isinstance(attempts, list):
            raise read.fail("attempts", "a list")
        caller_updated = read.optional_seconds("updated")
        if "written" in data:
            written = read.optional_seconds("written")
        else:  # format 1 (or a file rewritten by it): any caller content means it was written
            has_content = any(key not in cls.STORE_KEYS for key in data)
            written = (caller_updated or created) if has_content else None
        state, updated = _implied_state(handle, submitted, intent, created)
        caller_state = read.choice("state", JobState)
        caller_when = created if caller_updated is None else caller_updated
        if caller_state is not None and caller_when >= updated:  # the newer wins; ties: caller
            state, updated = caller_state, caller_when
        handles = read.texts("handles") or ((handle,) if handle is not None else ())
        return cls(
            format=version,
            experiment_id=read.text("experiment_id"),
            id=read.text("id"),
            name=read.text("name"),
            created=created,
            written=written,
            backend=read.optional_text("backend"),
            intent=intent,
            handle=handle,
            submitted=submitted,
            attempts=tuple(Attempt.from_json(path, a, i) for i, a in enumerate(attempts)),
            state=state,
            updated=updated,
            reason=read.choice("reason", FailureReason),
            retries=read.integer("retries", 0),
            exit_code=read.optional_integer("exit_code"),
            message=read.optional_text("message") or "",
            handles=handles,
            raw=data,
        )

    @property
    def complete(self) -> bool:
        """Whether the caller's content was ever written (False: creation was interrupted)."""
        return self.written is not None

    @property
    def commands(self) -> list[list[str]]:
        """The command lines of the last submit, as recorded in its intent."""
        return [] if self.intent is None else self.intent.commands

    def __eq__(self, other: object) -> bool:
        return isinstance(other, JobRecord) and self.raw == other.raw

    __hash__ = None  # type: ignore[assignment]


def _implied_state(
    handle: str | None, submitted: float | None, intent: Intent | None, created: float
) -> tuple[JobState, float]:
    """The state the store's keys imply, and since when."""
    if handle is not None and submitted is not None:
        return JobState.SUBMITTED, submitted
    if intent is not None:
        return JobState.UNKNOWN, intent.at
    return JobState.UNSUBMITTED, created
