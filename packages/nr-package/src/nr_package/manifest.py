"""What a packaging call shipped: ``Manifest``, ``ExtraFile`` and ``PackageResult``."""

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

__all__ = ["ExtraFile", "ExtraReason", "Manifest", "PackageResult"]

ExtraReason = Literal["uncommitted", "untracked", "include_pattern"]


@dataclass(frozen=True)
class ExtraFile:
    """A file shipped from the working tree rather than from a commit.

    Attributes:
        path: Path inside the archive.
        reason: ``"uncommitted"`` (a tracked file with working-tree changes), ``"untracked"``
            (an untracked, non-ignored file) or ``"include_pattern"`` (matched by
            ``include_pattern``).
        sha256: SHA-256 of the shipped content (of the link text for a symlink).
    """

    path: str
    reason: ExtraReason
    sha256: str


@dataclass(frozen=True)
class Manifest:
    """The contents of an archive and where they came from.

    Attributes:
        packager: Class name of the packager that made the archive.
        files: Every file and symlink in the archive (directories omitted), sorted.
        commit: The commit archived (``GitArchivePackager``), else ``None``.
        ref: The ref as given (``GitArchivePackager``), else ``None``.
        submodules: Archive path of each shipped submodule, mapped to its commit.
        extra_files: Files shipped beyond the commit, sorted by path.
        removed_files: Committed files left out because they are deleted in the working tree
            (only with ``include_uncommitted``).
        parts: For ``HybridPackager``, the manifest of each sub-packager by its key.
    """

    packager: str
    files: tuple[str, ...] = ()
    commit: str | None = None
    ref: str | None = None
    submodules: dict[str, str] = field(default_factory=dict)
    extra_files: tuple[ExtraFile, ...] = ()
    removed_files: tuple[str, ...] = ()
    parts: dict[str, "Manifest"] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-compatible dict (the inverse of :meth:`from_dict`)."""
        return asdict(self)

    def to_json(self) -> str:
        """Return the manifest as canonical JSON (sorted keys, two-space indent)."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Manifest":
        """Rebuild a manifest from :meth:`to_dict` output (for example read from JSON).

        Args:
            data: The dict.

        Returns:
            The manifest.
        """
        return cls(
            packager=data["packager"],
            files=tuple(data.get("files", ())),
            commit=data.get("commit"),
            ref=data.get("ref"),
            submodules=dict(data.get("submodules", {})),
            extra_files=tuple(ExtraFile(**extra) for extra in data.get("extra_files", ())),
            removed_files=tuple(data.get("removed_files", ())),
            parts={key: cls.from_dict(part) for key, part in data.get("parts", {}).items()},
        )


class PackageResult(str):
    """The outcome of :meth:`Packager.package`: the archive path, as a ``str``, with details.

    It *is* the archive path (``str(result)``, ``open(result)``, ``Path(result)`` and
    ``result == "/jobs/code.tar.gz"`` work as with NeMo-Run's ``str`` return value) and carries
    the hash and manifest of the archive as attributes. It is immutable, and compares and hashes
    as its path.

    Attributes:
        archive: The ``.tar.gz`` written, as a :class:`~pathlib.Path`.
        sha256: SHA-256 (hex) of the archive file.
        manifest: What the archive holds.
        cached: Whether the archive came from the cache rather than being built.
    """

    archive: Path
    sha256: str
    manifest: Manifest
    cached: bool

    def __new__(
        cls, archive: str | os.PathLike[str], sha256: str, manifest: Manifest, cached: bool = False
    ) -> "PackageResult":
        """Make the result for ``archive`` (see the class attributes)."""
        result = super().__new__(cls, os.fspath(archive))
        for name, value in (
            ("archive", Path(archive)),
            ("sha256", sha256),
            ("manifest", manifest),
            ("cached", cached),
        ):
            object.__setattr__(result, name, value)
        return result

    def __setattr__(self, name: str, value: object) -> None:
        """Refuse: a result is immutable."""
        raise AttributeError(f"PackageResult is immutable; cannot set {name!r}")

    def __repr__(self) -> str:
        """``PackageResult('<archive>', sha256='…', cached=…)``."""
        return f"PackageResult({str(self)!r}, sha256={self.sha256!r}, cached={self.cached!r})"

    def __reduce__(self) -> tuple[type["PackageResult"], tuple[Path, str, Manifest, bool]]:
        """Pickle and copy by the constructor arguments."""
        return (type(self), (self.archive, self.sha256, self.manifest, self.cached))
