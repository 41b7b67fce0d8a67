"""Select files below a directory with gitignore-style glob patterns (via ``pathspec``).

Include patterns are anchored at the root directory: ``configs/*.yaml`` matches
``<root>/configs/a.yaml`` only, ``**`` crosses directories, and a pattern that matches a directory
selects everything below it (as ``find <dir> -type f`` would). Exclude patterns follow
``.gitignore`` rules (``*.pyc`` excludes at any depth, ``build/`` excludes a directory).
``.git`` directories are never entered.
"""

import os
from collections.abc import Sequence
from pathlib import Path

from nr_package.errors import GitError, PackagingError

__all__ = ["anchor", "select_files"]

_GLOB_CHARS = frozenset("*?[")


def anchor(pattern: str, root: Path) -> str:
    """Return ``pattern`` as a root-anchored pattern (absolute patterns made relative to root).

    Args:
        pattern: A glob, relative to ``root`` or absolute below it.
        root: The directory the pattern selects from.

    Returns:
        The pattern with a leading ``/``.

    Raises:
        PackagingError: If an absolute pattern lies outside ``root``.
    """
    if Path(pattern).is_absolute():
        relative = os.path.relpath(pattern, root)
        if relative == ".." or relative.startswith("../"):
            raise PackagingError(f"pattern {pattern!r} is outside its directory {str(root)!r}")
        pattern = relative
    pattern = pattern.removeprefix("./")
    return "/" + pattern.lstrip("/")


def _walk_roots(patterns: Sequence[str]) -> list[str]:
    """Literal leading directories of the patterns: only those need walking."""
    roots = set()
    for pattern in patterns:
        parts = pattern.strip("/").split("/")[:-1]
        literal = []
        for part in parts:
            if _GLOB_CHARS & set(part) or part == "**":
                break
            literal.append(part)
        roots.add("/".join(literal))
    if "" in roots:
        return [""]
    return sorted(r for r in roots if not any(r.startswith(o + "/") for o in roots if o != r))


def _ignored_by_git(root: Path) -> set[str] | None:
    """Paths below ``root`` that git ignores (``dir/`` for whole directories), or None."""
    import git  # noqa: PLC0415 - GitPython is only needed when .gitignore awareness is asked for

    try:
        out = git.Git(str(root)).execute(
            [
                "git",
                "--no-optional-locks",
                "ls-files",
                "-z",
                "--others",
                "--ignored",
                "--exclude-standard",
                "--directory",
            ],
            strip_newline_in_stdout=False,
        )
    except git.GitCommandError:
        return None
    except git.GitCommandNotFound as error:
        raise GitError("the `git` executable was not found on PATH") from error
    return {p for p in str(out).split("\0") if p}


class _Excluder:
    """Decides which paths below the root are left out (exclude patterns, ignored by git)."""

    def __init__(self, root: Path, exclude: Sequence[str], respect_gitignore: bool) -> None:
        import pathspec  # noqa: PLC0415 - ~15 ms; loaded on the first selection, not on import

        self._specs: list[pathspec.GitIgnoreSpec] = [pathspec.GitIgnoreSpec.from_lines(exclude)]
        self._ignored: set[str] = set()
        if respect_gitignore:
            by_git = _ignored_by_git(root)
            if by_git is not None:
                self._ignored = by_git
            elif (root / ".gitignore").is_file():
                lines = (root / ".gitignore").read_text(encoding="utf-8").splitlines()
                self._specs.append(pathspec.GitIgnoreSpec.from_lines(lines))

    def excludes(self, path: str) -> bool:
        """Whether ``path`` (with a trailing ``/`` for a directory) is left out."""
        return path in self._ignored or any(spec.match_file(path) for spec in self._specs)


def select_files(
    root: Path,
    include: Sequence[str],
    exclude: Sequence[str] = (),
    *,
    respect_gitignore: bool = False,
) -> list[str]:
    """List the files and symlinks below ``root`` selected by the patterns.

    Args:
        root: Directory to select from.
        include: Include patterns (anchored at ``root``; see the module docstring).
        exclude: Exclude patterns (``.gitignore`` syntax).
        respect_gitignore: Also leave out what git ignores. Inside a git work tree git itself
            decides (every ``.gitignore``, ``.git/info/exclude``, the global excludes file);
            outside one, ``<root>/.gitignore`` is applied.

    Returns:
        Sorted POSIX paths relative to ``root``.

    Raises:
        PackagingError: If ``root`` is not a directory or a pattern lies outside it.
    """
    if not root.is_dir():
        raise PackagingError(f"directory {str(root)!r} does not exist")
    anchored = [anchor(p, root) for p in include if p]
    if not anchored:
        return []
    import pathspec  # noqa: PLC0415 - see _Excluder

    including = pathspec.GitIgnoreSpec.from_lines(anchored)
    excluder = _Excluder(root, exclude, respect_gitignore)
    selected: set[str] = set()
    for start in _walk_roots(anchored):
        for directory, subdirs, files in os.walk(root / start):
            relative_dir = Path(directory).relative_to(root).as_posix()
            prefix = "" if relative_dir == "." else relative_dir + "/"
            kept: list[str] = []
            for name in subdirs:
                if name == ".git" or excluder.excludes(prefix + name + "/"):
                    continue
                (files if Path(directory, name).is_symlink() else kept).append(name)
            subdirs[:] = sorted(kept)
            selected.update(
                prefix + name
                for name in files
                if including.match_file(prefix + name) and not excluder.excludes(prefix + name)
            )
    return sorted(selected)
