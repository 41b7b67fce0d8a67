"""The passthrough :class:`Packager` and the packaging flow shared by every packager."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nr_package.errors import InvalidPackagerError, MissingConfigLayerError
from nr_package.manifest import Manifest, PackageResult

if TYPE_CHECKING:
    from nr_package.archive import Entry

__all__ = [
    "Packager",
    "Prepared",
    "as_list",
    "entry_digest",
    "files_of",
    "pattern_pairs",
    "require_bools",
    "validate_name",
]


@dataclass(frozen=True)
class Prepared:
    """What a packager resolved before building: its cache inputs and how to build.

    Attributes:
        inputs: JSON-compatible description of everything the archive depends on.
        collect: Builds the archive entries and their manifest.
        close: Releases what the entries read from (called once, when :meth:`Packager.package`
            is done with them: the archive is written or came from the cache).
    """

    inputs: dict[str, Any]
    collect: Callable[[], tuple[list[Entry], Manifest]]
    close: Callable[[], None] = lambda: None


def validate_name(name: str) -> str:
    """Return ``name`` if it can be an archive file name (``<name>.tar.gz``), else raise."""
    if not name or "/" in name or "\\" in name or name in (".", ".."):
        raise InvalidPackagerError(f"archive name {name!r} must be a plain file name")
    return name


def entry_digest(entry: Entry) -> str:
    """SHA-256 of an entry's content (of the link text for a symlink)."""
    digest = hashlib.sha256()
    if entry.kind == "symlink" or entry.opener is None:
        digest.update(entry.link_target.encode("utf-8", "surrogateescape"))
    else:
        with entry.opener() as (_, stream):
            for chunk in iter(lambda: stream.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def require_bools(packager: object, *names: str) -> None:
    """Raise :class:`InvalidPackagerError` unless each named field of ``packager`` is a bool."""
    for name in names:
        value = getattr(packager, name)
        if not isinstance(value, bool):
            raise InvalidPackagerError(
                f"{type(packager).__name__}.{name} must be a bool, got {value!r}"
            )


def as_list(packager: object, name: str) -> list[str]:
    """Return a ``str | list[str]`` field as a list (a str is one item), or raise."""
    value = getattr(packager, name)
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)) or not all(isinstance(i, str) for i in items):
        raise InvalidPackagerError(
            f"{type(packager).__name__}.{name} must be a str or a list of str, got {value!r}"
        )
    return list(items)


def pattern_pairs(
    packager: object, patterns_field: str, relatives_field: str
) -> list[tuple[str, str]]:
    """Pair each pattern with its relative path (one for all, or one per pattern).

    A pattern holding spaces is several patterns, each paired with that pattern's relative
    path (``"*.py configs/*.yaml"``), as NeMo-Run's shell ``find <pattern>`` reads it.

    Args:
        packager: The packager holding both ``str | list[str]`` fields.
        patterns_field: Name of the patterns field.
        relatives_field: Name of the relative paths field.

    Returns:
        ``(pattern, relative path)`` pairs, empty patterns left out.

    Raises:
        InvalidPackagerError: A field has the wrong type, or the lists differ in length.
    """
    patterns = as_list(packager, patterns_field)
    relatives = as_list(packager, relatives_field)
    if isinstance(getattr(packager, relatives_field), str):
        relatives = relatives * len(patterns)
    if len(relatives) != len(patterns):
        raise InvalidPackagerError(
            f"{type(packager).__name__}.{patterns_field} has {len(patterns)} item(s) but "
            f"{relatives_field} has {len(relatives)}; give one relative path, or one per pattern"
        )
    return [
        (piece, relative)
        for pattern, relative in zip(patterns, relatives, strict=True)
        for piece in pattern.split()
    ]


def files_of(entries: Iterable[Entry]) -> tuple[str, ...]:
    """The sorted archive paths of the files and symlinks among ``entries``."""
    return tuple(sorted(entry.path for entry in entries if entry.kind != "directory"))


