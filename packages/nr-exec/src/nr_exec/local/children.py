"""The jobs this process started itself: waiting on them at once, collecting them when done.

Children belong to the process, not to one backend instance: any ``LocalBackend`` of this
process can wait for them, and none is garbage-collected while it runs.
"""

import contextlib
import math
import os
import select
import subprocess
import time

from nr_exec.local.forking import drain_all, report_fds

__all__ = ["CHILDREN", "reap", "wait_any", "wait_exit"]

#: Children started by this process, by job id.
CHILDREN: dict[str, "subprocess.Popen[bytes]"] = {}

#: Jobs whose exit marker was read while their process was still exiting, by job id.
_ENDING: set[str] = set()


def _exits_within(pid: int, timeout: float) -> bool | None:
    """Whether child ``pid`` exits within ``timeout`` seconds, woken by the exit itself.

    Returns None where the kernel offers no pidfd (not Linux, or Linux before 5.3).
    """
    try:
        fd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None
    try:
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        return bool(poller.poll(math.ceil(timeout * 1000)))
    finally:
        os.close(fd)


def wait_exit(proc: "subprocess.Popen[bytes]", timeout: float | None) -> bool:
    """Wait at most ``timeout`` seconds (None: no limit) for a child; True once it has exited.

    ``Popen.wait`` with a timeout polls with sleeps that double up to 50 ms, so it notices an
    exit up to about as late again as it has already waited; a pidfd wakes at the exit.
    """
    if timeout is not None and proc.poll() is None:
        exited = _exits_within(proc.pid, timeout)
        if exited is False:
            return False
        if exited is None:
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                return False
    proc.wait()  # has exited (or no limit): collects it
    return True


def reap(job_id: str) -> None:
    """Collect the child running ``job_id``, whose exit marker exists, without waiting.

    A job writes its exit marker as its last act; a child still exiting then is collected
    by a later :func:`reap` or :func:`wait_any` call (of any job), so a status query never
    blocks on it.
    """
    _ENDING.add(job_id)
    for ending in list(_ENDING):
        proc = CHILDREN.get(ending)
        if proc is None or proc.poll() is not None:
            CHILDREN.pop(ending, None)
            _ENDING.discard(ending)


def wait_any(timeout: float) -> None:
    """Sleep until one of this process's running jobs ends, or ``timeout`` seconds pass.

    Woken by the exit itself (pidfds of its children, the reports of its fork servers);
    without jobs, or without pidfds, it just sleeps.
    """
    reports = report_fds()
    fds: list[int] = []
    try:
        for job_id, proc in list(CHILDREN.items()):
            if job_id in _ENDING or proc.poll() is not None:
                continue  # an exited child is collected, not waited for
            with contextlib.suppress(AttributeError, OSError):
                fds.append(os.pidfd_open(proc.pid))
        if not fds and not reports:
            time.sleep(timeout)
            return
        poller = select.poll()
        for fd in (*fds, *reports):
            poller.register(fd, select.POLLIN)
        poller.poll(math.ceil(timeout * 1000))
        if reports:
            drain_all()
    finally:
        for fd in fds:
            os.close(fd)
