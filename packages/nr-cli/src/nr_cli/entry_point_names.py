"""The names and values of an entry-point group, read without `importlib.metadata`.

``nemorun --help`` lists the installed ``nemo_run.cli`` groups; `importlib.metadata` would cost
it tens of milliseconds of imports (email, zipfile, csv, pathlib). This reads the same files it
reads: ``entry_points.txt`` of every ``*.dist-info`` and ``*.egg-info`` directory on
``sys.path``, a distribution counted once (the first found, by its normalized name, as
`importlib.metadata.entry_points` does). Loading an entry point still goes through
`importlib.metadata`.
"""

# pathlib alone would cost --help a few milliseconds of imports: os.path instead.
# ruff: noqa: PTH118, PTH122, PTH123, PTH208

import os
import sys

__all__ = ["ENTRY_POINT_GROUP", "entry_point_names"]

#: Entry-point group whose entries are imported to register third-party factories and
#: entrypoints, and listed by ``nemorun --help`` as command groups (NeMo-Run's group).
ENTRY_POINT_GROUP = "nemo_run.cli"

_SUFFIXES = (".dist-info", ".egg-info")


def _distribution(directory: str) -> str:
    """The normalized distribution name of ``My.Pkg-1.0.dist-info`` (``my_pkg``)."""
    name = os.path.splitext(directory)[0].partition("-")[0].lower()
    for separator in "-.":
        name = name.replace(separator, "_")
    return "_".join(part for part in name.split("_") if part)


def _group_entries(text: str, group: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    current = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1].strip()
        elif current == group and "=" in line:
            name, _, value = line.partition("=")
            found.append((name.strip(), value.strip()))
    return found


def entry_point_names(group: str) -> list[tuple[str, str]]:
    """Return ``(name, value)`` of every entry point of `group` installed on ``sys.path``.

    Args:
        group: The entry-point group (``nemo_run.cli``).

    Returns:
        The entry points in the order of ``sys.path`` and of each directory's listing.
    """
    seen: set[str] = set()
    found: list[tuple[str, str]] = []
    for entry in sys.path:
        try:
            children = os.listdir(entry or ".")
        except OSError:  # a zip file, or a directory that does not exist
            continue
        for child in children:
            if not child.endswith(_SUFFIXES):
                continue
            name = _distribution(child)
            if name in seen:
                continue
            seen.add(name)
            path = os.path.join(entry or ".", child, "entry_points.txt")
            try:
                with open(path, encoding="utf-8") as file:
                    text = file.read()
            except OSError:  # no entry points, or an egg-info file rather than a directory
                continue
            found.extend(_group_entries(text, group))
    return found