@dataclass(kw_only=True)
class Packager:
    """Passthrough packager: ships nothing, the job runs from the launch directory.

    Subclasses package code into a deterministic archive; this base class defines the call
    (:meth:`package`) and the fields every packager shares.

    Attributes:
        debug: Ask launchers for verbose distributed-debugging environment variables.
        symlink_from_remote_dir: Instead of shipping code, link the job's code directory to this
            directory on the remote side (used by the Slurm backend).
    """

    debug: bool = False
    symlink_from_remote_dir: str | None = None

    def __post_init__(self) -> None:
        require_bools(self, "debug")
        link = self.symlink_from_remote_dir
        if link is not None and not isinstance(link, str):
            raise InvalidPackagerError(
                f"{type(self).__name__}.symlink_from_remote_dir must be a str or None, got {link!r}"
            )

    def to_config(self) -> Any:
        """Return ``run.Config(type(self), **fields)``, NeMo-Run's way to save and edit a packager.

        Needs ``nr-config`` (installed with ``nemo-run``, or ``pip install 'nr-package[config]'``);
        ``nr_package`` alone never imports it.

        Raises:
            MissingConfigLayerError: ``nr-config`` is not installed.
        """
        try:
            import nr_config  # noqa: PLC0415 - optional: nr_package stands alone without it
        except ImportError:
            raise MissingConfigLayerError(
                f"{type(self).__name__}.to_config() needs nr-config: "
                "pip install 'nr-package[config]' (or nemo-run)"
            ) from None
        return nr_config.dataclass_to_config(self)

    def prepare(self, source: Path) -> Prepared | None:
        """Resolve the inputs of an archive of ``source`` (``None``: nothing to ship).

        Subclasses override this; it runs on every :meth:`package` call, so it must be cheap
        (it decides whether the cache can answer).

        Args:
            source: The directory the user launched from.

        Returns:
            The prepared inputs, or ``None`` for the passthrough packager.
        """
        del source
        return None

    def package(
        self,
        path: str | os.PathLike[str],
        job_dir: str | os.PathLike[str],
        name: str,
        *,
        cache_dir: Path | None = None,
        use_cache: bool = True,
    ) -> PackageResult | None:
        """Package ``path`` into ``<job_dir>/<name>.tar.gz`` and return the archive path.

        The call and the return value are NeMo-Run's (``package(path, job_dir, name)`` returns
        the archive path, ``None`` for the passthrough ``Packager``); the path returned is a
        :class:`~nr_package.manifest.PackageResult`, a ``str`` that also carries the archive's
        SHA-256 and manifest.

        Args:
            path: The directory the user launched from.
            job_dir: Where to write the archive; created if missing.
            name: Archive base name (a plain file name, without ``.tar.gz``).
            cache_dir: Archive cache; defaults to ``$NR_PACKAGE_CACHE`` or
                ``~/.cache/nr-package``.
            use_cache: Set to ``False`` to always rebuild (the result is still stored).

        Returns:
            The (absolute) archive path with its SHA-256 and manifest, or ``None`` for the
            passthrough ``Packager`` (nothing is written).

        Raises:
            PackagingError: A subclass naming what went wrong.
        """
        validate_name(name)
        prepared = self.prepare(Path(path))
        if prepared is None:
            return None
        # imported here: a run that ships no code never loads tarfile and the cache
        from nr_package.archive import write_archive  # noqa: PLC0415
        from nr_package.cache import ArchiveCache, cache_key, default_cache_dir  # noqa: PLC0415

        try:
            key = cache_key(prepared.inputs)
            cache = ArchiveCache(cache_dir if cache_dir is not None else default_cache_dir())
            output_dir = Path(job_dir).absolute()
            output_dir.mkdir(parents=True, exist_ok=True)
            output = output_dir / f"{name}.tar.gz"
            if use_cache:
                hit = cache.fetch(key, output)
                if hit is not None:
                    return hit
            entries, manifest = prepared.collect()
            sha256 = write_archive(entries, output)
        finally:
            prepared.close()
        result = PackageResult(output, sha256, manifest)
        cache.store(key, result)
        return result

    def cache_inputs(self) -> dict[str, Any]:
        """The packager's own fields as JSON-compatible cache inputs (with its class name)."""
        return {"class": type(self).__name__, "fields": asdict(self)}
