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

Files are created with ``O_NOFOLLOW``; set-uid, set-gid and sticky bits are dropped.
"""

import os
import shutil
import tarfile
from pathlib import Path, PurePosixPath

from nr_package.errors import UnsafeArchiveError

__all__ = ["extract_archive"]

_FILE_TYPES = (tarfile.REGTYPE, tarfile.AREGTYPE)


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

    def __init__(self, tar: tarfile.TarFile, root: Path) -> None:
        self.tar = tar
        self.root = root
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
        if member.issym():
            self._check_link_text(member, destination)
            self.links.append((member, destination))
            self.link_names.add(name)
            return
        if member.isdir():
            destination.mkdir(parents=True, exist_ok=True)
        elif member.islnk():
            self._hard_link(member, destination)
            self.created.append(destination)
            return
        elif member.type in _FILE_TYPES:
            self._file(member, destination)
            self.regular.add(name)
        else:
            raise UnsafeArchiveError(member.name, "device, fifo or other special file")
        destination.chmod((member.mode & 0o777) | (0o700 if member.isdir() else 0o600))
        self.created.append(destination)

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


def extract_archive(archive: Path, target: Path) -> list[Path]:
    """Extract a ``.tar`` or ``.tar.gz`` archive into ``target`` after checking every member.

    Args:
        archive: The archive to extract (compression detected).
        target: The directory to extract into; created if missing.

    Returns:
        The paths created, in archive order, symlinks last (they are created after every other
        member, so nothing is ever written through one).

    Raises:
        UnsafeArchiveError: If a member is unsafe; names the member and the reason. Members
            before it may already exist in ``target``.
    """
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, mode="r:*") as tar:
        extraction = _Extraction(tar, Path(os.path.realpath(target)))
        for member in tar:
            extraction.member(member)
        extraction.finish_links()
    return extraction.created
