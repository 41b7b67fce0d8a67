"""Keep-alive loops and the callbacks they drive."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nr_tunnel.protocol import Tunnel

__all__ = ["Callback", "keep_alive"]


class Callback:
    """Hooks called by `keep_alive`; override the ones you need (each default does nothing)."""

    def setup(self, tunnel: Tunnel) -> None:
        """Receive the tunnel before the loop starts."""

    def on_start(self) -> None:
        """Called once, after every callback's `setup`."""

    def on_interval(self) -> None:
        """Called once per interval while the loop runs."""

    def on_stop(self) -> None:
        """Called once when the loop ends, however it ends."""

    def on_error(self, error: Exception) -> None:
        """Called with the exception that ended the loop."""


def keep_alive(
    tunnel: Tunnel,
    callbacks: Sequence[Callback],
    *,
    interval: float = 1.0,
    stop: threading.Event | None = None,
) -> None:
    """Run the callbacks until ``stop`` is set, Ctrl-C or an error; then clean up the tunnel.

    Calls ``setup(tunnel)`` and then ``on_start()`` on every callback, then ``on_interval()`` on
    every callback every ``interval`` seconds. ``KeyboardInterrupt`` ends the loop quietly; any
    other exception is passed to every callback's ``on_error`` and not re-raised. Finally
    ``on_stop()`` is called on every callback and the tunnel is cleaned up.

    Args:
        tunnel: The tunnel the callbacks work with.
        callbacks: The callbacks.
        interval: Seconds between two rounds of ``on_interval``.
        stop: Ends the loop when set (from another thread or from a callback).
    """
    stop = stop or threading.Event()
    try:
        for callback in callbacks:
            callback.setup(tunnel)
        for callback in callbacks:
            callback.on_start()
        while not stop.is_set():
            for callback in callbacks:
                callback.on_interval()
            stop.wait(interval)
    except KeyboardInterrupt:
        pass
    except Exception as error:  # noqa: BLE001 - every error is handed to the callbacks
        for callback in callbacks:
            callback.on_error(error)
    finally:
        for callback in callbacks:
            callback.on_stop()
        tunnel.cleanup()
