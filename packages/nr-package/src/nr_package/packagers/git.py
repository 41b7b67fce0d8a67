"""``GitArchivePackager``: a commit of a git repository (and optionally its working tree)."""

import logging
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from nr_package.archive import Entry, entry_from_path
from nr_package.cache import fingerprint
from nr_package.errors import (
    InvalidPackagerError,
    PackagingError,
    UncommittedChangesError,
    UncommittedChangesWarning,
    UntrackedFilesError,
)
from nr_package.manifest import ExtraFile, ExtraReason, Manifest
from nr_package.packagers.base import (
    Packager,
    Prepared,
    entry_digest,
    files_of,
    pattern_pairs,
    require_bools,
)
from nr_package.patterns import select_files

if TYPE_CHECKING:
    from nr_package.gitrepo import BlobStream, GitRepo, TreeItem

__all__ = ["GitArchivePackager"]

_log = logging.getLogger(__name__)


def _clean_subpath(subpath: str) -> str:
    cleaned = subpath.strip("/")
    parts = cleaned.split("/") if cleaned else []
    if subpath.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise InvalidPackagerError(
            f"GitArchivePackager.subpath must be a relative path inside the repository without "
            f"'.' or '..' components, got {subpath!r}"
        )
    return cleaned


@dataclass
class _RepoPart:
    """One repository of the archive (the top one or a submodule) and where it goes."""

    repo: "GitRepo"
    commit: str
    scope: str
    prefix: str
    display: str
    items: list["TreeItem"]
    overlay: dict[str, tuple[Path, ExtraReason]] = field(default_factory=dict)


@dataclass
class _Scan:
    parts: list[_RepoPart] = field(default_factory=list)
    submodules: dict[str, str] = field(default_factory=dict)
    modified: list[str] = field(default_factory=list)
    untracked: list[str] = field(default_factory=list)
    streams: list["BlobStream"] = field(default_factory=list)


