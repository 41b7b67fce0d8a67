"""`LocalTunnel`: the tunnel operations on this machine (e.g. from a cluster's login node)."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from nr_tunnel.callbacks import Callback, keep_alive
from nr_tunnel.errors import CommandTimeoutError, RemotePathNotFoundError
from nr_tunnel.quoting import build_command, shown_command
from nr_tunnel.result import RunResult, deliver
from nr_tunnel.stdin import popen_stdin
from nr_tunnel.sync import local_sync

__all__ = ["LocalTunnel"]

_SHELL = "/bin/sh"


@dataclass(kw_only=True)
class LocalTunnel:
    """Runs commands and copies files on the local machine.

    Use it instead of `SSHTunnel` when launching from a machine that already sees the cluster's
    file system and scheduler, such as a Slurm login node.

    Attributes:
        job_dir: Base directory for job files (may be empty; upper layers fill it in).
        host: Always ``"localhost"``.
        user: Always ``""`` (the current user).
    """

    job_dir: str = ""
    host: str = field(default="localhost", init=False)
    user: str = field(default="", init=False)

    @property
    def key(self) -> str:
        """``"localhost"``."""
        return self.host

    def connect(self) -> None:
        """Do nothing: there is no connection to open."""

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
        """Run a command with ``/bin/sh``.

        Args:
            command: A shell command line, or an argument vector (quoted safely).
            hide: Do not copy the output to this process's stdout/stderr.
            warn: Return a failed result instead of raising.
            timeout: Seconds before the command is killed.
            env: Extra environment variables.
            cwd: Directory to run in.
            stdin: A binary file the command reads as its standard input (default: none).

        Returns:
            The exit code and output.

        Raises:
            CommandFailedError: Non-zero exit and ``warn=False``.
            RemoteCommandNotFoundError: The command does not exist (status 127).
            CommandTimeoutError: ``timeout`` elapsed.
        """
        script = build_command(command, env=env, cwd=cwd)
        shown = shown_command(command, env=env, cwd=cwd)
        source, data = popen_stdin(stdin)
        try:
            done = subprocess.run(
                [_SHELL, "-c", script],
                capture_output=True,
                stdin=None if data is not None else source,
                input=data,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise CommandTimeoutError(
                shown_command(command, env=env, cwd=cwd), timeout or 0.0
            ) from None
        result = RunResult(
            exit_code=done.returncode,
            stdout=done.stdout.decode("utf-8", "replace"),
            stderr=done.stderr.decode("utf-8", "replace"),
            command=shown,
        )
        return deliver(result, hide=hide, warn=warn)

    def setup(self) -> None:
        """Do nothing: the local job directory is created by whoever writes into it."""

    def put(self, local: str | Path, remote: str) -> None:
        """Copy a file (or a directory tree) to ``remote``.

        Nothing happens if both name the same path (checked before anything else, so it need
        not exist), as with NeMo-Run's ``LocalTunnel``.
        """
        self._copy(Path(local), Path(remote))

    def get(self, remote: str, local: str | Path) -> None:
        """Copy ``remote`` (a file or a directory tree) to ``local``; the same path: nothing."""
        self._copy(Path(remote), Path(local))

    def sync(
        self,
        local_dir: str | Path,
        remote_dir: str,
        *,
        delete: bool = False,
        exclude: Sequence[str] = (),
    ) -> None:
        """Copy the contents of ``local_dir`` into ``remote_dir`` (unchanged files are skipped).

        Args:
            local_dir: Source directory.
            remote_dir: Target directory, created if missing.
            delete: Remove files in the target that are not in the source.
            exclude: Patterns to skip (see `nr_tunnel.sync`).
        """
        local_sync(Path(local_dir), Path(remote_dir), delete=delete, exclude=exclude)

    def read_from(self, remote_path: str, offset: int = 0) -> bytes:
        """Return the bytes of ``remote_path`` from ``offset`` to its current end."""
        try:
            with Path(remote_path).open("rb") as handle:
                handle.seek(offset)
                return handle.read()
        except FileNotFoundError as error:
            raise RemotePathNotFoundError(remote_path, "localhost") from error

    def exists(self, path: str) -> bool:
        """Whether ``path`` exists."""
        return os.path.lexists(path)

    def mkdir(self, path: str) -> None:
        """Create ``path`` and its parents."""
        Path(path).mkdir(parents=True, exist_ok=True)

    def cleanup(self) -> None:
        """Do nothing: there is no connection to release."""

    def close(self) -> None:
        """Same as `cleanup`."""
        self.cleanup()

    def keep_alive(
        self,
        *callbacks: Callback,
        interval: float = 1.0,
        stop: threading.Event | None = None,
    ) -> None:
        """Drive ``callbacks`` until stopped (see `nr_tunnel.keep_alive`)."""
        keep_alive(self, callbacks, interval=interval, stop=stop)

    @staticmethod
    def _copy(source: Path, target: Path) -> None:
        if source.absolute() == target.absolute():
            return
        if not source.exists():
            raise RemotePathNotFoundError(str(source), "localhost")
        if target.exists() and source.samefile(target):
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, symlinks=True, dirs_exist_ok=True)
        else:
            shutil.copy2(source, target)
