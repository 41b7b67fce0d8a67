"""Incremental tails of remote log files.

Each read asks the tunnel for the bytes after the last offset (``Tunnel.read_from``), so a
log is never downloaded twice; following stops once the job has ended and the file is
exhausted.
"""

import contextlib
import re
import time
from collections.abc import Callable, Iterator

from nr_tunnel import LocalTunnel, RemotePathNotFoundError, SSHTunnel

__all__ = ["expand_log_path", "tail"]

_PATTERN = re.compile(r"%(.)", re.DOTALL)


def expand_log_path(pattern: str, job_id: str) -> str:
    """Expand an ``sbatch --output`` path for one job (or element) as Slurm does.

    ``%j`` and ``%A`` become the job id, ``%a`` the array index, ``%%`` a literal ``%`` (see
    :func:`~nr_exec.slurm.quoting.log_path_text`).

    Args:
        pattern: The path as given to ``sbatch --output`` (written by the backend, so it
            uses no other pattern).
        job_id: ``123`` or, for an array element, ``123_4``.
    """
    base, _, index = job_id.partition("_")
    values = {"j": base, "A": base, "a": index or "0", "%": "%"}
    return _PATTERN.sub(lambda m: values.get(m[1], m[0]), pattern)


def tail(
    tunnel: LocalTunnel | SSHTunnel,
    path: str,
    *,
    since: int,
    follow: bool,
    is_live: Callable[[], bool],
    interval: float = 0.5,
    max_interval: float = 5.0,
) -> Iterator[str]:
    """Yield the lines of ``path`` from byte offset ``since``.

    Args:
        tunnel: Where the file is.
        path: The file.
        since: Byte offset to start at.
        follow: Keep reading while ``is_live()`` says the job may still write.
        is_live: Whether the job is still pending or running.
        interval: First pause when nothing new arrived (doubled up to ``max_interval``).
        max_interval: Longest pause between reads.
    """
    offset, pending, pause = since, b"", interval
    while True:
        try:
            chunk = tunnel.read_from(path, offset)
        except RemotePathNotFoundError:
            chunk = b""
        if chunk:
            offset += len(chunk)
            *lines, pending = (pending + chunk).split(b"\n")
            for line in lines:
                yield line.decode(errors="replace") + "\n"
            pause = interval
            continue
        if follow and is_live():
            time.sleep(pause)
            pause = min(pause * 2, max_interval)
            continue
        if follow:  # written between the last read and the status check
            with contextlib.suppress(RemotePathNotFoundError):
                pending += tunnel.read_from(path, offset)
            *lines, pending = pending.split(b"\n")
            for line in lines:
                yield line.decode(errors="replace") + "\n"
        if pending:
            yield pending.decode(errors="replace")
        return
