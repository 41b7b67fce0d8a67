"""Deterministic ``.tar.gz`` writer: the same entries always give the same bytes.

Entries are sorted by path; parent directories are added explicitly; every member has a fixed
mtime, uid/gid 0, empty owner names and a normalised mode (0644, 0755 for executables and
directories, 0777 for symlinks); the gzip header carries no file name and a zero mtime. The
SHA-256 of the written file is computed while writing, so it costs no second read.
"""

import contextlib
import functools
import gzip
import hashlib
import os
import posixpath
import stat
import tarfile
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

from nr_package.errors import PackagingError

__all__ = [
    "ARCHIVE_MTIME",
    "Entry",
    "Opener",
    "check_member_path",
    "entry_from_path",
    "open_file",
    "write_archive",
]

ARCHIVE_MTIME = 315532800
"""Modification time of every member: 1980-01-01T00:00:00Z (tools warn about 1970 dates)."""

Opener = Callable[[], AbstractContextManager[tuple[int, IO[bytes]]]]
"""Opens the content of a file entry, yielding its size and a stream of exactly that many bytes."""

_COMPRESS_LEVEL = 6


@dataclass(frozen=True)
class Entry:
    """One file, symlink or (empty) directory to put in an archive.

    Attributes:
        path: Relative POSIX path inside the archive.
        kind: ``"file"``, ``"symlink"`` or ``"directory"``. Parent directories are derived from
            the paths; a ``"directory"`` entry is needed only for a directory that may be empty
            (such as a submodule that is not shipped).
        opener: For files, opens the content (see :data:`Opener`).
        executable: For files, whether the executable bits are set.
        link_target: For symlinks, the target as stored in the link.
    """

    path: str
    kind: Literal["file", "symlink", "directory"]
    opener: Opener | None = None
    executable: bool = False
    link_target: str = ""


def check_member_path(path: str) -> str:
    """Return ``path`` if it is a clean relative POSIX path, else raise.

    Args:
        path: A path meant for an archive member.

    Returns:
        The same path.

    Raises:
        PackagingError: If it is empty, absolute, has empty, ``.`` or ``..`` components.
    """
    parts = path.split("/")
    if not path or path.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise PackagingError(f"not a clean relative archive path: {path!r}")
    return path


@contextlib.contextmanager
def open_file(path: Path) -> Iterator[tuple[int, IO[bytes]]]:
    """Open a regular file for an :class:`Entry` (size from the open descriptor).

    Args:
        path: The file to read.

    Yields:
        Its size and a binary stream.
    """
    with path.open("rb") as stream:
        yield os.fstat(stream.fileno()).st_size, stream


def entry_from_path(path: Path, archive_path: str) -> Entry | None:
    """Describe a working-tree file or symlink as an :class:`Entry` (``None`` for anything else).

    Args:
        path: The file on disk (not followed if it is a symlink).
        archive_path: Its path inside the archive.

    Returns:
        The entry, or ``None`` if ``path`` is missing, a directory or a special file.
    """
    try:
        info = path.lstat()
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(info.st_mode):
        return Entry(archive_path, "symlink", link_target=str(path.readlink()))
    if stat.S_ISREG(info.st_mode):
        opener = functools.partial(open_file, path)
        return Entry(archive_path, "file", opener, executable=bool(info.st_mode & 0o100))
    return None


def _check_link(entry: Entry) -> None:
    target = entry.link_target
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(entry.path), target))
    if not target or target.startswith("/") or resolved == ".." or resolved.startswith("../"):
        raise PackagingError(
            f"symlink {entry.path!r} -> {target!r} points outside the archive; extraction "
            "would refuse it (ship the target's content instead, or make the link relative)"
        )


class _HashingWriter:
    """A write-only file object that hashes what passes through it."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self.digest = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        return self._raw.write(data)

    def flush(self) -> None:
        self._raw.flush()


def _info(name: str, kind: bytes, mode: int, size: int = 0, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.size = size
    info.linkname = link
    info.mtime = ARCHIVE_MTIME
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def _directories(paths: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for path in paths:
        cut = path.rfind("/")
        while cut > 0 and path[:cut] not in found:
            found.add(path[:cut])
            cut = path.rfind("/", 0, cut)
    return found


def write_archive(entries: Iterable[Entry], output: Path) -> str:
    """Write ``entries`` as a deterministic ``.tar.gz`` at ``output``, atomically.

    The archive is written to a temporary file beside ``output`` and renamed into place, so a
    reader never sees a partial archive and concurrent writers of the same output are safe.

    Args:
        entries: Files, symlinks and directories; their order does not matter (a directory
            may be given more than once).
        output: Where to write the archive (its directory must exist).

    Returns:
        The SHA-256 (hex) of the written file.

    Raises:
        PackagingError: If two entries share a path, a path is not clean, or an entry's path is
            also needed as a directory.
    """
    by_path: dict[str, Entry] = {}
    explicit: set[str] = set()
    for entry in entries:
        if entry.kind == "directory":
            explicit.add(check_member_path(entry.path))
            continue
        if entry.kind == "symlink":
            _check_link(entry)
        if check_member_path(entry.path) in by_path:
            raise PackagingError(f"archive path {entry.path!r} is written twice")
        by_path[entry.path] = entry
    directories = _directories(by_path) | _directories(explicit) | explicit
    clash = directories & by_path.keys()
    if clash:
        raise PackagingError(f"archive path {min(clash)!r} is both a file and a directory")
    members: list[tuple[str, Entry | None]] = [(d, None) for d in directories]
    members.extend(by_path.items())
    members.sort(key=lambda item: item[0])

    fd, temp_name = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=output.parent)
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as raw:
            hashing = _HashingWriter(raw)
            with (
                gzip.GzipFile(
                    filename="",
                    mode="wb",
                    fileobj=hashing,
                    compresslevel=_COMPRESS_LEVEL,
                    mtime=0,
                ) as compressed,
                tarfile.TarFile(fileobj=compressed, mode="w", format=tarfile.PAX_FORMAT) as tar,
            ):
                for name, member in members:
                    _add(tar, name, member)
        temp.chmod(0o644)
        temp.replace(output)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return hashing.digest.hexdigest()


def _add(tar: tarfile.TarFile, name: str, entry: Entry | None) -> None:
    if entry is None:
        tar.addfile(_info(name, tarfile.DIRTYPE, 0o755))
    elif entry.kind == "symlink":
        tar.addfile(_info(name, tarfile.SYMTYPE, 0o777, link=entry.link_target))
    else:
        if entry.opener is None:
            raise PackagingError(f"file entry {name!r} has no content")
        with entry.opener() as (size, stream):
            mode = 0o755 if entry.executable else 0o644
            tar.addfile(_info(name, tarfile.REGTYPE, mode, size=size), stream)
