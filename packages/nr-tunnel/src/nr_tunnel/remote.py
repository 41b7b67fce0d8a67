"""File and command operations on a remote POSIX host, built on one primitive: ``execute``.

A driver (the fabric one or the OpenSSH one) only knows how to run a command line with a given
stdin and stdout; everything else (upload, download, incremental reads, directory sync) is a
single command streaming its data, so each operation is one round trip and never one request per
file.
"""

from __future__ import annotations

import io
import os
import posixpath
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO, Protocol

from nr_tunnel.errors import CommandFailedError, RemotePathNotFoundError
from nr_tunnel.result import RunResult
from nr_tunnel.sync import is_excluded, rsync_argv, write_tar

__all__ = ["Driver", "RemoteFiles"]

_MISSING = 66
"""Exit status our scripts use for "the path does not exist" (distinct from cat/tail errors)."""


class Driver(Protocol):
    """How one kind of SSH client runs a command line on the remote host."""

    def connect(self) -> None:
        """Open (or check) the connection, retrying with backoff."""
        ...

    def execute(
        self,
        command: str,
        *,
        stdin: BinaryIO | None,
        stdout: BinaryIO,
        stderr: BinaryIO,
        timeout: float | None,
    ) -> int:
        """Run ``command``, streaming ``stdin`` to it and its output to the sinks.

        Returns:
            The exit status (-1 when the command ended without one, e.g. killed by a signal).

        Raises:
            ConnectionLostError: The connection dropped; ``may_have_run`` tells whether the
                command had been sent.
            CommandTimeoutError: ``timeout`` elapsed.
        """
        ...

    def ssh_argv(self) -> list[str] | None:
        """The system ``ssh`` command (with options) reaching the same host, or None."""
        ...

    def close(self) -> None:
        """Close the connection."""
        ...


