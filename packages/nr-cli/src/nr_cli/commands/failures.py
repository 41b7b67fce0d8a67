"""What an ``experiment`` command prints when it fails: one ``error:`` line and an exit code.

Never a traceback (``--verbose`` adds one): an unreachable cluster, a full disk, a read-only
``NEMORUN_HOME``, a damaged file or a bug each end in one line naming what failed.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import NamedTuple

from nr_config import ConfigError
from nr_exec.errors import ExecError
from nr_experiment.errors import ExperimentError
from nr_experiment.store import (
    CatalogError,
    ExperimentNotFoundError,
    InvalidNameError,
    JobNotFoundError,
    nemorun_home,
)
from nr_package.errors import PackagingError
from nr_tunnel.errors import TunnelError

from nr_cli.errors import CLIError
from nr_cli.output import EXIT_FAILED, EXIT_NOT_FOUND, EXIT_USAGE

__all__ = ["Failure", "describe_failure", "home_is_read_only"]

_OS_HINTS = {
    errno.EROFS: "read-only file system",
    errno.ENOSPC: "no space left on device; free some space or point NEMORUN_HOME elsewhere",
    errno.EDQUOT: "disk quota exceeded; free some space or point NEMORUN_HOME elsewhere",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
}


class Failure(NamedTuple):
    """How a failed command reports: the error's type name, the message, the exit code."""

    kind: str
    message: str
    code: int


def home_is_read_only() -> bool:
    """Whether ``NEMORUN_HOME`` exists and this process cannot write into it."""
    home = nemorun_home()
    return home.is_dir() and not os.access(home, os.W_OK)


def _home_is_full() -> bool:
    """Whether the file system holding ``NEMORUN_HOME`` has no free block left for this user."""
    try:
        stats = os.statvfs(nemorun_home())
    except OSError:
        return False
    return (stats.f_bfree if os.geteuid() == 0 else stats.f_bavail) == 0


def _home_note() -> str:
    """Why the catalog may have failed: a read-only or full ``NEMORUN_HOME`` (else "")."""
    if home_is_read_only():
        return f" (NEMORUN_HOME {nemorun_home()} is read-only)"
    if _home_is_full():
        return f" (the disk holding NEMORUN_HOME {nemorun_home()} is full)"
    return ""


def _os_message(error: OSError) -> str:
    reason = _OS_HINTS.get(error.errno or 0) or error.strerror or str(error)
    where = f"{error.filename}: " if error.filename else ""
    if error.errno == errno.EROFS and error.filename:
        home = nemorun_home()
        if Path(str(error.filename)).is_relative_to(home):
            reason += f"; NEMORUN_HOME {home} cannot be written"
    return f"{where}{reason}"


def describe_failure(error: Exception, doing: str) -> Failure:  # noqa: PLR0911 - one per kind
    """The report of `error`, raised while doing `doing` (``"status of demo_1"``).

    Args:
        error: What the command raised.
        doing: What the command was doing, named in messages about the environment (an
            unreachable cluster, a file system error).

    Returns:
        Usage errors exit 2; a missing experiment or job exits 3; everything else exits 1.
    """
    kind = type(error).__name__
    if isinstance(error, CLIError):
        return Failure(kind, error.user_message(), EXIT_USAGE)
    if isinstance(error, InvalidNameError):
        return Failure(kind, str(error), EXIT_USAGE)
    if isinstance(error, (ExperimentNotFoundError, JobNotFoundError)):
        return Failure(kind, str(error), EXIT_NOT_FOUND)
    if isinstance(error, TunnelError):
        return Failure(kind, f"{doing}: {error}", EXIT_FAILED)
    if isinstance(error, CatalogError):
        return Failure(kind, f"{error}{_home_note()}", EXIT_FAILED)
    if isinstance(error, OSError):
        return Failure(kind, f"{doing}: {_os_message(error)}", EXIT_FAILED)
    if isinstance(error, LookupError):  # an unknown job index or name, an unknown backend
        return Failure(kind, str(error), EXIT_NOT_FOUND)
    if isinstance(error, (ExperimentError, ExecError, PackagingError, ConfigError)):
        return Failure(kind, str(error), EXIT_FAILED)
    return Failure(
        kind, f"{doing}: unexpected {kind}: {error} (--verbose shows where)", EXIT_FAILED
    )
