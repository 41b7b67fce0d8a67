"""Reading a job's log file on this host incrementally, by byte offset, optionally following it.

The local and Docker backends have every task append its output to ``<job dir>/logs/output.log``,
so the log outlives the processes (or containers), can be read from any process, and byte offsets
are stable.
"""

import time
from collections.abc import Callable, Iterator
from pathlib import Path

__all__ = ["read_lines"]

_POLL_SECONDS = 0.1


def _split(pending: bytes) -> tuple[list[str], bytes]:
    *lines, rest = pending.split(b"\n")
    return [line.decode(errors="replace") + "\n" for line in lines], rest


def read_lines(
    path: Path,
    *,
    since: int,
    follow: bool,
    live: Callable[[], bool],
    poll: float = _POLL_SECONDS,
) -> Iterator[str]:
    """Yield the lines of ``path`` from byte offset ``since``.

    Args:
        path: The log file.
        since: Byte offset to start at.
        follow: Keep waiting for output while ``live()`` is true.
        live: Whether the job may still write (queried only when no output is waiting).
        poll: Seconds between looks at the file when following and nothing is waiting.

    A last line without a newline is yielded as is once nothing follows it.
    """
    while not path.exists():
        if not follow or not live():
            return
        time.sleep(poll)
    with path.open("rb") as stream:
        stream.seek(since)
        pending = b""
        while True:
            chunk = stream.read(65536)
            if chunk:
                lines, pending = _split(pending + chunk)
                yield from lines
                continue
            if follow and live():
                time.sleep(poll)
                continue
            rest = stream.read() if follow else b""  # written between the read and the check
            lines, pending = _split(pending + rest)
            yield from lines
            if pending:
                yield pending.decode(errors="replace")
            return
