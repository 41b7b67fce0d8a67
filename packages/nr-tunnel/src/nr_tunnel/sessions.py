"""The process-wide registry of SSH connections: one per configuration, shared by threads.

Tunnels are plain configuration; their connections live here, keyed by the connection-relevant
settings (``user@host:port`` plus backend, credentials and host key options), so equal tunnels,
copies of a tunnel and threads all share one connection. After ``fork`` the child starts with an
empty registry and never touches the parent's sockets.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nr_tunnel.remote import Driver
    from nr_tunnel.ssh import SSHTunnel

__all__ = ["close_driver", "driver_for", "open_driver_count"]

_lock = threading.Lock()
_drivers: dict[tuple[object, ...], Driver] = {}
_pid = os.getpid()


def _forget_after_fork() -> None:
    global _pid  # noqa: PLW0603 - the registry is process state by design
    if os.getpid() != _pid:
        _drivers.clear()
        _pid = os.getpid()


def driver_for(tunnel: SSHTunnel) -> Driver:
    """Return the shared driver for ``tunnel``'s connection settings, creating it if needed."""
    key = tunnel.connection_key()
    with _lock:
        _forget_after_fork()
        driver = _drivers.get(key)
        if driver is None:
            if tunnel.backend == "openssh":
                from nr_tunnel.openssh import OpenSSHDriver  # noqa: PLC0415 - import on demand

                driver = OpenSSHDriver(tunnel)
            else:
                from nr_tunnel.fabric_driver import FabricDriver  # noqa: PLC0415 - import on demand

                driver = FabricDriver(tunnel)
            _drivers[key] = driver
        return driver


def close_driver(tunnel: SSHTunnel) -> None:
    """Close and forget the connection of ``tunnel``'s settings, if there is one."""
    with _lock:
        _forget_after_fork()
        driver = _drivers.pop(tunnel.connection_key(), None)
    if driver is not None:
        driver.close()


def open_driver_count() -> int:
    """How many connections the registry holds (for tests and diagnostics)."""
    with _lock:
        _forget_after_fork()
        return len(_drivers)
