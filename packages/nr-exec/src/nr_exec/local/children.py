"""The jobs this process started itself: waiting on them at once, collecting them when done.

Children belong to the process, not to one backend instance: any ``LocalBackend`` of this
process can wait for them, and none is garbage-collected while it runs.
"""

import math
import os
import select
import subprocess

__all__ = ["CHILDREN", "reap", "wait_exit"]

#: Children started by this process, by job id.
CHILDREN: dict[str, "subprocess.Popen[bytes]"] = {}

# A job writes its exit marker as its last act; its process is gone moments later.
_REAP_GRACE = 1.0


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
    """Collect the child running ``job_id``, whose exit marker exists, if it has exited."""
    proc = CHILDREN.get(job_id)
    if proc is not None and wait_exit(proc, _REAP_GRACE):
        CHILDREN.pop(job_id, None)
