"""Directory synchronisation helpers: exclusion, tar streams, rsync arguments, local copies.

Exclusion patterns follow rsync's basic rule: a pattern without ``/`` matches the name of any
file or directory at any depth (``*.pyc``, ``__pycache__``); a pattern with ``/`` matches the
path relative to the synchronised directory (``build/tmp``). An excluded directory is skipped
with everything below it, and excluded paths are never deleted on the receiving side.
"""

from __future__ import annotations

import os
import shlex
import shutil
from collections.abc import Iterator, Sequence
from fnmatch import fnmatchcase
from pathlib import Path
from typing import BinaryIO

__all__ = [
    "is_excluded",
    "local_sync",
    "rsync_argv",
    "walk",
    "write_tar",
]


def is_excluded(relpath: str, exclude: Sequence[str]) -> bool:
    """Whether the relative path ``relpath`` (``/``-separated) matches an exclusion pattern."""
    name = relpath.rsplit("/", 1)[-1]
    for pattern in exclude:
        if "/" in pattern.rstrip("/"):
            if fnmatchcase(relpath, pattern.strip("/")):
                return True
        elif fnmatchcase(name, pattern.rstrip("/")):
            return True
    return False


def walk(root: Path, exclude: Sequence[str]) -> Iterator[tuple[str, Path]]:
    """Yield ``(relative path, path)`` for everything under ``root`` that is not excluded.

    Directories come before their contents; names are sorted, so the order is deterministic.
    Symbolic links are yielded as links and never followed.
    """

    def visit(directory: Path, prefix: str) -> Iterator[tuple[str, Path]]:
        for entry in sorted(os.scandir(directory), key=lambda e: e.name):
            rel = f"{prefix}{entry.name}"
            if is_excluded(rel, exclude):
                continue
            path = Path(entry.path)
            yield rel, path
            if entry.is_dir(follow_symlinks=False):
                yield from visit(path, f"{rel}/")

    return visit(root, "")


def write_tar(stream: BinaryIO, root: Path, exclude: Sequence[str]) -> list[str]:
    """Write an uncompressed tar stream of ``root``'s contents to ``stream``.

    Returns:
        The relative paths written.
    """
    import tarfile  # noqa: PLC0415 - only the tar stream needs it

    names: list[str] = []
    with tarfile.open(fileobj=stream, mode="w|", format=tarfile.PAX_FORMAT) as archive:
        for rel, path in walk(root, exclude):
            archive.add(path, arcname=rel, recursive=False)
            names.append(rel)
    return names


def rsync_argv(
    local_dir: Path,
    destination: str,
    *,
    ssh_argv: Sequence[str],
    delete: bool,
    exclude: Sequence[str],
) -> list[str]:
    """Return the rsync command copying the contents of ``local_dir`` to ``destination``.

    Args:
        local_dir: Source directory.
        destination: ``user@host:dir`` (the directory part already quoted for the remote shell
            when needed; rsync is run with ``--protect-args``, so it is not).
        ssh_argv: The ssh command (program and options) rsync should use as its transport.
        delete: Delete files in the destination that are not in the source.
        exclude: Exclusion patterns.
    """
    argv = ["rsync", "-rlptz", "--protect-args", "-e", shlex.join(ssh_argv)]
    if delete:
        argv.append("--delete")
    argv += [f"--exclude={pattern}" for pattern in exclude]
    argv += [f"{local_dir}/", destination]
    return argv


def local_sync(source: Path, target: Path, *, delete: bool, exclude: Sequence[str]) -> None:
    """Copy the contents of ``source`` into ``target`` on this machine, like ``rsync -a``.

    Files whose size and modification time are unchanged are not copied again.
    """
    target.mkdir(parents=True, exist_ok=True)
    wanted: set[str] = set()
    for rel, path in walk(source, exclude):
        wanted.add(rel)
        dest = target / rel
        if path.is_symlink():
            if dest.is_symlink() or dest.exists():
                _remove(dest)
            dest.symlink_to(path.readlink())
        elif path.is_dir():
            # a link, even to a directory, is replaced: writing through it would leave the target
            if dest.is_symlink() or (dest.exists() and not dest.is_dir()):
                _remove(dest)
            dest.mkdir(exist_ok=True)
        else:
            stat = path.stat()
            if dest.is_symlink() or dest.is_dir():
                _remove(dest)
            elif dest.exists():
                current = dest.stat()
                if current.st_size == stat.st_size and current.st_mtime_ns == stat.st_mtime_ns:
                    continue
            shutil.copy2(path, dest)
    if delete:
        for rel, path in reversed(list(walk(target, exclude))):
            if rel not in wanted and (path.is_symlink() or path.exists()):
                _remove(path)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()
