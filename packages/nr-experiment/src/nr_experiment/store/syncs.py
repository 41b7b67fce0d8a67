"""Grouped durability: store writes that defer their fsyncs to one flush.

Outside a group a write is durable when it returns (:mod:`nr_exec.durable`: temporary file,
fsync, rename, directory fsync). Inside :meth:`DeferredSyncs.deferring` (in the calling thread)
a write is still atomic (temporary file, then rename: a reader, or a process killed half-way,
sees the old content or the new one), but its fsyncs wait for :meth:`DeferredSyncs.flush`,
which syncs every file written, then every directory touched, once each, or, for a large
group, their whole filesystem with one ``syncfs`` (one journal commit instead of 2N fsyncs).

What a group gives up until its flush is durability across a power failure or kernel crash
(not across a killed process: the kernel keeps what was written).
"""

import contextlib
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from nr_exec.durable import fsync_dir, write_text_atomic

__all__ = ["DEFERRED", "DeferredSyncs"]


def _fsync_file(path: Path) -> bool:
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False  # deleted since (dryrun(delete_exp_dir=True)): nothing left to sync
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return True


def _unlink_quietly(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)  # noqa: PTH108 - strings: this runs for every store write


def _write_unsynced(path: Path, data: bytes) -> None:
    directory, name = os.path.split(path)  # strings: this runs for every store write
    temp = f"{directory}/.{name}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    except BaseException:
        os.close(fd)
        _unlink_quietly(temp)
        raise
    os.close(fd)
    try:
        os.replace(temp, path)  # noqa: PTH105 - strings, as above
    except BaseException:
        _unlink_quietly(temp)
        raise


#: From this many pending files and directories on, a flush syncs their filesystem at once.
SYNCFS_FROM = 32


def _device(directory: Path) -> int | None:
    try:
        return os.stat(directory).st_dev  # noqa: PTH116 - one call per directory
    except FileNotFoundError:
        return None


def _syncfs_all(dirs: list[Path]) -> int | None:
    """``syncfs`` the filesystem of every directory still there.

    Returns:
        How many filesystems were synced; None where ``syncfs`` is unavailable.
    """
    try:
        import ctypes  # noqa: PLC0415 - only for a large flush

        syncfs = ctypes.CDLL(None, use_errno=True).syncfs
    except (ImportError, OSError, AttributeError):
        return None  # not Linux (or no libc syncfs): fsync one by one
    one_per_device: dict[int, Path] = {}
    for directory in dirs:
        device = _device(directory)
        if device is not None:
            one_per_device.setdefault(device, directory)
    for directory in one_per_device.values():
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            if syncfs(fd) != 0:
                error = ctypes.get_errno()
                raise OSError(error, f"syncfs of {directory} failed: {os.strerror(error)}")
        finally:
            os.close(fd)
    return len(one_per_device)


class DeferredSyncs:
    """The fsyncs a store owes, and whether the current thread defers them.

    Safe to use from many threads: deferring is per thread, the pending syncs are shared (a
    flush syncs what any thread deferred).
    """

    def __init__(self) -> None:
        self._local = threading.local()
        self._lock = threading.Lock()
        self._files: dict[Path, None] = {}
        self._dirs: dict[Path, None] = {}

    @property
    def active(self) -> bool:
        """Whether writes of the current thread defer their fsyncs."""
        return bool(getattr(self._local, "depth", 0))

    @property
    def pending(self) -> int:
        """How many files and directories wait for a flush."""
        with self._lock:
            return len(self._files) + len(self._dirs)

    @contextmanager
    def deferring(self) -> Iterator[None]:
        """Defer the fsyncs of the current thread's writes inside the block (nestable).

        Yields:
            Nothing. Leaving the block does not flush: call :meth:`flush`.
        """
        self._local.depth = getattr(self._local, "depth", 0) + 1
        try:
            yield
        finally:
            self._local.depth -= 1

    def write_text(self, path: Path, text: str) -> None:
        """Replace ``path`` with ``text`` atomically; durably now unless deferring.

        Args:
            path: The file to write; its directory must exist.
            text: The new content.
        """
        if not self.active:
            write_text_atomic(path, text)
            return
        _write_unsynced(path, text.encode())
        with self._lock:
            self._files[path] = None
            self._dirs[path.parent] = None

    def sync_dir(self, directory: Path) -> None:
        """Flush a directory's entries now, or at the next flush when deferring.

        Args:
            directory: The directory whose entries (a mkdir, a rename) must be durable.
        """
        if not self.active:
            fsync_dir(directory)
            return
        with self._lock:
            self._dirs[directory] = None

    def flush(self) -> int:
        """Make every deferred write durable.

        Up to :data:`SYNCFS_FROM` files and directories are fsynced one by one (files first,
        then directories, once each); more are made durable by one ``syncfs`` of their
        filesystem (Linux), which writes every dirty file and commits the journal once.
        Files and directories deleted since are skipped.

        Returns:
            How many sync calls were made.
        """
        with self._lock:
            files, self._files = list(self._files), {}
            dirs, self._dirs = list(self._dirs), {}
        if len(files) + len(dirs) >= SYNCFS_FROM:
            synced_filesystems = _syncfs_all(dirs)
            if synced_filesystems is not None:
                return synced_filesystems
        synced = sum(_fsync_file(file) for file in files)
        for directory in sorted(dirs, key=lambda d: len(d.parts), reverse=True):
            try:
                fsync_dir(directory)
            except FileNotFoundError:
                continue
            synced += 1
        return synced


#: The process's deferred syncs, shared by every store (a flush syncs what any store deferred).
DEFERRED = DeferredSyncs()
