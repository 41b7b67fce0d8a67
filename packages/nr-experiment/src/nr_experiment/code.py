"""Pinning each job's code: packaged once, before any intent, and reused by every rerun.

Before a job's first submit, each of its executors' packagers (those that ship an archive)
packages the current directory into the experiment's directory in the store, named by
content (``.code/<sha256>.tar.gz``: jobs shipping the same code share one file, and job
arrays keep one packager). The job's record keeps what was shipped (:class:`CodePin`:
archive, sha256, commit, dirty files). The executor then
ships that archive through :class:`PinnedArchive`, so the backend sends exactly what was
recorded; ``Experiment.reset()`` and ``nemorun experiment rerun`` copy the archive to the new
job and ship it again: the same code, whatever the current directory or its HEAD is now.
"""

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nr_exec import Executor
from nr_package import GitError, Manifest, Packager, PackageResult, PackagingError
from nr_package.cache import place

__all__ = [
    "CODE_DIR",
    "CodePin",
    "PinnedArchive",
    "code_dir",
    "copy_pins",
    "pin_code",
    "pinned_executor",
]

#: Where an experiment keeps its jobs' code archives (hidden: not a job directory).
CODE_DIR = ".code"

_CHUNK = 1 << 20


@dataclass(kw_only=True)
class PinnedArchive(Packager):
    """A packager that ships an archive made earlier (a job's recorded code).

    Attributes:
        archive: Path of the ``.tar.gz`` to ship.
        sha256: Its SHA-256, checked before it is shipped.
    """

    archive: str = ""
    sha256: str = ""

    def package(
        self,
        source: str | os.PathLike[str],
        output_dir: str | os.PathLike[str],
        name: str,
        *,
        cache_dir: Path | None = None,
        use_cache: bool = True,
    ) -> PackageResult:
        """Place the recorded archive at ``<output_dir>/<name>.tar.gz`` (``source`` unused).

        Raises:
            PackagingError: The archive is missing or its content changed.
        """
        del source, cache_dir, use_cache
        recorded = Path(self.archive)
        if _sha256(recorded) != self.sha256:
            raise PackagingError(
                f"the recorded code archive {recorded} is missing or changed (expected sha256 "
                f"{self.sha256}); it cannot be shipped again"
            )
        output_dir = Path(output_dir).absolute()
        output_dir.mkdir(parents=True, exist_ok=True)
        output = output_dir / f"{name}.tar.gz"
        if output.resolve() != recorded.resolve():
            place(recorded, output)
        return PackageResult(output, self.sha256, Manifest(packager=type(self).__name__), True)


@dataclass(frozen=True)
class CodePin:
    """The code one executor of a job ships, as recorded in ``job.json`` (``code``).

    Attributes:
        archive: File name of the archive in the experiment's :data:`CODE_DIR`.
        sha256: SHA-256 of the archive.
        packager: Class name of the packager that made it.
        commit: The git commit archived, if any.
        extra_files: Paths shipped from the working tree beyond the commit (dirty files).
    """

    archive: str
    sha256: str
    packager: str
    commit: str | None
    extra_files: tuple[str, ...]

    def to_record(self) -> dict[str, Any]:
        """The JSON form saved in ``job.json``."""
        return {
            "archive": self.archive,
            "sha256": self.sha256,
            "packager": self.packager,
            "commit": self.commit,
            "extra_files": list(self.extra_files),
        }

    @classmethod
    def from_record(cls, record: Any) -> "CodePin | None":
        """Read a saved pin (None for an executor that ships no archive)."""
        if not isinstance(record, dict) or not record.get("archive"):
            return None
        return cls(
            archive=str(record["archive"]),
            sha256=str(record["sha256"]),
            packager=str(record.get("packager") or ""),
            commit=record.get("commit"),
            extra_files=tuple(record.get("extra_files") or ()),
        )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as stream:
            while chunk := stream.read(_CHUNK):
                digest.update(chunk)
    except OSError:
        return ""
    return digest.hexdigest()


def code_dir(job_dir: Path) -> Path:
    """The code directory of the experiment that ``job_dir`` (a job's directory) belongs to."""
    return job_dir.parent / CODE_DIR


def _ships_archive(executor: Executor) -> bool:
    packager = executor.packager
    return type(packager) is not Packager and not packager.symlink_from_remote_dir


def pin_code(executors: list[Executor], job_dir: Path, source: Path) -> list[CodePin | None]:
    """Package ``source`` once per executor that ships an archive, into the code directory.

    Args:
        executors: The job's executors (one for all tasks, or one per task).
        job_dir: The job's directory in the store (its experiment keeps the archives).
        source: The directory to package (the launcher's current directory).

    Returns:
        One pin per executor (None where the executor ships no archive).

    Raises:
        PackagingError: Packaging failed; the message says what to do.
    """
    store = code_dir(job_dir)
    pins: list[CodePin | None] = []
    for index, executor in enumerate(executors):
        if not _ships_archive(executor):
            pins.append(None)
            continue
        packager = executor.packager
        try:
            result = packager.package(source, store, f".{job_dir.name}-{index}")
        except GitError as error:
            raise PackagingError(
                f"{type(packager).__name__} (the default packager) needs a git repository, and "
                f"{source} is not in one; launch from a git checkout, or use "
                f"packager=run.Packager() to ship nothing ({error})"
            ) from None
        if result is None:
            pins.append(None)
            continue
        archive = f"{result.sha256}.tar.gz"
        result.archive.replace(store / archive)  # named by content: the same code, one file
        manifest = result.manifest
        pins.append(
            CodePin(
                archive=archive,
                sha256=result.sha256,
                packager=manifest.packager,
                commit=manifest.commit,
                extra_files=tuple(extra.path for extra in manifest.extra_files),
            )
        )
    return pins


def copy_pins(pins: list[Any], old_job_dir: Path, new_job_dir: Path) -> list[Any]:
    """Give a new job (``reset``, ``rerun``) the recorded archives of an old one.

    Args:
        pins: The old job's ``code`` records.
        old_job_dir: The old job's directory.
        new_job_dir: The new job's directory.

    Returns:
        The records for the new job (the same; its experiment now holds the archives too).
    """
    old, new = code_dir(old_job_dir), code_dir(new_job_dir)
    for record in pins:
        pin = CodePin.from_record(record)
        if pin is not None and (old / pin.archive).is_file():
            new.mkdir(exist_ok=True)
            place(old / pin.archive, new / pin.archive)
    return list(pins)


def pinned_executor(executor: Executor, pin: CodePin | None, job_dir: Path) -> Executor:
    """The executor shipping the pinned archive instead of packaging again (itself if no pin)."""
    if pin is None:
        return executor
    pinned = executor.clone()
    archive = code_dir(job_dir) / pin.archive
    pinned.packager = PinnedArchive(archive=str(archive), sha256=pin.sha256)
    return pinned
