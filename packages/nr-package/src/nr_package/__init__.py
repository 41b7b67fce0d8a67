"""Deterministic, cached and safe code packaging (git archive, patterns, hybrids), usable alone.

Typical use::

    from pathlib import Path
    from nr_package import GitArchivePackager, extract_archive

    archive = GitArchivePackager(subpath="src").package(Path.cwd(), "/tmp/out", "code")
    print(archive, archive.sha256, archive.manifest.files)  # the path, a str, with details
    extract_archive(archive, Path("/tmp/job/code"))
"""

import importlib
from typing import TYPE_CHECKING

from nr_package.__about__ import __version__
from nr_package.errors import (
    BadArchiveError,
    GitError,
    InvalidPackagerError,
    MissingConfigLayerError,
    PackagerConflictError,
    PackagingError,
    UncommittedChangesError,
    UncommittedChangesWarning,
    UnsafeArchiveError,
    UntrackedFilesError,
)

if TYPE_CHECKING:
    from nr_package.cache import CACHE_ENV, default_cache_dir
    from nr_package.extract import extract_archive
    from nr_package.manifest import ExtraFile, Manifest, PackageResult
    from nr_package.packagers import GitArchivePackager, HybridPackager, Packager, PatternPackager

# public name -> module that defines it, imported on first access (PEP 562): asking for
# ``Packager`` does not load git, tarfile or the cache
_LAZY = {
    "CACHE_ENV": "nr_package.cache",
    "default_cache_dir": "nr_package.cache",
    "extract_archive": "nr_package.extract",
    "ExtraFile": "nr_package.manifest",
    "Manifest": "nr_package.manifest",
    "PackageResult": "nr_package.manifest",
    "Packager": "nr_package.packagers.base",
    "GitArchivePackager": "nr_package.packagers.git",
    "HybridPackager": "nr_package.packagers.hybrid",
    "PatternPackager": "nr_package.packagers.pattern",
}

__all__ = [
    "CACHE_ENV",
    "BadArchiveError",
    "ExtraFile",
    "GitArchivePackager",
    "GitError",
    "HybridPackager",
    "InvalidPackagerError",
    "Manifest",
    "MissingConfigLayerError",
    "PackageResult",
    "Packager",
    "PackagerConflictError",
    "PackagingError",
    "PatternPackager",
    "UncommittedChangesError",
    "UncommittedChangesWarning",
    "UnsafeArchiveError",
    "UntrackedFilesError",
    "__version__",
    "default_cache_dir",
    "extract_archive",
]


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'nr_package' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
