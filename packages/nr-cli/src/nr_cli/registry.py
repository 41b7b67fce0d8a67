"""The in-process registry of factories and entrypoints, and the discovery that fills it.

Factories are keyed by namespace (``module.qualname`` of the type they build, or an explicit
string) and name. Third-party packages register theirs through the ``nemo_run.cli`` entry-point
group (each entry point is loaded, which imports its module and runs its decorators), and projects
through workspace files (see `nr_cli.workspace`). Discovery runs once per process, on the first
lookup.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from nr_cli.entry_point_names import ENTRY_POINT_GROUP
from nr_cli.errors import CLIError

__all__ = [
    "ENTRY_POINT_GROUP",
    "FactoryEntry",
    "discover",
    "namespace_of",
]


@dataclasses.dataclass(frozen=True)
class FactoryEntry:
    """One registered factory.

    Attributes:
        name: The name used on the command line (``model=llama_small``).
        namespace: Where it is registered (the target type's ``module.qualname``, or explicit).
        fn: The decorated function.
        target: The class the factory's result builds (None when it is not known).
        returns_config: True when `fn` itself returns a `Config`/`Partial`; otherwise the CLI
            records ``Config(fn, ...)`` so that calling `fn` is deferred to build time.
    """

    name: str
    namespace: str
    fn: Callable[..., Any]
    target: type | None
    returns_config: bool


FACTORIES: dict[str, dict[str, FactoryEntry]] = {}
"""namespace -> name -> entry."""

ENTRYPOINTS: dict[str, Any] = {}
"""``namespace.name`` -> `nr_cli.entrypoints.Entrypoint`."""

DEFAULT_FACTORY_NAME = "default"
_discovered = False


def namespace_of(target: object) -> str:
    """Return the registry namespace of a type or function: its ``module.qualname``.

    Args:
        target: A class, a function, or a namespace string (returned unchanged).

    Returns:
        The namespace string.
    """
    if isinstance(target, str):
        return target
    module = getattr(target, "__module__", None) or "builtins"
    name = getattr(target, "__qualname__", None) or getattr(target, "__name__", None)
    if name is None:
        name = type(target).__qualname__
    return f"{module}.{name}"


def add_factory(entry: FactoryEntry) -> None:
    """Register `entry`; a later registration under the same namespace and name replaces it."""
    FACTORIES.setdefault(entry.namespace, {})[entry.name] = entry


def discover() -> None:
    """Load the ``nemo_run.cli`` entry points and the workspace files, once per process.

    Raises:
        CLIError: A workspace file or an entry point failed to load (the message names it).
    """
    global _discovered  # noqa: PLW0603 - discovery is process-wide and happens once
    if _discovered:
        return
    _discovered = True
    from importlib.metadata import entry_points  # noqa: PLC0415 - scanning metadata costs

    from nr_cli.workspace import load_workspace_files  # noqa: PLC0415 - discovery only

    for point in entry_points(group=ENTRY_POINT_GROUP):
        try:
            point.load()
        except Exception as error:
            raise CLIError(
                f"entry point {point.name!r} ({point.value}) of group {ENTRY_POINT_GROUP!r} "
                f"failed to load: {error}",
                argument=point.name,
            ) from error
    load_workspace_files()


def reset_discovery() -> None:
    """Forget that discovery ran (the next lookup discovers again). Meant for tests."""
    global _discovered  # noqa: PLW0603 - see discover()
    _discovered = False
