"""Writing an exit marker with only cheap parts of the standard library.

The in-job runner writes its marker through this module, so a job does not pay for importing
`json`, `datetime`, `socket`, `dataclasses` or `pathlib`. The text written is exactly what
:meth:`nr_exec.marker.ExitMarker.to_json` gives for the same fields, and the write is as
crash-safe as :func:`nr_exec.durable.write_text_atomic`: a temporary file beside the target,
fsynced, renamed over it, then the directory fsynced.
"""

# pathlib and contextlib would cost every job milliseconds of imports: os and try/except instead.
# ruff: noqa: PTH100, PTH105, PTH108, PTH118, SIM105

import os
import time

try:
    from _json import encode_basestring_ascii as _quote
except ImportError:  # pragma: no cover - CPython always has _json
    from json import dumps as _quote

__all__ = ["EXIT_MARKER_ENV", "host_name", "marker_text", "utc_now", "write_marker_text"]

#: Environment variable naming the marker file the outermost in-job process must write
#: (``nr_exec.constants.EnvVar.EXIT_MARKER``).
EXIT_MARKER_ENV = "NR_EXEC_EXIT_MARKER"


def utc_now() -> str:
    """Return the current UTC time as ISO-8601 text with milliseconds and a ``Z`` suffix."""
    seconds, nanoseconds = divmod(time.time_ns(), 1_000_000_000)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    return f"{stamp}.{nanoseconds // 1_000_000:03d}Z"


def host_name() -> str:
    """Return this host's name (what ``socket.gethostname()`` returns on POSIX)."""
    return os.uname().nodename


def _json_value(value: str | int | bool | None) -> str:
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return _quote(value)


def marker_text(
    exit_code: int,
    *,
    started: str | None,
    ended: str | None,
    host: str | None,
    writer: str,
    error: str | None = None,
    cancelled: bool = False,
    retries: int = 0,
) -> str:
    """Return the JSON text of an exit marker, key-sorted as ``ExitMarker.to_json`` writes it.

    Args:
        exit_code: Exit code of the job.
        started: When the job started (ISO-8601 UTC), if known.
        ended: When the job ended (ISO-8601 UTC), if known.
        host: Host the job ran on, if known.
        writer: What wrote the marker (``runner`` for the in-job runner).
        error: Summary of the exception that ended the job, if any.
        cancelled: Whether the job was cancelled.
        retries: How many restarts happened before this exit.
    """
    fields: dict[str, str | int | bool | None] = {
        "cancelled": cancelled,
        "ended": ended,
        "error": error,
        "exit_code": exit_code,
        "host": host,
        "retries": retries,
        "started": started,
        "version": 1,
        "writer": writer,
    }
    return "{" + ", ".join(f'"{key}": {_json_value(v)}' for key, v in fields.items()) + "}"


def write_marker_text(path: str, text: str) -> None:
    """Replace the marker file ``path`` with ``text`` atomically and durably.

    Args:
        path: The marker file; its directory must exist.
        text: The marker's JSON text (see `marker_text`).
    """
    directory, name = os.path.split(os.path.abspath(path))
    temp = os.path.join(directory, f".{name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        try:
            view = memoryview(text.encode())
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass  # already renamed or never written: nothing left to remove
        raise
    dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
