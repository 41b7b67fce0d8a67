"""SSH and local tunnels that reuse connections and survive drops, usable alone.

`LocalTunnel` runs commands and copies files on this machine; `SSHTunnel` does the same on a
remote host over one shared SSH connection per process (fabric/paramiko, or the system ``ssh``
with a ControlMaster connection). Both follow the `Tunnel` protocol.

The errors are loaded with the package; the tunnels (and the standard library modules they
use: subprocess, threading, dataclasses, ...) on first access of their names.
"""

import importlib

from nr_tunnel.__about__ import __version__
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

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from nr_tunnel.callbacks import Callback, keep_alive
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

_LAZY = {
    "Callback": "nr_tunnel.callbacks",
    "keep_alive": "nr_tunnel.callbacks",
    "LocalTunnel": "nr_tunnel.local",
    "Tunnel": "nr_tunnel.protocol",
    "RunResult": "nr_tunnel.result",
    "SSHTunnel": "nr_tunnel.ssh",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
