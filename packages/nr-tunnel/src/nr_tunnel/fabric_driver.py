"""The default SSH driver: one fabric/paramiko connection, channels opened per command.

paramiko's transport is thread-safe for opening channels, so every thread runs its own command
on its own channel of the one shared connection. fabric and paramiko are imported here only,
when a connection is first made.
"""

from __future__ import annotations

import logging
import select
import socket
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from nr_tunnel.errors import (
    AuthenticationError,
    CommandTimeoutError,
    ConnectionLostError,
    HostKeyMismatchError,
    HostUnreachableError,
    UnknownHostKeyError,
)
from nr_tunnel.openssh import system_ssh_argv
from nr_tunnel.retry import backoff_delays, retry

if TYPE_CHECKING:
    from paramiko.channel import Channel
    from paramiko.transport import Transport

    from nr_tunnel.ssh import SSHTunnel

__all__ = ["FabricDriver"]

_log = logging.getLogger(__name__)
_CHUNK = 65536


class FabricDriver:
    """A shared fabric connection for one tunnel configuration.

    Args:
        tunnel: The configuration to connect with.
    """

    def __init__(self, tunnel: SSHTunnel) -> None:
        self._tunnel = tunnel
        self._lock = threading.Lock()
        self._connection: Any = None
        self._jump: Any = None

    # -- connection ----------------------------------------------------------------------------

    def connect(self) -> None:
        """Open the connection unless it is alive, retrying unreachable hosts with backoff."""
        self._transport()

    def close(self) -> None:
        """Close the connection (and the jump host's)."""
        with self._lock:
            self._close_locked()

    def _close_locked(self) -> None:
        for connection in (self._connection, self._jump):
            if connection is not None:
                connection.close()
        self._connection = self._jump = None

    def _transport(self) -> Transport:
        with self._lock:
            if self._connection is not None:
                transport: Transport | None = self._connection.client.get_transport()
                if transport is not None and transport.is_active():
                    return transport
                _log.info("connection to %s is down; reconnecting", self._tunnel.key)
                self._close_locked()
            t = self._tunnel
            retry(
                self._open_locked,
                retry_on=(HostUnreachableError,),
                delays=backoff_delays(t.connect_attempts, t.retry_backoff, t.retry_backoff_max),
                what=f"connecting to {t.key}",
                before_retry=self._close_locked,
            )
            transport = self._connection.client.get_transport()
            assert transport is not None  # noqa: S101 - connect() succeeded
            return transport

    def _open_locked(self) -> None:
        t = self._tunnel
        _log.info("connecting to %s", t.key)
        if t.jump_host:
            user, host, port = t.parsed_jump_host()
            self._jump = self._make_connection(host, user, port, gateway=None)
        try:
            self._connection = self._make_connection(t.host, t.user, t.effective_port, self._jump)
        except BaseException:
            self._close_locked()  # do not leave the jump host's connection open behind us
            raise
        transport = self._connection.client.get_transport()
        transport.set_keepalive(t.server_alive_interval)
        if isinstance(transport.sock, socket.socket):
            # small requests (channel opens) otherwise wait ~40 ms for a delayed ACK (Nagle)
            transport.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _make_connection(self, host: str, user: str, port: int, gateway: Any) -> Any:
        import paramiko  # noqa: PLC0415 - lazy: paramiko is heavy
        from fabric import (  # type: ignore[import-untyped]  # noqa: PLC0415 - lazy
            Config,
            Connection,
        )

        t = self._tunnel
        kwargs: dict[str, Any] = {
            "allow_agent": t.allow_agent,
            "look_for_keys": t.uses_default_keys,
            "banner_timeout": t.connect_timeout,
            "auth_timeout": t.connect_timeout,
        }
        if t.identity:
            kwargs["key_filename"] = [str(Path(t.identity).expanduser())]
        if t.passphrase_env:
            kwargs["passphrase"] = t.secret(t.passphrase_env)
        if t.password_env:
            kwargs["password"] = t.secret(t.password_env)
        connection = Connection(
            host,
            user=user,
            port=port,
            config=Config(overrides={"load_ssh_configs": False}),
            connect_kwargs=kwargs,
            connect_timeout=max(1, round(t.connect_timeout)),
            gateway=gateway if gateway is not None else False,
        )
        client = connection.client
        if t.insecure_skip_host_key_check:
            client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        else:
            known_hosts = t.known_hosts_path
            if Path(known_hosts).exists():
                client.get_host_keys().load(known_hosts)
            client.set_missing_host_key_policy(paramiko.RejectPolicy())
        destination = f"{user}@{host}:{port}"
        try:
            connection.open()
        except paramiko.BadHostKeyException as error:
            connection.close()
            raise HostKeyMismatchError(_known_hosts_name(host, port), t.known_hosts_path) from error
        except paramiko.AuthenticationException as error:
            connection.close()
            raise AuthenticationError(destination, t.auth_methods(), _auth_detail(error)) from error
        except paramiko.SSHException as error:
            connection.close()
            if "not found in known_hosts" in str(error):
                raise UnknownHostKeyError(
                    _known_hosts_name(host, port), t.known_hosts_path
                ) from error
            raise HostUnreachableError(
                f"SSH handshake with {destination} failed: {error}"
            ) from error
        except (OSError, EOFError) as error:
            connection.close()
            raise HostUnreachableError(f"cannot reach {destination}: {error}") from error
        return connection

    # -- commands ------------------------------------------------------------------------------

    def _open_channel(self) -> Channel:
        """Open a session channel; a connection found dead first is reopened (nothing was sent)."""
        for _ in range(2):
            transport = self._transport()
            try:
                return transport.open_session(timeout=self._tunnel.connect_timeout)
            except Exception as error:
                if not _is_ssh_error(error) or transport.is_active():
                    raise
                _log.info("connection to %s dropped (%s); reconnecting", self._tunnel.key, error)
        raise ConnectionLostError(
            f"connection to {self._tunnel.key} lost before the command was sent",
            may_have_run=False,
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
        """Run ``command`` on a new channel (see `nr_tunnel.remote.Driver.execute`)."""
        if stdin is None:
            # Give the command an empty stdin instead of sending EOF after exec: a fast command's
            # channel may already be closed by then, and an EOF on a closed channel makes
            # OpenSSH drop the whole connection.
            command = f"exec </dev/null; {command}"
        channel = self._open_channel()
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            try:
                channel.exec_command(command)
                if stdin is not None:
                    while chunk := stdin.read(_CHUNK):
                        channel.sendall(chunk)
                    channel.shutdown_write()  # the command reads to EOF, so it is still open
            except Exception as error:
                if not _is_ssh_error(error):
                    raise
                raise self._lost(command) from error
            if not _drain(channel, stdout, stderr, deadline):
                raise CommandTimeoutError(command, timeout or 0.0)
            remaining = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            if not channel.status_event.wait(remaining):
                raise CommandTimeoutError(command, timeout or 0.0)
            if channel.exit_status == -1 and not channel.get_transport().is_active():
                raise self._lost(command)
            return channel.exit_status
        finally:
            channel.close()

    def _lost(self, command: str) -> ConnectionLostError:
        return ConnectionLostError(
            f"connection to {self._tunnel.key} was lost while a command was running; it may have "
            f"run (not re-run automatically): {command}",
            command=command,
            may_have_run=True,
        )

    def ssh_argv(self) -> list[str] | None:
        """The system ssh command with this tunnel's settings, when one can authenticate alone."""
        t = self._tunnel
        if t.passphrase_env or t.password_env:
            return None  # system ssh could only prompt; use the tar stream instead
        return system_ssh_argv(t)


def _drain(channel: Channel, stdout: BinaryIO, stderr: BinaryIO, deadline: float | None) -> bool:
    """Copy the channel's output to the sinks until EOF; False if ``deadline`` passed first."""
    while True:
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            return False
        ready, _, _ = select.select([channel], [], [], remaining)
        while channel.recv_ready():
            stdout.write(channel.recv(_CHUNK))
        while channel.recv_stderr_ready():
            stderr.write(channel.recv_stderr(_CHUNK))
        if ready and (channel.eof_received or channel.closed):
            return True


def _is_ssh_error(error: BaseException) -> bool:
    import paramiko  # noqa: PLC0415 - lazy

    return isinstance(error, (OSError, EOFError, paramiko.SSHException, socket.timeout))


def _known_hosts_name(host: str, port: int) -> str:
    return host if port == 22 else f"[{host}]:{port}"


def _auth_detail(error: BaseException) -> str:
    import paramiko  # noqa: PLC0415 - lazy

    if isinstance(error, paramiko.PasswordRequiredException):
        return "a private key is passphrase-protected; set passphrase_env or load it into ssh-agent"
    if isinstance(error, paramiko.BadAuthenticationType):
        return "the server accepts: " + ", ".join(error.allowed_types)
    return str(error)
