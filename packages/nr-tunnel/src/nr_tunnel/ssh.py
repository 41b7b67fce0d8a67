"""`SSHTunnel`: commands and file transfer on a remote host over one shared SSH connection."""

from __future__ import annotations

import os
import re
import shlex
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import BinaryIO, Literal, TypeVar

from nr_tunnel.callbacks import Callback, keep_alive
from nr_tunnel.errors import ConnectionLostError, TunnelError
from nr_tunnel.quoting import build_command, shown_command
from nr_tunnel.remote import RemoteFiles
from nr_tunnel.result import RunResult, deliver, secrets_hidden
from nr_tunnel.retry import backoff_delays, retry
from nr_tunnel.sessions import close_driver, driver_for

__all__ = ["SSHTunnel"]

T = TypeVar("T")
_DEFAULT_PORT = 22
_JUMP = re.compile(r"(?:(?P<user>[^@]+)@)?(?P<host>\[[^\]]+\]|[^:]+)(?::(?P<port>\d+))?\Z")
_NOT_CONNECTION = frozenset({"job_dir", "pre_command", "shell"})


@dataclass(kw_only=True)
class SSHTunnel:
    """Runs commands and moves files on ``host`` over SSH.

    All tunnels with the same connection settings share one connection per process, safely
    across threads. A dropped connection is reopened with exponential backoff; a command whose
    connection dropped after it was sent is not re-run (`ConnectionLostError`), while file
    operations, which are idempotent, are retried.

    Attributes:
        host: Host name or address.
        user: Login name.
        job_dir: Base directory for job files on the remote side.
        port: SSH port (None: 22).
        identity: Private key file (``~`` is expanded). None: the agent and the default keys.
        shell: Run every command as ``<shell> -c <command>`` (e.g. ``bash`` when the login shell
            is not POSIX). None: the login shell.
        pre_command: Shell command run before every command (``<pre> && <command>``), e.g.
            ``source ~/.bashrc``.
        known_hosts: known_hosts file to check the host key against.
        insecure_skip_host_key_check: Accept any host key. Only for throw-away hosts.
        allow_agent: Offer the keys of a running ssh-agent.
        look_for_keys: Try ``~/.ssh/id_*``; None: only when ``identity`` is not set.
        passphrase_env: Name of the environment variable holding ``identity``'s passphrase
            (the passphrase itself is never a field, so it is never serialized nor logged).
        password_env: Name of the environment variable holding a password (fabric backend).
        jump_host: ``[user@]host[:port]`` to connect through (ProxyJump), authenticated with
            the same identity and known_hosts.
        backend: ``"fabric"`` (paramiko, default) or ``"openssh"`` (system ``ssh`` with a
            ControlMaster connection, for MFA or session-limited clusters).
        reuse_master_only: OpenSSH backend: never start the master connection; fail with the
            command that starts it instead.
        control_persist: OpenSSH backend: how long an idle master stays up (``ControlPersist``).
        connect_timeout: Seconds to wait for the TCP connection and the SSH handshake.
        connect_attempts: Connection attempts before giving up on an unreachable host.
        retry_backoff: Pause after the first failed attempt, doubled after each further one.
        retry_backoff_max: Longest pause between attempts.
        server_alive_interval: Seconds between keep-alive messages on an idle connection.
    """

    host: str
    user: str
    job_dir: str
    port: int | None = None
    identity: str | None = None
    shell: str | None = None
    pre_command: str | None = None
    known_hosts: str = "~/.ssh/known_hosts"
    insecure_skip_host_key_check: bool = False
    allow_agent: bool = True
    look_for_keys: bool | None = None
    passphrase_env: str | None = None
    password_env: str | None = None
    jump_host: str | None = None
    backend: Literal["fabric", "openssh"] = "fabric"
    reuse_master_only: bool = False
    control_persist: str = "30m"
    connect_timeout: float = 15.0
    connect_attempts: int = 4
    retry_backoff: float = 0.5
    retry_backoff_max: float = 8.0
    server_alive_interval: int = 30

    def __post_init__(self) -> None:
        if self.backend not in ("fabric", "openssh"):
            raise ValueError(f"backend must be 'fabric' or 'openssh', not {self.backend!r}")
        if self.reuse_master_only and self.backend != "openssh":
            raise ValueError("reuse_master_only needs backend='openssh'")
        if self.jump_host is not None:
            self.parsed_jump_host()

    # -- derived settings ----------------------------------------------------------------------

    @property
    def key(self) -> str:
        """``user@host:port``."""
        return f"{self.user}@{self.host}:{self.effective_port}"

    @property
    def effective_port(self) -> int:
        """The port, 22 when not set."""
        return self.port or _DEFAULT_PORT

    @property
    def known_hosts_path(self) -> str:
        """``known_hosts`` with ``~`` expanded."""
        return str(Path(self.known_hosts).expanduser())

    @property
    def uses_default_keys(self) -> bool:
        """Whether ``~/.ssh/id_*`` keys are tried."""
        return self.identity is None if self.look_for_keys is None else self.look_for_keys

    def parsed_jump_host(self) -> tuple[str, str, int]:
        """``(user, host, port)`` of the jump host (user and port default to this tunnel's).

        Raises:
            ValueError: No jump host, or one not of the form ``[user@]host[:port]``.
        """
        match = _JUMP.match(self.jump_host or "")
        if match is None:
            raise ValueError(f"jump_host must be [user@]host[:port], not {self.jump_host!r}")
        port = int(match["port"]) if match["port"] else _DEFAULT_PORT
        return match["user"] or self.user, match["host"].strip("[]"), port

    def auth_methods(self) -> list[str]:
        """Human-readable names of the authentication methods this tunnel tries, in order."""
        methods: list[str] = []
        if self.identity:
            suffix = " with passphrase" if self.passphrase_env else ""
            methods.append(f"publickey (key file {self.identity}{suffix})")
        if self.allow_agent:
            methods.append("publickey (ssh-agent)")
        if self.uses_default_keys:
            methods.append("publickey (default keys ~/.ssh/id_*)")
        if self.password_env:
            methods.append(f"password (from ${self.password_env})")
        return methods

    def secret(self, variable: str) -> str:
        """Read a secret from the environment variable ``variable``.

        Raises:
            TunnelError: The variable is not set (its value is never put in a message).
        """
        value = os.environ.get(variable)
        if value is None:
            raise TunnelError(
                f"environment variable {variable} (a credential for {self.key}) is not set"
            )
        return value

    def connection_key(self) -> tuple[object, ...]:
        """The settings that identify this tunnel's connection in the process-wide registry."""
        return tuple(
            (f.name, getattr(self, f.name)) for f in fields(self) if f.name not in _NOT_CONNECTION
        )

    # -- operations ----------------------------------------------------------------------------

    def connect(self) -> None:
        """Open the connection now (every operation also opens it on first use).

        Raises:
            HostUnreachableError: The host cannot be reached after ``connect_attempts`` tries.
            AuthenticationError: The server refused every method tried.
            HostKeyMismatchError: The host key differs from the one in ``known_hosts``.
            UnknownHostKeyError: The host is not in ``known_hosts``.
            ControlMasterNotRunningError: OpenSSH reuse-only mode without a master.
        """
        driver_for(self).connect()

    def run(
        self,
        command: str | Sequence[str],
        *,
        hide: bool = True,
        warn: bool = False,
        timeout: float | None = None,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
        stdin: BinaryIO | None = None,
    ) -> RunResult:
        """Run a command on the remote host.

        Args:
            command: A shell command line, or an argument vector (each argument quoted, the safe
                way to pass names with spaces, quotes, ``$``, ``;`` or newlines).
            hide: Do not copy the output to this process's stdout/stderr.
            warn: Return a failed result instead of raising.
            timeout: Seconds before the command's channel is closed.
            env: Environment variables to export for the command.
            cwd: Remote directory to run in.
            stdin: A binary file streamed to the command's standard input (default: none).

        Returns:
            The exit code and output.

        Raises:
            CommandFailedError: Non-zero exit and ``warn=False``.
            RemoteCommandNotFoundError: The command does not exist (status 127).
            ConnectionLostError: The connection dropped after the command was sent; it may have
                run, and it is not re-run.
            CommandTimeoutError: ``timeout`` elapsed.
        """
        script = build_command(command, env=env, cwd=cwd, pre_command=self.pre_command)
        shown = shown_command(command, env=env, cwd=cwd, pre_command=self.pre_command)
        if self.shell:
            script = f"{shlex.quote(self.shell)} -c {shlex.quote(script)}"
            shown = f"{shlex.quote(self.shell)} -c {shlex.quote(shown)}"
        with secrets_hidden(script, shown):
            result = self._files().run(script, timeout=timeout, stdin=stdin)
        return deliver(replace(result, command=shown), hide=hide, warn=warn)

    def setup(self) -> None:
        """Create ``job_dir`` (and its parents) on the remote host, as ``mkdir -p`` does.

        Raises:
            TunnelError: ``job_dir`` is empty, so there is no directory to create.
        """
        if not self.job_dir:
            raise TunnelError(
                f"SSHTunnel({self.key}).setup(): job_dir is empty; set job_dir to the remote "
                "base directory for job files, e.g. job_dir='/home/me/nemo-run'"
            )
        self.mkdir(self.job_dir)

    def put(self, local: str | Path, remote: str) -> None:
        """Upload the file ``local`` to ``remote`` atomically, keeping its mode bits.

        Remote paths are used literally (no ``~`` expansion); relative ones are relative to the
        login directory. Missing parent directories are created.
        """
        path = Path(local)
        self._idempotent(lambda: self._files().put(path, remote), f"put {remote}")

    def get(self, remote: str, local: str | Path) -> None:
        """Download the file ``remote`` to ``local`` (atomically replaced).

        Raises:
            RemotePathNotFoundError: ``remote`` does not exist.
        """
        path = Path(local)
        self._idempotent(lambda: self._files().get(remote, path), f"get {remote}")

    def sync(
        self,
        local_dir: str | Path,
        remote_dir: str,
        *,
        delete: bool = False,
        exclude: Sequence[str] = (),
    ) -> None:
        """Copy the contents of ``local_dir`` into ``remote_dir`` in one stream.

        rsync over the same SSH settings when rsync exists on both ends (only changed files
        move), otherwise one tar stream through the connection.

        Args:
            local_dir: Source directory.
            remote_dir: Target directory, created if missing.
            delete: Remove remote files that are not in ``local_dir`` (excluded ones are kept).
            exclude: Patterns to skip (see `nr_tunnel.sync`).
        """
        source = Path(local_dir)
        self._idempotent(
            lambda: self._files().sync(source, remote_dir, delete=delete, exclude=exclude),
            f"sync to {remote_dir}",
        )

    def read_from(self, remote_path: str, offset: int = 0) -> bytes:
        """Return the bytes of ``remote_path`` from ``offset`` to its current end.

        Only the new bytes cross the network, so tailing a growing log costs what it grew by.

        Raises:
            RemotePathNotFoundError: The file does not exist.
        """
        return self._idempotent(
            lambda: self._files().read_from(remote_path, offset), f"read {remote_path}"
        )

    def exists(self, path: str) -> bool:
        """Whether ``path`` exists on the remote host."""
        return self._idempotent(lambda: self._files().exists(path), f"exists {path}")

    def mkdir(self, path: str) -> None:
        """Create the remote directory ``path`` and its parents."""
        self._idempotent(lambda: self._files().mkdir(path), f"mkdir {path}")

    def cleanup(self) -> None:
        """Close the connection this tunnel shares with equal tunnels in this process.

        With the OpenSSH backend the master connection is left to ``control_persist``.
        """
        close_driver(self)

    def close(self) -> None:
        """Same as `cleanup`."""
        self.cleanup()

    def keep_alive(
        self,
        *callbacks: Callback,
        interval: float = 1.0,
        stop: threading.Event | None = None,
    ) -> None:
        """Drive ``callbacks`` until stopped, then clean up (see `nr_tunnel.keep_alive`)."""
        keep_alive(self, callbacks, interval=interval, stop=stop)

    # -- helpers -------------------------------------------------------------------------------

    def _files(self) -> RemoteFiles:
        return RemoteFiles(driver_for(self), f"{self.user}@{self.host}", self.key)

    def _idempotent(self, operation: Callable[[], T], what: str) -> T:
        return retry(
            operation,
            retry_on=(ConnectionLostError,),
            delays=backoff_delays(
                self.connect_attempts, self.retry_backoff, self.retry_backoff_max
            ),
            what=what,
        )
