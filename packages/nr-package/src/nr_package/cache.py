"""Content-keyed archive cache: packaging unchanged inputs again costs a lookup and a hard link.

An entry is ``<key>.tar.gz`` plus ``<key>.json`` (hash and manifest), both written to temporary
names and renamed into place, the JSON last; an entry counts only once its JSON exists, so
concurrent packagers never see half an entry and two writers of one key are harmless.
"""

import hashlib
import json
import os
import shutil
import stat
import tempfile
from pathlib import Path
from typing import Any

from nr_package.manifest import Manifest, PackageResult

__all__ = ["CACHE_ENV", "ArchiveCache", "cache_key", "default_cache_dir", "fingerprint", "place"]

CACHE_ENV = "NR_PACKAGE_CACHE"
"""Environment variable naming the cache directory."""

FORMAT = 2
"""Version of the archive layout; part of every key, so a format change invalidates entries."""


def default_cache_dir() -> Path:
    """Return ``$NR_PACKAGE_CACHE``, else ``$XDG_CACHE_HOME/nr-package``, else ``~/.cache/...``."""
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "nr-package"


def cache_key(inputs: Any) -> str:
    """Hash JSON-compatible ``inputs`` (canonical JSON, SHA-256) into a cache key."""
    text = json.dumps({"format": FORMAT, "inputs": inputs}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def fingerprint(path: Path) -> list[int | str]:
    """Return a cheap identity of a file's content: ``lstat`` facts (and the link text).

    Any write changes the ctime, so equal fingerprints mean unchanged content without reading it.

    Args:
        path: A file or symlink (or a missing path).

    Returns:
        A JSON-compatible list.
    """
    try:
        info = path.lstat()
    except FileNotFoundError:
        return ["missing"]
    link = str(path.readlink()) if stat.S_ISLNK(info.st_mode) else ""
    return [
        info.st_mode,
        info.st_size,
        info.st_mtime_ns,
        info.st_ctime_ns,
        info.st_ino,
        info.st_dev,
        link,
    ]


def place(source: Path, output: Path) -> None:
    """Put a copy of ``source`` at ``output`` atomically (a hard link when possible).

    Args:
        source: An existing file.
        output: Destination path; replaced if it exists.
    """
    fd, temp_name = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=output.parent)
    os.close(fd)
    temp = Path(temp_name)
    try:
        temp.unlink()
        try:
            os.link(source, temp)
        except OSError:
            shutil.copyfile(source, temp)
        temp.replace(output)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


class ArchiveCache:
    """A directory of archives keyed by the hash of their inputs.

    Args:
        directory: Where entries live; created on first store.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def fetch(self, key: str, output: Path) -> PackageResult | None:
        """Place the cached archive for ``key`` at ``output``, if there is one.

        Args:
            key: The cache key.
            output: Where the caller wants the archive.

        Returns:
            The result (``cached=True``), or ``None`` on a miss.
        """
        meta = self.directory / f"{key}.json"
        try:
            data = json.loads(meta.read_text(encoding="utf-8"))
            sha256, manifest = data["sha256"], Manifest.from_dict(data["manifest"])
        except (OSError, ValueError, LookupError, TypeError):
            return None  # missing or damaged entry: rebuild (and overwrite it)
        try:
            place(self.directory / f"{key}.tar.gz", output)
        except OSError:
            return None
        return PackageResult(output, sha256, manifest, True)

    def store(self, key: str, result: PackageResult) -> None:
        """Record ``result`` (its archive must exist) under ``key``.

        Args:
            key: The cache key.
            result: A freshly built result.
        """
        self.directory.mkdir(parents=True, exist_ok=True)
        place(result.archive, self.directory / f"{key}.tar.gz")
        document = {"sha256": result.sha256, "manifest": result.manifest.to_dict()}
        fd, temp_name = tempfile.mkstemp(prefix=f".{key}.", suffix=".tmp", dir=self.directory)
        temp = Path(temp_name)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as stream:
                json.dump(document, stream, sort_keys=True, ensure_ascii=False)
            temp.replace(self.directory / f"{key}.json")
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
