"""SSH and local tunnels that reuse connections and survive drops, usable alone.

`LocalTunnel` runs commands and copies files on this machine; `SSHTunnel` does the same on a
remote host over one shared SSH connection per process (fabric/paramiko, or the system ``ssh``
with a ControlMaster connection). Both follow the `Tunnel` protocol.
"""

from nr_tunnel.__about__ import __version__
from nr_tunnel.callbacks import Callback, keep_alive
from nr_tunnel.errors import (
    AuthenticationError,
    CommandFailedError,
    CommandTimeoutError,
    ConnectionLostError,
    ControlMasterNotRunningError,
    HostKeyError,
    HostKeyMismatchError,
    HostUnreachableError,
    RemoteCommandNotFoundError,
    RemotePathNotFoundError,
    TunnelError,
    UnknownHostKeyError,
)
from nr_tunnel.local import LocalTunnel
from nr_tunnel.protocol import Tunnel
from nr_tunnel.result import RunResult
from nr_tunnel.ssh import SSHTunnel

__all__ = [
    "AuthenticationError",
    "Callback",
    "CommandFailedError",
    "CommandTimeoutError",
    "ConnectionLostError",
    "ControlMasterNotRunningError",
    "HostKeyError",
    "HostKeyMismatchError",
    "HostUnreachableError",
    "LocalTunnel",
    "RemoteCommandNotFoundError",
    "RemotePathNotFoundError",
    "RunResult",
    "SSHTunnel",
    "Tunnel",
    "TunnelError",
    "UnknownHostKeyError",
    "__version__",
    "keep_alive",
]
