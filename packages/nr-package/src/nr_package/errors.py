"""Errors and warnings raised by nr_package.

Every error derives from :class:`PackagingError`, so callers can catch one class. Each error keeps
the facts it reports as attributes (the files, the member, the path) for programs that react to it.
"""

from collections.abc import Sequence

__all__ = [
    "BadArchiveError",
    "GitError",
    "InvalidPackagerError",
    "MissingConfigLayerError",
    "PackagerConflictError",
    "PackagingError",
    "UncommittedChangesError",
    "UncommittedChangesWarning",
    "UnsafeArchiveError",
    "UntrackedFilesError",
]

_LISTED = 20


def _listing(paths: Sequence[str]) -> str:
    shown = ", ".join(repr(p) for p in paths[:_LISTED])
    hidden = len(paths) - _LISTED
    return shown + (f" and {hidden} more" if hidden > 0 else "")


class PackagingError(Exception):
    """Base class of every packaging error raised by nr_package."""


class InvalidPackagerError(PackagingError, ValueError):
    """A packager field has a value that cannot work (raised when the packager is created)."""


class MissingConfigLayerError(PackagingError, ImportError):
    """``Packager.to_config()`` was called but ``nr-config`` is not installed."""


class GitError(PackagingError):
    """A git command failed, or the source is not inside a git work tree."""


class UncommittedChangesError(PackagingError):
    """Tracked files differ from the packaged commit and ``check_uncommitted_changes`` is set.

    Attributes:
        files: Repository-relative paths of the changed files.
    """

    def __init__(self, files: Sequence[str]) -> None:
        self.files = list(files)
        super().__init__(
            f"{len(self.files)} file(s) have uncommitted changes: {_listing(self.files)}; "
            "commit them, or set include_uncommitted=True to ship the working tree"
        )


class UntrackedFilesError(PackagingError):
    """Untracked, non-ignored files exist and ``check_untracked_files`` is set.

    Attributes:
        files: Repository-relative paths of the untracked files.
    """

    def __init__(self, files: Sequence[str]) -> None:
        self.files = list(files)
        super().__init__(
            f"{len(self.files)} untracked file(s): {_listing(self.files)}; add, ignore or "
            "remove them, or set include_untracked=True to ship them"
        )


class UnsafeArchiveError(PackagingError):
    """An archive member would escape the extraction target or create a special file.

    Attributes:
        member: Name of the offending member, as stored in the archive.
        reason: Why the member is refused.
    """

    def __init__(self, member: str, reason: str) -> None:
        self.member = member
        self.reason = reason
        super().__init__(f"unsafe archive member {member!r}: {reason}")


class BadArchiveError(PackagingError):
    """A file is missing, truncated, not an archive, or expands beyond the allowed limits."""


class PackagerConflictError(PackagingError):
    """Two sub-packagers of a ``HybridPackager`` write the same archive path.

    Attributes:
        path: The archive path written twice.
        first: Key of the sub-packager that wrote it first.
        second: Key of the sub-packager that wrote it again.
    """

    def __init__(self, path: str, first: str, second: str) -> None:
        self.path = path
        self.first = first
        self.second = second
        super().__init__(
            f"sub-packagers {first!r} and {second!r} both write {path!r}; "
            "place them under folders (extract_at_root=False) or narrow their patterns"
        )


class UncommittedChangesWarning(UserWarning):
    """Work in the working tree is not shipped (the archive holds the committed state only).

    Attributes:
        modified: Tracked files whose working-tree changes are not shipped.
        untracked: Untracked, non-ignored files that are not shipped.
    """

    def __init__(self, modified: Sequence[str], untracked: Sequence[str]) -> None:
        self.modified = list(modified)
        self.untracked = list(untracked)
        parts = []
        if self.modified:
            parts.append(
                f"changes to {len(self.modified)} tracked file(s): {_listing(self.modified)}"
            )
        if self.untracked:
            parts.append(f"{len(self.untracked)} untracked file(s): {_listing(self.untracked)}")
        super().__init__(
            "not shipped (the archive holds the commit only): "
            + "; ".join(parts)
            + ". Set include_uncommitted=True / include_untracked=True to ship them, "
            "or check_uncommitted_changes=True to refuse to package."
        )