class RemoteFiles:
    """File operations over a `Driver`.

    Args:
        driver: The connection.
        destination: ``user@host`` as rsync's destination prefix.
        where: ``user@host:port`` for messages.
    """

    def __init__(self, driver: Driver, destination: str, where: str) -> None:
        self._driver = driver
        self._destination = destination
        self._where = where

    def run(
        self, script: str, *, timeout: float | None = None, stdin: BinaryIO | None = None
    ) -> RunResult:
        """Run ``script`` and collect its output."""
        out, err = io.BytesIO(), io.BytesIO()
        code = self._driver.execute(script, stdin=stdin, stdout=out, stderr=err, timeout=timeout)
        return RunResult(
            exit_code=code,
            stdout=out.getvalue().decode("utf-8", "replace"),
            stderr=err.getvalue().decode("utf-8", "replace"),
            command=script,
        )

    def put(self, local: Path, remote: str) -> None:
        """Upload a file atomically (temporary name, then rename), keeping its mode bits."""
        mode = local.stat().st_mode & 0o7777
        tmp = f"{remote}.nr-tmp-{os.urandom(6).hex()}"
        parent, qtmp = shlex.quote(posixpath.dirname(remote) or "."), shlex.quote(tmp)
        script = (
            f"mkdir -p -- {parent} && cat > {qtmp} && chmod {mode:o} {qtmp} && "
            f"mv -f -- {qtmp} {shlex.quote(remote)}"
        )
        with local.open("rb") as handle:
            self.run(script, stdin=handle).check()

    def get(self, remote: str, local: Path) -> None:
        """Download a file into ``local`` (written to a temporary name, then renamed)."""
        quoted = shlex.quote(remote)
        script = f"test -e {quoted} || exit {_MISSING}; cat -- {quoted}"
        local.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=local.parent, prefix=f".{local.name}.")
        try:
            with os.fdopen(fd, "wb") as handle:
                err = io.BytesIO()
                code = self._driver.execute(
                    script, stdin=None, stdout=handle, stderr=err, timeout=None
                )
            self._raise_for(code, script, err.getvalue(), remote)
            Path(tmp).replace(local)
        finally:
            Path(tmp).unlink(missing_ok=True)

    def read_from(self, remote: str, offset: int) -> bytes:
        """Return the bytes of ``remote`` from ``offset`` on (only those bytes are transferred)."""
        if offset < 0:
            raise ValueError(f"negative offset: {offset}")
        quoted = shlex.quote(remote)
        script = f"test -e {quoted} || exit {_MISSING}; tail -c +{offset + 1} -- {quoted}"
        out, err = io.BytesIO(), io.BytesIO()
        code = self._driver.execute(script, stdin=None, stdout=out, stderr=err, timeout=None)
        self._raise_for(code, script, err.getvalue(), remote)
        return out.getvalue()

    def exists(self, path: str) -> bool:
        """Whether ``path`` exists (a dangling symbolic link counts)."""
        quoted = shlex.quote(path)
        return self.run(f"test -e {quoted} || test -L {quoted}").exit_code == 0

    def mkdir(self, path: str) -> None:
        """Create ``path`` and its parents."""
        self.run(f"mkdir -p -- {shlex.quote(path)}").check()

    def sync(
        self, local_dir: Path, remote_dir: str, *, delete: bool, exclude: Sequence[str]
    ) -> str:
        """Copy the contents of ``local_dir`` into ``remote_dir`` in one stream.

        Uses rsync over the same SSH settings when rsync exists on both sides (and the driver
        can give a system ssh command), a tar stream through the connection otherwise.

        Returns:
            ``"rsync"`` or ``"tar"``: the method used.
        """
        if not local_dir.is_dir():
            raise NotADirectoryError(f"not a directory: {local_dir}")
        self.mkdir(remote_dir)
        ssh_argv = self._driver.ssh_argv()
        if (
            ssh_argv is not None
            and shutil.which("rsync") is not None
            and self.run("command -v rsync >/dev/null 2>&1").exit_code == 0
        ):
            self._rsync(local_dir, remote_dir, ssh_argv, delete=delete, exclude=exclude)
            return "rsync"
        self._tar(local_dir, remote_dir, delete=delete, exclude=exclude)
        return "tar"

    def _rsync(
        self,
        local_dir: Path,
        remote_dir: str,
        ssh_argv: list[str],
        *,
        delete: bool,
        exclude: Sequence[str],
    ) -> None:
        argv = rsync_argv(
            local_dir,
            f"{self._destination}:{remote_dir}",
            ssh_argv=ssh_argv,
            delete=delete,
            exclude=exclude,
        )
        done = subprocess.run(argv, capture_output=True, stdin=subprocess.DEVNULL, check=False)
        if done.returncode != 0:
            raise CommandFailedError(
                shlex.join(argv),
                done.returncode,
                done.stdout.decode("utf-8", "replace"),
                done.stderr.decode("utf-8", "replace"),
            )

    def _tar(
        self, local_dir: Path, remote_dir: str, *, delete: bool, exclude: Sequence[str]
    ) -> None:
        quoted = shlex.quote(remote_dir)
        with tempfile.TemporaryFile() as archive:
            names = write_tar(archive, local_dir, exclude)
            if delete:
                self._delete_extraneous(remote_dir, set(names), exclude)
            archive.seek(0)
            self.run(f"tar -x -f - -C {quoted}", stdin=archive).check()

    def _delete_extraneous(self, remote_dir: str, keep: set[str], exclude: Sequence[str]) -> None:
        listing = self.run(
            f"cd -- {shlex.quote(remote_dir)} && find . -mindepth 1 -exec printf '%s\\0' {{}} +"
        ).check()
        doomed: list[str] = []
        for entry in sorted(filter(None, listing.stdout.split("\0"))):
            rel = entry.removeprefix("./")
            if rel in keep or is_excluded(rel, exclude):
                continue
            if any(rel.startswith(f"{parent}/") for parent in doomed):
                continue
            doomed.append(rel)
        if doomed:
            names = io.BytesIO("".join(f"./{rel}\0" for rel in doomed).encode())
            self.run(
                f"cd -- {shlex.quote(remote_dir)} && xargs -0 rm -rf --",
                stdin=names,
            ).check()

    def _raise_for(self, code: int, script: str, stderr: bytes, path: str) -> None:
        if code == _MISSING:
            raise RemotePathNotFoundError(path, self._where)
        if code != 0:
            raise CommandFailedError(script, code, "", stderr.decode("utf-8", "replace"))
