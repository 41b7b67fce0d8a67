"""The `Tunnel` protocol: what every tunnel offers to the layers above."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol, runtime_checkable

if TYPE_CHECKING:
    from nr_tunnel.callbacks import Callback
    from nr_tunnel.result import RunResult

__all__ = ["Tunnel"]


@runtime_checkable
class Tunnel(Protocol):
    """A place to run commands and move files: the local machine or a host over SSH.

    Implementations are dataclasses whose init fields describe them completely; connections
    are runtime state kept outside those fields, so a tunnel can be copied, compared and
    rebuilt from its configuration.
    """

    job_dir: str
    host: str
    user: str

    @property
    def key(self) -> str:
        """``user@host:port``, the identity of the connection."""
        ...

    def connect(self) -> None:
        """Open the connection now (operations also open it on first use)."""
        ...

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
        """Run a command and return its exit code and output.

        ``stdin``, a binary file, is streamed to the command's standard input.
        """
        ...

    def setup(self) -> None:
        """Prepare the tunnel for jobs (``SSHTunnel``: create ``job_dir`` on the host)."""
        ...

    def put(self, local: str | Path, remote: str) -> None:
        """Copy a local file to ``remote``."""
        ...

    def get(self, remote: str, local: str | Path) -> None:
        """Copy the file ``remote`` to ``local``."""
        ...

    def sync(
        self,
        local_dir: str | Path,
        remote_dir: str,
        *,
        delete: bool = False,
        exclude: Sequence[str] = (),
    ) -> None:
        """Make ``remote_dir`` hold the contents of ``local_dir``, in one stream."""
        ...

    def read_from(self, remote_path: str, offset: int = 0) -> bytes:
        """Return the bytes of ``remote_path`` from ``offset`` to its current end."""
        ...

    def exists(self, path: str) -> bool:
        """Whether ``path`` exists."""
        ...

    def mkdir(self, path: str) -> None:
        """Create ``path`` and its parents (no error if it exists)."""
        ...

    def cleanup(self) -> None:
        """Release the connection."""
        ...

    def close(self) -> None:
        """Same as `cleanup`."""
        ...

    def keep_alive(
        self,
        *callbacks: Callback,
        interval: float = 1.0,
        stop: threading.Event | None = None,
    ) -> None:
        """Drive callbacks until stopped, then clean up (see `nr_tunnel.keep_alive`)."""
        ...
