"""What a subprocess gets as its stdin when a command is given a file to read."""

from __future__ import annotations

import io
import subprocess
from typing import BinaryIO

__all__ = ["popen_stdin"]


def popen_stdin(stdin: BinaryIO | None) -> tuple[int | BinaryIO, bytes | None]:
    """What to give ``Popen`` as stdin, and the bytes to write to it (when it is a pipe).

    A file with a descriptor is passed as it is (read from its current position); any other
    binary stream is read whole and written to a pipe; None gives ``/dev/null``.
    """
    if stdin is None:
        return subprocess.DEVNULL, None
    try:
        stdin.fileno()
    except (OSError, io.UnsupportedOperation, AttributeError):
        return subprocess.PIPE, stdin.read()
    return stdin, None
