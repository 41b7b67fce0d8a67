"""Errors raised by nr_tunnel.

Every error derives from `TunnelError`. Messages name the host, the command or the file involved
and never contain a secret (passphrases and passwords are not part of any message).
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "AuthenticationError",
    "CommandFailedError",
    "CommandTimeoutError",
    "ConnectionLostError",
    "ControlMasterNotRunningError",
    "HostKeyError",
    "HostKeyMismatchError",
    "HostUnreachableError",
    "RemoteCommandNotFoundError",
    "RemotePathNotFoundError",
    "TunnelError",
    "UnknownHostKeyError",
]

_TAIL_CHARS = 2000


def _tail(text: str) -> str:
    text = text.rstrip()
    return text if len(text) <= _TAIL_CHARS else "..." + text[-_TAIL_CHARS:]


class TunnelError(Exception):
    """Base class of every tunnel error raised by nr_tunnel."""


class HostUnreachableError(TunnelError):
    """The host could not be reached (name not resolved, connection refused or timed out)."""


class AuthenticationError(TunnelError):
    """The server refused every authentication method that was tried.

    Attributes:
        destination: ``user@host:port``.
        methods: Human-readable names of the methods tried, in order.
    """

    def __init__(self, destination: str, methods: Sequence[str], detail: str = "") -> None:
        self.destination = destination
        self.methods = tuple(methods)
        tried = ", ".join(self.methods) or "none"
        message = f"authentication to {destination} failed; methods tried: {tried}"
        super().__init__(f"{message} ({detail})" if detail else message)


class HostKeyError(TunnelError):
    """The server's host key could not be verified."""


class HostKeyMismatchError(HostKeyError):
    """The server's host key differs from the one recorded in known_hosts.

    Attributes:
        host: The host (as written in known_hosts, e.g. ``[127.0.0.1]:2222``).
        known_hosts: The known_hosts file holding the recorded key.
    """

    def __init__(self, host: str, known_hosts: str) -> None:
        self.host = host
        self.known_hosts = known_hosts
        super().__init__(
            f"host key of {host} does not match the key recorded in {known_hosts}; this may be "
            "an attack, or the server was reinstalled: verify the new key out of band, then "
            f"update {known_hosts}"
        )


class UnknownHostKeyError(HostKeyError):
    """The server is not listed in known_hosts and strict host key checking is on."""

    def __init__(self, host: str, known_hosts: str) -> None:
        self.host = host
        self.known_hosts = known_hosts
        super().__init__(
            f"{host} is not in {known_hosts}; add its verified key there (for example with "
            "`ssh-keyscan` checked against the fingerprint the administrator publishes), or "
            "set insecure_skip_host_key_check=True to skip the check"
        )


class ConnectionLostError(TunnelError):
    """The connection dropped during an operation.

    Attributes:
        command: The remote command, when the connection dropped while one was running.
        may_have_run: True when the command had already been sent, so it may have run
            (entirely or partly) on the remote side; it is never re-run automatically.
    """

    def __init__(self, message: str, *, command: str | None = None, may_have_run: bool) -> None:
        self.command = command
        self.may_have_run = may_have_run
        super().__init__(message)


class ControlMasterNotRunningError(TunnelError):
    """No OpenSSH master connection is running and the tunnel may only reuse one.

    Attributes:
        start_command: The exact command that starts the master connection.
    """

    def __init__(self, destination: str, start_command: str) -> None:
        self.start_command = start_command
        super().__init__(
            f"no SSH master connection to {destination} is running and this tunnel only reuses "
            f"one; start it (it may ask for your password or second factor) with:\n"
            f"    {start_command}"
        )


class CommandFailedError(TunnelError):
    """A command exited with a non-zero status and ``warn=False``.

    Attributes:
        command: The command line as sent.
        exit_code: Its exit status.
        stdout: Its standard output.
        stderr: Its standard error.
    """

    def __init__(self, command: str, exit_code: int, stdout: str = "", stderr: str = "") -> None:
        self.command = command
        self.exit_code = exit_code
        self.stdout = stdout
        self.stderr = stderr
        message = f"command exited with status {exit_code}: {command}"
        if stderr.strip():
            message += f"\nstderr (tail):\n{_tail(stderr)}"
        super().__init__(message)


class RemoteCommandNotFoundError(CommandFailedError):
    """The shell could not find the command (exit status 127)."""


class CommandTimeoutError(TunnelError):
    """A command did not finish within its timeout; its channel or process was closed."""

    def __init__(self, command: str, timeout: float) -> None:
        self.command = command
        self.timeout = timeout
        super().__init__(f"command did not finish within {timeout:g}s: {command}")


class RemotePathNotFoundError(TunnelError, FileNotFoundError):
    """A path to read or download does not exist on the tunnel's side."""

    def __init__(self, path: str, where: str) -> None:
        self.path = path
        super().__init__(f"{path} does not exist on {where}")
