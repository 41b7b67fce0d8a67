"""Deterministic, cached and safe code packaging (git archive, patterns, hybrids), usable alone.

Typical use::

    from pathlib import Path
    from nr_package import GitArchivePackager, extract_archive

    archive = GitArchivePackager(subpath="src").package(Path.cwd(), "/tmp/out", "code")
    print(archive, archive.sha256, archive.manifest.files)  # the path, a str, with details
    extract_archive(archive, Path("/tmp/job/code"))
"""

from nr_package.__about__ import __version__
from nr_package.cache import CACHE_ENV, default_cache_dir
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
from nr_package.extract import extract_archive
from nr_package.manifest import ExtraFile, Manifest, PackageResult
from nr_package.packagers import GitArchivePackager, HybridPackager, Packager, PatternPackager

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
