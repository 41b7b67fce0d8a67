"""``HybridPackager``: several packagers combined into one archive."""

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from nr_package.archive import Entry, check_member_path
from nr_package.errors import InvalidPackagerError, PackagerConflictError, PackagingError
from nr_package.manifest import ExtraFile, Manifest
from nr_package.packagers.base import (
    Packager,
    Prepared,
    files_of,
    require_bools,
)

__all__ = ["HybridPackager"]


@dataclass(kw_only=True)
class HybridPackager(Packager):
    """Combine sub-packagers: each one's files go under its key, or all at the archive root.

    Two sub-packagers never overwrite each other: a path written twice (or a file where another
    sub-packager needs a directory) raises :class:`~nr_package.errors.PackagerConflictError`
    naming the path and both keys.

    ``HybridPackager([git, pattern])`` (a list, as some NeMo-Run documents write it) puts every
    packager's files at the archive root: it is stored as ``sub_packagers={"part0": git,
    "part1": pattern}`` with ``extract_at_root=True``.

    Attributes:
        sub_packagers: Folder name (a relative path) to the packager whose archive goes there,
            or a list of packagers whose files all go to the archive root.
            A passthrough ``Packager`` ships nothing and is refused.
        extract_at_root: Put every sub-packager's files at the archive root instead.
    """

    sub_packagers: dict[str, Packager] | list[Packager] = field(default_factory=dict, kw_only=False)
    extract_at_root: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        require_bools(self, "extract_at_root")
        if isinstance(self.sub_packagers, (list, tuple)):
            self.sub_packagers = {f"part{i}": p for i, p in enumerate(self.sub_packagers)}
            self.extract_at_root = True
        for key, packager in self._parts().items():
            try:
                check_member_path(key)
            except (PackagingError, AttributeError) as error:
                raise InvalidPackagerError(
                    f"HybridPackager.sub_packagers key {key!r} must be a relative folder name"
                ) from error
            if not isinstance(packager, Packager) or type(packager) is Packager:
                raise InvalidPackagerError(
                    f"HybridPackager.sub_packagers[{key!r}] must be a packager that ships files, "
                    f"not {packager!r}"
                )

    def _parts(self) -> dict[str, Packager]:
        """The sub-packagers by key (a list was made a dict at construction)."""
        if not isinstance(self.sub_packagers, dict):
            raise InvalidPackagerError(
                "HybridPackager.sub_packagers must be a dict of folder name to packager, or a "
                f"list of packagers, got {self.sub_packagers!r}"
            )
        return self.sub_packagers

    def prepare(self, source: Path) -> Prepared:
        """Prepare every sub-packager (see ``Packager.prepare``)."""
        if not self._parts():
            raise PackagingError("HybridPackager has no sub_packagers: nothing to package")
        parts: dict[str, Prepared] = {}
        for key, packager in sorted(self._parts().items()):
            prepared = packager.prepare(source)
            if prepared is None:
                raise PackagingError(f"sub-packager {key!r} ships nothing")
            parts[key] = prepared
        inputs = {
            "packager": {"class": type(self).__name__, "extract_at_root": self.extract_at_root},
            "parts": {key: part.inputs for key, part in parts.items()},
        }

        def collect() -> tuple[list[Entry], Manifest]:
            return self._merge({key: part.collect() for key, part in parts.items()})

        def close() -> None:
            for part in parts.values():
                part.close()

        return Prepared(inputs, collect, close)

    def _merge(
        self, built: dict[str, tuple[list[Entry], Manifest]]
    ) -> tuple[list[Entry], Manifest]:
        files: dict[str, str] = {}
        directories: dict[str, str] = {}
        entries: list[Entry] = []
        extras: list[ExtraFile] = []
        for key, (part_entries, manifest) in built.items():
            prefix = "" if self.extract_at_root else key + "/"
            for entry in part_entries:
                path = prefix + entry.path
                clash = files.get(path)
                if clash is None and entry.kind != "directory":
                    clash = directories.get(path)
                if clash is not None:
                    raise PackagerConflictError(path, clash, key)
                if entry.kind == "directory":
                    directories.setdefault(path, key)
                else:
                    files[path] = key
                for parent in PurePosixPath(path).parents:
                    name = str(parent)
                    if name == ".":
                        break
                    if name in files:
                        raise PackagerConflictError(name, files[name], key)
                    directories.setdefault(name, key)
                entries.append(dataclasses.replace(entry, path=path))
            extras.extend(
                dataclasses.replace(e, path=prefix + e.path) for e in manifest.extra_files
            )
        manifest = Manifest(
            packager=type(self).__name__,
            files=files_of(entries),
            extra_files=tuple(sorted(extras, key=lambda e: e.path)),
            parts={key: manifest for key, (_, manifest) in built.items()},
        )
        return entries, manifest
