"""Advisory file locks (``fcntl.flock``) with a deadline.

``flock`` locks belong to an open file description, so they exclude other threads of the same
process as well as other processes. The lock file is created on demand and never deleted (deleting
it would let two holders lock two different inodes).
"""

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from nr_experiment.store.errors import LockTimeoutError

__all__ = ["file_lock"]

DEFAULT_TIMEOUT = 30.0
_MAX_SLEEP = 0.02


@contextmanager
def file_lock(path: Path, *, timeout: float = DEFAULT_TIMEOUT) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` for the duration of the ``with`` block.

    Args:
        path: The lock file (created if missing; its directory must exist).
        timeout: Seconds to wait for another holder before giving up.

    Yields:
        Nothing; the lock is held inside the block and released on exit.

    Raises:
        LockTimeoutError: The lock was not obtained within ``timeout`` seconds.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        pause = 0.0005
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockTimeoutError(path, timeout) from None
                time.sleep(pause)
                pause = min(pause * 2, _MAX_SLEEP)
        yield
    finally:
        os.close(fd)  # closing the last descriptor releases the lock
