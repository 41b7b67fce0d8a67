"""``PatternPackager``: files selected by glob patterns, tracked by git or not."""

from dataclasses import dataclass, field
from pathlib import Path

from nr_package.archive import Entry, entry_from_path
from nr_package.cache import fingerprint
from nr_package.errors import InvalidPackagerError, PackagingError
from nr_package.manifest import Manifest
from nr_package.packagers.base import (
    Packager,
    Prepared,
    as_list,
    files_of,
    pattern_pairs,
    require_bools,
)
from nr_package.patterns import select_files

__all__ = ["PatternPackager"]


@dataclass(kw_only=True)
class PatternPackager(Packager):
    """Package the files matched by glob patterns, relative to a directory.

    Each include pattern is a gitignore-style glob anchored at its relative path
    (``configs/*.yaml``, ``src/**``); a matched directory brings everything below it. Archive
    paths are relative to the pattern's relative path.

    ``include``/``exclude`` are the same fields under the names some NeMo-Run documents use
    (``PatternPackager(include=["*.py"], exclude=["tests/"])``); they are moved into
    ``include_pattern``/``exclude_pattern`` at construction, so give one name or the other.

    Attributes:
        include_pattern: One pattern or a list of patterns (empty ones are skipped); a
            pattern with spaces is several patterns (``"*.py configs/*.yaml"``), as in
            NeMo-Run.
        relative_path: Directory of the patterns (absolute, or relative to the ``source``
            directory; ``""`` is ``source``); one for all patterns or one per pattern.
        exclude_pattern: ``.gitignore``-syntax patterns to leave out (``__pycache__/``,
            ``*.pyc``), applied to every pattern's matches.
        respect_gitignore: Also leave out files git ignores.
        include: Another name of ``include_pattern``.
        exclude: Another name of ``exclude_pattern``.
    """

    include_pattern: str | list[str] = field(default_factory=list)
    relative_path: str | list[str] = ""
    exclude_pattern: str | list[str] = field(default_factory=list)
    respect_gitignore: bool = False
    include: str | list[str] = field(default_factory=list)
    exclude: str | list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__post_init__()
        require_bools(self, "respect_gitignore")
        self._merge_alias("include", "include_pattern")
        self._merge_alias("exclude", "exclude_pattern")
        if not [p for p in as_list(self, "include_pattern") if p.split()]:
            raise InvalidPackagerError(
                "PatternPackager needs include_pattern (or include): the glob patterns of the "
                "files to ship, e.g. include_pattern='src/**'"
            )
        as_list(self, "exclude_pattern")
        self._pairs()

    def _merge_alias(self, alias: str, name: str) -> None:
        if not as_list(self, alias):
            return
        if as_list(self, name):
            raise InvalidPackagerError(
                f"PatternPackager got both {name} and {alias} (the same field under two "
                f"names); give only one, e.g. {name}={getattr(self, alias)!r}"
            )
        setattr(self, name, getattr(self, alias))
        setattr(self, alias, [])

    def _pairs(self) -> list[tuple[str, str]]:
        return pattern_pairs(self, "include_pattern", "relative_path")

    def prepare(self, source: Path) -> Prepared:
        """Select the files and fingerprint them (see ``Packager.prepare``)."""
        exclude = [p for p in as_list(self, "exclude_pattern") if p]
        chosen: dict[str, Path] = {}
        for pattern, relative in self._pairs():
            root = Path(source, relative).expanduser() if relative else Path(source)
            for path in select_files(
                root, [pattern], exclude, respect_gitignore=self.respect_gitignore
            ):
                other = chosen.setdefault(path, root / path)
                if other != root / path:
                    raise PackagingError(
                        f"archive path {path!r} is matched in two directories: "
                        f"{str(other)!r} and {str(root / path)!r}"
                    )
        inputs = {
            "packager": self.cache_inputs(),
            "files": [[path, fingerprint(disk)] for path, disk in sorted(chosen.items())],
        }

        def collect() -> tuple[list[Entry], Manifest]:
            entries = [
                entry
                for path, disk in sorted(chosen.items())
                if (entry := entry_from_path(disk, path)) is not None
            ]
            return entries, Manifest(packager=type(self).__name__, files=files_of(entries))

        return Prepared(inputs, collect)