@dataclass(kw_only=True)
class GitArchivePackager(Packager):
    """Package a commit of a git repository, like ``git archive`` of ``<ref>:<subpath>``.

    The archive holds the tree of ``ref`` below ``subpath`` (with that prefix stripped), the
    submodules checked out below it, and the files matched by ``include_pattern``. Working-tree
    changes are shipped only when asked (``include_uncommitted``, ``include_untracked``) and
    recorded in the manifest; otherwise they are refused (``check_*``) or named in an
    :class:`~nr_package.errors.UncommittedChangesWarning`. Nothing is written in the repository.

    Attributes:
        basepath: Repository directory; default: the git toplevel of the ``source`` directory.
        subpath: Directory of the repository to package; it becomes the archive root.
        ref: Commit-ish to package (branch, tag, sha, ``HEAD~1`` ...).
        include_submodules: Also package initialised submodules (recursively), at the commit
            the packaged tree records for them. A submodule not shipped (this is ``False``, or
            it is not initialised) leaves an empty directory, as with ``git archive``.
        include_pattern: Extra files (globs, anchored at their relative path) to ship, even
            untracked or ignored ones; placed relative to their relative path. A pattern
            with spaces is several patterns (``"*.py configs/*.yaml"``), as in NeMo-Run.
        include_pattern_relative_path: Directory of each pattern (default: repository root);
            a single value or one per pattern.
        check_uncommitted_changes: Refuse to package if tracked files below ``subpath`` have
            uncommitted changes (raises ``UncommittedChangesError`` listing them).
        check_untracked_files: Refuse to package if untracked, non-ignored files exist below
            ``subpath`` (raises ``UntrackedFilesError`` listing them).
        include_uncommitted: Ship the working-tree state of tracked files (and the checked-out
            commit of submodules) instead of the committed one; needs ``ref`` to be ``HEAD``'s
            commit.
        include_untracked: Ship untracked files that ``.gitignore`` does not ignore.
    """

    basepath: str = ""
    subpath: str = ""
    ref: str = "HEAD"
    include_submodules: bool = True
    include_pattern: str | list[str] = ""
    include_pattern_relative_path: str | list[str] = ""
    check_uncommitted_changes: bool = False
    check_untracked_files: bool = False
    include_uncommitted: bool = False
    include_untracked: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        require_bools(
            self,
            "include_submodules",
            "check_uncommitted_changes",
            "check_untracked_files",
            "include_uncommitted",
            "include_untracked",
        )
        for name in ("basepath", "subpath", "ref"):
            if not isinstance(getattr(self, name), str):
                raise InvalidPackagerError(f"GitArchivePackager.{name} must be a str")
        if not self.ref.strip():
            raise InvalidPackagerError("GitArchivePackager.ref must not be empty")
        _clean_subpath(self.subpath)
        self._pattern_pairs()
        if self.check_uncommitted_changes and self.include_uncommitted:
            raise InvalidPackagerError(
                "check_uncommitted_changes and include_uncommitted contradict each other"
            )
        if self.check_untracked_files and self.include_untracked:
            raise InvalidPackagerError(
                "check_untracked_files and include_untracked contradict each other"
            )

    def _pattern_pairs(self) -> list[tuple[str, str]]:
        return pattern_pairs(self, "include_pattern", "include_pattern_relative_path")

    def prepare(self, source: Path) -> Prepared:
        """Resolve the commit, the submodules and the working-tree state (see ``Packager``)."""
        from nr_package.gitrepo import GitRepo  # noqa: PLC0415 - GitPython loads only when used

        start = Path(self.basepath).expanduser() if self.basepath else source
        top, commit, head = GitRepo.discover(start, self.ref)
        working = commit == head
        if (self.include_uncommitted or self.include_untracked) and not working:
            raise PackagingError(
                f"include_uncommitted/include_untracked ship the working tree, which is checked "
                f"out at HEAD ({head[:12]}), but ref {self.ref!r} is {commit[:12]}"
            )
        scope = _clean_subpath(self.subpath)
        scan = _Scan()
        self._scan(scan, top, commit, scope, prefix="", display=scope, working=working)
        self._check(scan)
        patterns = [
            (top.directory / relative if relative else top.directory, path)
            for pattern, relative in self._pattern_pairs()
            for path in select_files(top.directory / relative, [pattern])
        ]
        inputs = {
            "packager": self.cache_inputs(),
            "submodules": scan.submodules,
            "commit": commit,
            "overlay": sorted(
                [part.prefix + path, reason, fingerprint(disk)]
                for part in scan.parts
                for path, (disk, reason) in part.overlay.items()
            ),
            "patterns": [[path, fingerprint(root / path)] for root, path in patterns],
        }

        def collect() -> tuple[list[Entry], Manifest]:
            return self._collect(scan, commit, patterns)

        def close() -> None:
            for stream in scan.streams:
                stream.close()
            for part in scan.parts:
                part.repo.close()

        return Prepared(inputs, collect, close)

    def _scan(
        self,
        scan: _Scan,
        repo: "GitRepo",
        commit: str,
        scope: str,
        *,
        prefix: str,
        display: str,
        working: bool,
    ) -> None:
        items = repo.tree(commit, scope)
        part = _RepoPart(repo, commit, scope, prefix, display, items)
        scan.parts.append(part)
        shown = display + "/" if display else ""
        if working:
            status = repo.status(scope)
            strip = len(scope) + 1 if scope else 0
            for path in status.modified:
                scan.modified.append(shown + path[strip:])
                if self.include_uncommitted:
                    part.overlay[path[strip:]] = (repo.directory / path, "uncommitted")
            for path in status.untracked:
                scan.untracked.append(shown + path[strip:])
                if self.include_untracked and not path.endswith("/"):
                    part.overlay[path[strip:]] = (repo.directory / path, "untracked")
        if not self.include_submodules:
            return
        for item in items:
            if not item.is_gitlink:
                continue
            directory = repo.directory / scope / item.path
            if not (directory / ".git").exists():
                _log.warning(
                    "submodule %s is not initialised; it is not packaged", shown + item.path
                )
                continue
            sub = type(repo)(directory)
            sub_head = sub.commit_of("HEAD")
            sub_commit = sub_head if (working and self.include_uncommitted) else item.sha
            if working and sub_head != item.sha:
                scan.modified.append(shown + item.path)
            if sub_commit != sub_head and not sub.commit_of(sub_commit, missing_ok=True):
                raise PackagingError(
                    f"submodule {shown + item.path!r}: commit {sub_commit[:12]} is not in its "
                    "repository; run `git submodule update --init --recursive`"
                )
            scan.submodules[prefix + item.path] = sub_commit
            self._scan(
                scan,
                sub,
                sub_commit,
                "",
                prefix=prefix + item.path + "/",
                display=shown + item.path,
                working=working and sub_commit == sub_head,
            )

    @staticmethod
    def _stream_blobs(
        scan: _Scan, blobs: dict[str, tuple[_RepoPart, "TreeItem"]], entries: dict[str, Entry]
    ) -> None:
        """Add the blob entries, read through one batch stream per repository in path order."""
        by_part: dict[int, list[tuple[str, TreeItem]]] = {id(part): [] for part in scan.parts}
        for path, (owner, item) in blobs.items():
            by_part[id(owner)].append((path, item))
        for part in scan.parts:
            mine = sorted(by_part[id(part)])
            stream = part.repo.blobs([item.sha for _, item in mine])
            scan.streams.append(stream)
            for path, item in mine:
                entries[path] = Entry(path, "file", stream.opener(item.sha), item.is_executable)

    def _check(self, scan: _Scan) -> None:
        if self.check_uncommitted_changes and scan.modified:
            raise UncommittedChangesError(scan.modified)
        if self.check_untracked_files and scan.untracked:
            raise UntrackedFilesError(scan.untracked)
        modified = [] if self.include_uncommitted else scan.modified
        untracked = [] if self.include_untracked else scan.untracked
        if modified or untracked:
            warnings.warn(UncommittedChangesWarning(modified, untracked), stacklevel=4)

    def _collect(
        self, scan: _Scan, commit: str, patterns: list[tuple[Path, str]]
    ) -> tuple[list[Entry], Manifest]:
        entries: dict[str, Entry] = {}
        blobs: dict[str, tuple[_RepoPart, TreeItem]] = {}
        extras: dict[str, ExtraReason] = {}
        removed: list[str] = []
        for part in scan.parts:
            committed = {item.path for item in part.items}
            for item in part.items:
                path = part.prefix + item.path
                if item.is_gitlink:  # as git archive does: the submodule's files, if shipped,
                    entries[path] = Entry(path, "directory")  # go in an (else empty) directory
                    continue
                if item.path in part.overlay:
                    continue
                if item.is_symlink:
                    target = part.repo.read_blob(item.sha).decode("utf-8", "surrogateescape")
                    entries[path] = Entry(path, "symlink", link_target=target)
                else:
                    blobs[path] = (part, item)
            for relative, (disk, reason) in part.overlay.items():
                path = part.prefix + relative
                entry = entry_from_path(disk, path)
                if entry is None and relative in committed:
                    removed.append(path)
                elif entry is not None:
                    entries[path] = entry
                    extras[path] = reason
        for root, relative in patterns:
            entry = entry_from_path(root / relative, relative)
            if entry is not None:
                entries[relative] = entry
                blobs.pop(relative, None)
                extras[relative] = "include_pattern"
        self._stream_blobs(scan, blobs, entries)
        manifest = Manifest(
            packager=type(self).__name__,
            files=files_of(entries.values()),
            commit=commit,
            ref=self.ref,
            submodules=dict(sorted(scan.submodules.items())),
            extra_files=tuple(
                ExtraFile(path, reason, entry_digest(entries[path]))
                for path, reason in sorted(extras.items())
            ),
            removed_files=tuple(sorted(set(removed) - entries.keys())),
        )
        return list(entries.values()), manifest
