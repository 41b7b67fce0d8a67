"""The OpenSSH driver: the system ``ssh`` with a ControlMaster connection that commands reuse.

For clusters that ask for a second factor or limit SSH sessions: the master connection is made
once (interactively if needed) and every command, upload and rsync afterwards is multiplexed over
it. Commands always run with ``ControlMaster=no`` and ``ProxyCommand=false``, so they never become
a master themselves (a forked master would keep our stderr pipe open and hang the read) and never
open a second, separate connection: if the master is gone, the command fails before anything is
sent and the driver restarts the master (or, in reuse-only mode, says how to start it).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shlex
import stat
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from nr_tunnel.errors import (
    AuthenticationError,
    CommandTimeoutError,
    ConnectionLostError,
    ControlMasterNotRunningError,
    HostKeyMismatchError,
    HostUnreachableError,
    TunnelError,
    UnknownHostKeyError,
)
from nr_tunnel.retry import backoff_delays, retry
from nr_tunnel.stdin import popen_stdin

if TYPE_CHECKING:
    from nr_tunnel.ssh import SSHTunnel

__all__ = ["OpenSSHDriver", "control_path", "system_ssh_argv"]

_log = logging.getLogger(__name__)
_SSH_FAILED = 255
_UNREACHABLE = (
    "Connection refused",
    "Could not resolve hostname",
    "Connection timed out",
    "No route to host",
    "Network is unreachable",
    "Operation timed out",
)
# With ProxyCommand=false, these mean the master was not used, so nothing reached the server.
_NO_MASTER = ("Control socket connect", "kex_exchange_identification", "UNKNOWN port 65535")
_LOST = (
    "Connection closed by",
    "Connection reset",
    "Broken pipe",
    "closed by remote host",
    "mux_client_read_packet",
    "client_loop: send disconnect",
)


def system_ssh_argv(tunnel: SSHTunnel, *, batch: bool = True, jump: bool = True) -> list[str]:
    """The ``ssh`` program and options reaching ``tunnel``'s host, without the destination.

    Args:
        tunnel: The settings (port, identity, host key checking, agent, jump host).
        batch: Add ``BatchMode=yes`` (never prompt).
        jump: Reach the host through the tunnel's jump host, if it has one. This is a
            ``ProxyCommand`` rather than ``-J``, so the hop uses the same identity and known_hosts.
    """
    argv = ["ssh", *_auth_options(tunnel, tunnel.effective_port, batch=batch)]
    if jump and tunnel.jump_host:
        user, host, port = tunnel.parsed_jump_host()
        hop = ["ssh", *_auth_options(tunnel, port, batch=batch), "-W", "[%h]:%p", f"{user}@{host}"]
        argv += ["-o", f"ProxyCommand={shlex.join(hop)}"]
    return argv


def _auth_options(tunnel: SSHTunnel, port: int, *, batch: bool) -> list[str]:
    options = ["-p", str(port)]
    if tunnel.identity:
        options += ["-i", str(Path(tunnel.identity).expanduser()), "-o", "IdentitiesOnly=yes"]
    if tunnel.insecure_skip_host_key_check:
        options += ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"]
        options += ["-o", "LogLevel=ERROR"]
    else:
        options += ["-o", "StrictHostKeyChecking=yes"]
        options += ["-o", f"UserKnownHostsFile={tunnel.known_hosts_path}"]
    if not tunnel.allow_agent:
        options += ["-o", "IdentityAgent=none"]
    options += ["-o", f"ConnectTimeout={max(1, round(tunnel.connect_timeout))}"]
    options += ["-o", f"ServerAliveInterval={tunnel.server_alive_interval}"]
    if batch:
        options += ["-o", "BatchMode=yes"]
    return options


def control_dir() -> Path:
    """The private directory holding control sockets: ``$TMPDIR/nr-ssh-<uid>``, mode 0700.

    Raises:
        TunnelError: The directory exists but is not a directory owned by us with mode 0700.
    """
    path = Path(tempfile.gettempdir()) / f"nr-ssh-{os.getuid()}"
    path.mkdir(mode=0o700, exist_ok=True)
    info = path.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise TunnelError(
            f"refusing to use {path} for SSH control sockets: it must be a directory owned by "
            f"uid {os.getuid()} with mode 0700"
        )
    return path


def control_path(tunnel: SSHTunnel) -> Path:
    """The control socket of ``tunnel``: a hash of ``user@host:port`` and the credentials.

    Hashing keeps the path short (AF_UNIX allows ~100 characters); including the identity,
    known_hosts and jump host means a tunnel never borrows a master authenticated differently.

    Raises:
        TunnelError: Something other than a socket owned by us is at that path.
    """
    identity = (
        tunnel.key,
        tunnel.identity,
        tunnel.known_hosts_path,
        tunnel.insecure_skip_host_key_check,
        tunnel.jump_host,
    )
    digest = hashlib.sha256(repr(identity).encode()).hexdigest()[:20]
    path = control_dir() / f"cm-{digest}"
    try:
        info = path.lstat()
    except FileNotFoundError:
        return path
    if not stat.S_ISSOCK(info.st_mode) or info.st_uid != os.getuid():
        raise TunnelError(f"refusing to use {path} as a control socket: not a socket owned by us")
    return path


class OpenSSHDriver:
    """Runs commands through the system ``ssh``, multiplexed over one master connection.

    Args:
        tunnel: The configuration.
    """

    def __init__(self, tunnel: SSHTunnel) -> None:
        self._tunnel = tunnel
        self._lock = threading.Lock()

    @property
    def _destination(self) -> str:
        return f"{self._tunnel.user}@{self._tunnel.host}"

    def _control(self) -> list[str]:
        return ["-o", f"ControlPath={control_path(self._tunnel)}"]

    def master_command(self, *, batch: bool = False) -> list[str]:
        """The command that starts the master connection in the background.

        Args:
            batch: Never prompt (for a caller without a terminal).
        """
        return [
            *system_ssh_argv(self._tunnel, batch=batch),
            *self._control(),
            "-o", "ControlMaster=auto",
            "-o", f"ControlPersist={self._tunnel.control_persist}",
            "-M", "-N", "-f", self._destination,
        ]  # fmt: skip

    def ssh_argv(self) -> list[str]:
        """The ssh command that only reuses the master (for commands and for rsync)."""
        return [
            *system_ssh_argv(self._tunnel, jump=False),
            *self._control(),
            "-o", "ControlMaster=no",
            "-o", "ProxyCommand=false",
        ]  # fmt: skip

    def _master_alive(self) -> bool:
        check = [*self.ssh_argv(), "-O", "check", self._destination]
        done = subprocess.run(check, capture_output=True, stdin=subprocess.DEVNULL, check=False)
        return done.returncode == 0

    def connect(self) -> None:
        """Make sure a master connection runs: start one, or fail in reuse-only mode."""
        with self._lock:
            if self._master_alive():
                return
            if self._tunnel.reuse_master_only:
                raise ControlMasterNotRunningError(
                    self._tunnel.key, shlex.join(self.master_command())
                )
            t = self._tunnel
            retry(
                self._start_master,
                retry_on=(HostUnreachableError,),
                delays=backoff_delays(t.connect_attempts, t.retry_backoff, t.retry_backoff_max),
                what=f"starting the SSH master for {t.key}",
            )

    def _start_master(self) -> None:
        argv = self.master_command(batch=not sys.stdin.isatty())
        _log.info("starting SSH master connection to %s", self._tunnel.key)
        # stderr goes to a file, never a pipe: the backgrounded master inherits it and would keep
        # a pipe open forever. We wait for the foreground ssh to exit, which it does once the
        # master is authenticated (-f).
        with tempfile.TemporaryFile() as errors:
            code = subprocess.run(
                argv, stdout=subprocess.DEVNULL, stderr=errors, check=False
            ).returncode
            errors.seek(0)
            text = errors.read().decode("utf-8", "replace")
        if code != 0:
            raise classify(text, self._tunnel) or TunnelError(
                f"ssh master for {self._tunnel.key} exited with status {code}: {text.strip()}"
            )

    def execute(
        self,
        command: str,
        *,
        stdin: BinaryIO | None,
        stdout: BinaryIO,
        stderr: BinaryIO,
        timeout: float | None,
    ) -> int:
        """Run ``command`` over the master (see `nr_tunnel.remote.Driver.execute`)."""
        start = stdin.tell() if stdin is not None else 0
        for attempt in range(2):
            source, data = popen_stdin(stdin)
            process = subprocess.Popen(
                [*self.ssh_argv(), self._destination, command],
                stdin=source,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            try:
                out, err = process.communicate(data, timeout=timeout)
            except subprocess.TimeoutExpired as error:
                # The master holds copies of our pipes (ssh passes them to it) until the remote
                # command ends, so do not wait for EOF: kill the client and drop the pipes.
                process.kill()
                process.wait()
                for pipe in (process.stdout, process.stderr):
                    if pipe is not None:
                        pipe.close()
                raise CommandTimeoutError(command, timeout or 0.0) from error
            text = err.decode("utf-8", "replace")
            if process.returncode == _SSH_FAILED and any(m in text for m in _NO_MASTER):
                # nothing reached the server: (re)start the master, then try once more
                if attempt == 1:
                    break
                if stdin is not None:
                    stdin.seek(start)
                self.connect()
                continue
            if process.returncode == _SSH_FAILED and (
                any(m in text for m in _LOST) or not self._master_alive()
            ):
                raise ConnectionLostError(
                    f"connection to {self._tunnel.key} was lost while a command was running; "
                    f"it may have run (not re-run automatically): {command}",
                    command=command,
                    may_have_run=True,
                )
            stdout.write(out)
            stderr.write(err)
            return process.returncode
        raise ConnectionLostError(f"no master connection to {self._tunnel.key}", may_have_run=False)

    def close(self) -> None:
        """Leave the master running (ControlPersist ends it); nothing to release here."""


def classify(stderr: str, tunnel: SSHTunnel) -> TunnelError | None:
    """Map an ``ssh`` error message to a specific error, or None if it is not recognised."""
    host = (
        tunnel.host if tunnel.effective_port == 22 else f"[{tunnel.host}]:{tunnel.effective_port}"
    )
    if "REMOTE HOST IDENTIFICATION HAS CHANGED" in stderr or "Offending" in stderr:
        return HostKeyMismatchError(host, tunnel.known_hosts_path)
    if "Host key verification failed" in stderr or re.search(r"No \S+ host key is known", stderr):
        return UnknownHostKeyError(host, tunnel.known_hosts_path)
    denied = re.search(r"Permission denied \(([^)]*)\)", stderr)
    if denied:
        return AuthenticationError(
            tunnel.key, tunnel.auth_methods(), f"the server accepts: {denied.group(1)}"
        )
    if any(marker in stderr for marker in _UNREACHABLE):
        return HostUnreachableError(f"cannot reach {tunnel.key}: {stderr.strip()}")
    return None
