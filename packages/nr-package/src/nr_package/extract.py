"""Safe extraction of packaging archives; every backend extracts code through this one helper.

The checks are explicit and do not depend on ``tarfile``'s extraction filters (absent from older
Python 3.10 patch releases). Refused, with an :class:`~nr_package.errors.UnsafeArchiveError`
naming the member:

* absolute names and names with a ``..`` component;
* members beneath a symlink of the archive, or whose parent resolves outside the target;
* symlinks whose target is absolute or resolves outside the target (checked on the text of the
  link, and again on the created links once every symlink exists, which defeats link chains);
* hard links to anything but a regular file extracted before them;
* device files, fifos and every other special member.

Files are created with ``O_NOFOLLOW`` and their modes set through the open descriptor;
set-uid, set-gid and sticky bits are dropped. A symlink already in the target where the archive
has a directory or a file is refused, never written or chmod-ed through. The expanded size is
capped (``max_size``), and so is the expansion ratio of large archives (``max_ratio``), with a
:class:`~nr_package.errors.BadArchiveError` naming the limit; so are a missing, truncated or
non-archive file.
"""

import gzip
import os
import shutil
import tarfile
import zlib
from pathlib import Path, PurePosixPath

from nr_package.errors import BadArchiveError, UnsafeArchiveError

__all__ = ["DEFAULT_MAX_RATIO", "DEFAULT_MAX_SIZE", "extract_archive"]

_FILE_TYPES = (tarfile.REGTYPE, tarfile.AREGTYPE)
#: Most bytes an archive may expand to (16 GiB).
DEFAULT_MAX_SIZE = 16 << 30
#: Largest expansion ratio (expanded / archive size) allowed once ``_RATIO_FLOOR`` is passed.
DEFAULT_MAX_RATIO = 200
# Small archives of very compressible files (generated configs) may expand a lot; the ratio
# only matters for archives that expand to more than this.
_RATIO_FLOOR = 64 << 20
_DIRECTORY_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)


def _relative_name(name: str) -> str:
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        raise UnsafeArchiveError(name, "absolute path")
    parts = [p for p in PurePosixPath(name).parts if p != "."]
    if ".." in parts:
        raise UnsafeArchiveError(name, "'..' component")
    return "/".join(parts)


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _resolves_inside(path: Path, root: Path) -> bool:
    return _inside(Path(os.path.realpath(path)), root)


