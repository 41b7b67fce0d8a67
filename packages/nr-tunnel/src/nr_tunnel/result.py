"""The outcome of a command run through a tunnel."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from nr_tunnel.errors import (
    CommandFailedError,
    CommandTimeoutError,
    ConnectionLostError,
    RemoteCommandNotFoundError,
)

__all__ = ["COMMAND_NOT_FOUND", "RunResult", "deliver", "secrets_hidden"]

COMMAND_NOT_FOUND = 127
"""Exit status POSIX shells use when a command cannot be found."""


@dataclass(frozen=True)
class RunResult:
    """What a command did.

    Attributes:
        exit_code: The exit status (0 means success).
        stdout: Standard output, decoded as UTF-8 (invalid bytes replaced).
        stderr: Standard error, decoded the same way.
        command: The command line as sent to the shell.
    """

    exit_code: int
    stdout: str
    stderr: str
    command: str

    @property
    def ok(self) -> bool:
        """Whether the command exited with status 0."""
        return self.exit_code == 0

    def check(self) -> RunResult:
        """Raise if the command failed; return the result otherwise.

        Returns:
            This result, so calls can be chained.

        Raises:
            RemoteCommandNotFoundError: The shell could not find the command (status 127).
            CommandFailedError: Any other non-zero status.
        """
        if self.exit_code == COMMAND_NOT_FOUND:
            raise RemoteCommandNotFoundError(self.command, self.exit_code, self.stdout, self.stderr)
        if self.exit_code != 0:
            raise CommandFailedError(self.command, self.exit_code, self.stdout, self.stderr)
        return self


def deliver(result: RunResult, *, hide: bool, warn: bool) -> RunResult:
    """Show the output unless ``hide``, then raise on failure unless ``warn``.

    Args:
        result: The finished command.
        hide: Do not copy the output to this process's stdout and stderr.
        warn: Return a failed result instead of raising.

    Returns:
        ``result``.
    """
    if not hide:
        sys.stdout.write(result.stdout)
        sys.stderr.write(result.stderr)
    return result if warn else result.check()


@contextmanager
def secrets_hidden(script: str, shown: str) -> Iterator[None]:
    """Re-raise timeouts and lost connections of ``script`` naming ``shown`` instead.

    ``shown`` is the script with its environment values masked (see `shown_command`); the
    original exception is dropped from the chain because its message holds the values.
    """
    try:
        yield
    except CommandTimeoutError as error:
        raise CommandTimeoutError(shown, error.timeout) from None
    except ConnectionLostError as error:
        if error.command is None:
            raise
        message = str(error).replace(script, shown)
        raise ConnectionLostError(message, command=shown, may_have_run=error.may_have_run) from None
