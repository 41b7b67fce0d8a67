"""Workspace files: project-level Python files that register factories and entrypoints.

The nearest ``workspace_private.py`` and the nearest ``workspace.py`` found from the current
directory upwards are loaded, then ``$NEMORUN_HOME/workspace.py``. Each file is executed at most
once per process. Setting ``INCLUDE_WORKSPACE_FILE=false`` disables them all.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

from nr_exec.constants import EnvVar
from nr_exec.paths import nemorun_home

from nr_cli.errors import CLIError

__all__ = ["WORKSPACE_FILES", "find_workspace_files", "load_workspace_files"]

WORKSPACE_FILES = ("workspace_private.py", "workspace.py")
"""File names searched upwards from the current directory, in loading order."""

_LOADED: dict[Path, str] = {}


def _enabled() -> bool:
    value = os.environ.get(EnvVar.INCLUDE_WORKSPACE_FILE.value, "true").strip().lower()
    return value not in {"0", "false", "no", "off"}


def find_workspace_files(start: Path | None = None) -> list[Path]:
    """Return the workspace files that apply to `start` (default: the current directory).

    Args:
        start: Where the upward search begins.

    Returns:
        Existing files, in loading order, without duplicates; empty when disabled.
    """
    if not _enabled():
        return []
    found: list[Path] = []
    directory = (start or Path.cwd()).absolute()
    for name in WORKSPACE_FILES:
        for folder in (directory, *directory.parents):
            candidate = folder / name
            if candidate.is_file():
                found.append(candidate.resolve())
                break
    home_file = (nemorun_home() / "workspace.py").resolve()
    if home_file.is_file():
        found.append(home_file)
    return list(dict.fromkeys(found))


def load_workspace_files(start: Path | None = None) -> list[Path]:
    """Execute the workspace files that apply to `start`, each once per process.

    Args:
        start: Where the upward search begins (default: the current directory).

    Returns:
        The files that apply (loaded now or earlier).

    Raises:
        CLIError: A file raised while executing; the message names it.
    """
    files = find_workspace_files(start)
    for path in files:
        if path in _LOADED:
            continue
        name = f"nr_cli_workspace_{len(_LOADED)}"
        _LOADED[path] = name
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:  # pragma: no cover - a .py file always has one
            raise CLIError(f"cannot load workspace file {path}", argument=str(path))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as error:
            raise CLIError(f"workspace file {path} failed: {error}", argument=str(path)) from error
    return files