class _Extraction:
    """The state of one extraction: what exists so far and the symlinks still to create."""

    def __init__(self, tar: tarfile.TarFile, root: Path, limit: "_Limit") -> None:
        self.tar = tar
        self.root = root
        self.limit = limit
        self.created: list[Path] = []
        self.links: list[tuple[tarfile.TarInfo, Path]] = []
        self.link_names: set[str] = set()
        self.regular: set[str] = set()

    def member(self, member: tarfile.TarInfo) -> None:
        name = _relative_name(member.name)
        if not name:
            return
        if any(str(parent) in self.link_names for parent in PurePosixPath(name).parents):
            raise UnsafeArchiveError(member.name, "is beneath a symlink of the archive")
        destination = self.root / name
        if not _resolves_inside(destination.parent, self.root):
            raise UnsafeArchiveError(member.name, "its parent resolves outside the target")
        self.limit.add(member)
        if member.issym():
            self._check_link_text(member, destination)
            self.links.append((member, destination))
            self.link_names.add(name)
            return
        if destination.is_symlink():
            raise UnsafeArchiveError(
                member.name, "a symlink of that name is already in the target (not followed)"
            )
        if member.isdir():
            self._directory(member, destination)
        elif member.islnk():
            self._hard_link(member, destination)
        elif member.type in _FILE_TYPES:
            self._file(member, destination)
            self.regular.add(name)
        else:
            raise UnsafeArchiveError(member.name, "device, fifo or other special file")
        self.created.append(destination)

    @staticmethod
    def _directory(member: tarfile.TarInfo, destination: Path) -> None:
        destination.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(destination, _DIRECTORY_FLAGS)
        except OSError as error:
            raise UnsafeArchiveError(member.name, f"cannot open safely: {error}") from error
        try:
            os.fchmod(fd, (member.mode & 0o777) | 0o700)
        finally:
            os.close(fd)

    def _check_link_text(self, member: tarfile.TarInfo, destination: Path) -> None:
        link = member.linkname
        if not link or link.startswith("/"):
            raise UnsafeArchiveError(member.name, f"symlink to absolute or empty target {link!r}")
        if not _inside(Path(os.path.normpath(destination.parent / link)), self.root):
            raise UnsafeArchiveError(member.name, f"symlink target {link!r} leaves the target")

    def _hard_link(self, member: tarfile.TarInfo, destination: Path) -> None:
        source = _relative_name(member.linkname)
        if source not in self.regular:
            raise UnsafeArchiveError(
                member.name, f"hard link to {member.linkname!r}, not an earlier file"
            )
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.unlink(missing_ok=True)
        os.link(self.root / source, destination)

    def _file(self, member: tarfile.TarInfo, destination: Path) -> None:
        destination.parent.mkdir(parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(destination, flags, 0o600)
        except OSError as error:
            raise UnsafeArchiveError(member.name, f"cannot create safely: {error}") from error
        source = self.tar.extractfile(member)
        with os.fdopen(fd, "wb") as out:
            os.fchmod(out.fileno(), (member.mode & 0o777) | 0o600)
            if source is not None:
                shutil.copyfileobj(source, out)

    def finish_links(self) -> None:
        for member, destination in self.links:
            destination.parent.mkdir(parents=True, exist_ok=True)
            if destination.is_dir() and not destination.is_symlink():
                raise UnsafeArchiveError(member.name, "a directory of that name exists")
            destination.unlink(missing_ok=True)
            destination.symlink_to(member.linkname)
            self.created.append(destination)
        for member, destination in self.links:
            if not _resolves_inside(destination, self.root):
                for _, link in self.links:
                    link.unlink(missing_ok=True)
                raise UnsafeArchiveError(
                    member.name, f"symlink {member.linkname!r} resolves outside the target"
                )


class _Limit:
    """Counts the expanded size of an extraction and refuses it past the limits."""

    def __init__(self, archive: Path, archive_size: int, max_size: int, max_ratio: float) -> None:
        self.archive = archive
        self.archive_size = max(archive_size, 1)
        self.max_size = max_size
        self.max_ratio = max_ratio
        self.total = 0

    def add(self, member: tarfile.TarInfo) -> None:
        self.total += max(member.size, 0)
        if self.total > self.max_size:
            raise BadArchiveError(
                f"{self.archive}: expands to more than {self.max_size} bytes (max_size); "
                f"refused at member {member.name!r}"
            )
        ratio = self.total / self.archive_size
        if self.total > _RATIO_FLOOR and ratio > self.max_ratio:
            raise BadArchiveError(
                f"{self.archive}: a {self.archive_size}-byte archive expands more than "
                f"{self.max_ratio:g} times (max_ratio; {self.total} bytes at member "
                f"{member.name!r}): a decompression bomb?"
            )


def extract_archive(
    archive: str | os.PathLike[str],
    target: str | os.PathLike[str],
    *,
    max_size: int = DEFAULT_MAX_SIZE,
    max_ratio: float = DEFAULT_MAX_RATIO,
) -> list[Path]:
    """Extract a ``.tar`` or ``.tar.gz`` archive into ``target`` after checking every member.

    Args:
        archive: The archive to extract (compression detected).
        target: The directory to extract into; created if missing.
        max_size: Most bytes the members may expand to in all.
        max_ratio: Largest ratio of expanded size to archive size, checked once the
            expansion passes 64 MiB.

    Returns:
        The paths created, in archive order, symlinks last (they are created after every other
        member, so nothing is ever written through one).

    Raises:
        UnsafeArchiveError: If a member is unsafe; names the member and the reason. Members
            before it may already exist in ``target``.
        BadArchiveError: The file is missing, truncated or not an archive, or expands past
            ``max_size`` or ``max_ratio``.
    """
    archive, target = Path(archive), Path(target)
    try:
        size = archive.stat().st_size
    except OSError as error:
        raise BadArchiveError(f"{archive}: cannot read the archive ({error.strerror})") from None
    limit = _Limit(archive, size, max_size, max_ratio)
    target.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(archive, mode="r:*") as tar:
            extraction = _Extraction(tar, Path(os.path.realpath(target)), limit)
            for member in tar:
                extraction.member(member)
            extraction.finish_links()
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as error:
        detail = (str(error).splitlines() or [type(error).__name__])[0].rstrip(": ")
        raise BadArchiveError(
            f"{archive}: not a readable tar archive (truncated, or not .tar/.tar.gz/.bz2/.xz): "
            f"{detail}"
        ) from None
    return extraction.created
