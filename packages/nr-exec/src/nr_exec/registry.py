"""The backend registry: from a handle's scheme to the backend class that serves it.

Backends register in the entry-point group ``nr_exec.backends``: the name is the handle
scheme, the value the :class:`~nr_exec.Backend` subclass (whose :meth:`Backend.create`
builds it, and whose declared capabilities can be read without building one)::

    [project.entry-points."nr_exec.backends"]
    slurm = "nr_exec.slurm:SlurmBackend"

The built-in backends are also found without scanning the installed distributions (hatch's
``BUILTIN_PLUGINS`` fallback), so resolving ``local://`` costs no metadata scan. Any process
gets the backend of ``slurm://…`` or ``docker://…`` from the handle and the saved
connection data alone: no user code is imported and no executor is rebuilt.
"""

import functools
import importlib
from typing import TYPE_CHECKING, Any

from nr_exec.context import BackendContext
from nr_exec.errors import UnknownBackendError
from nr_exec.handle import Handle

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

    from nr_exec.backend import Backend
    from nr_exec.executor import Executor

__all__ = [
    "ENTRY_POINT_GROUP",
    "backend_class",
    "backend_for",
    "backend_for_handle",
    "backend_schemes",
    "create_backend",
]

#: The entry-point group backends register in.
ENTRY_POINT_GROUP = "nr_exec.backends"

_BUILTIN = {
    "local": "nr_exec.local:LocalBackend",
    "docker": "nr_exec.docker:DockerBackend",
    "slurm": "nr_exec.slurm:SlurmBackend",
    "fake": "nr_exec.testing:FakeBackend",
}


@functools.cache
def _entry_points() -> dict[str, "EntryPoint"]:
    from importlib.metadata import entry_points  # noqa: PLC0415 - ~12 ms, only for a scan

    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def backend_schemes() -> list[str]:
    """Every registered scheme (built-in and from entry points), sorted."""
    return sorted({*_BUILTIN, *_entry_points()})


def _load(target: str) -> Any:
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)


@functools.cache
def backend_class(scheme: str) -> "type[Backend[Any, Any]]":
    """Return the backend class registered for ``scheme`` (imported on first use).

    Raises:
        UnknownBackendError: No backend is registered under ``scheme``; the message lists
            the registered ones.
    """
    target = _BUILTIN.get(scheme)
    if target is not None:
        cls: type[Backend[Any, Any]] = _load(target)
        return cls
    entry = _entry_points().get(scheme)
    if entry is None:
        raise UnknownBackendError(
            f"no backend is registered for {scheme!r} handles (registered: "
            f"{', '.join(backend_schemes())}); a backend registers in the entry-point group "
            f"{ENTRY_POINT_GROUP!r}"
        )
    loaded: type[Backend[Any, Any]] = entry.load()
    return loaded


def create_backend(
    scheme: str, cluster: str = "", *, context: BackendContext | None = None
) -> "Backend[Any, Any]":
    """Build the backend of ``scheme`` serving ``cluster``.

    Args:
        scheme: The handle scheme (``"local"``, ``"slurm"``, ...).
        cluster: The handle's cluster part ("" when unknown).
        context: Home, job root and connection data (default: :meth:`BackendContext.default`).

    Raises:
        UnknownBackendError: No backend is registered under ``scheme``.
    """
    return backend_class(scheme).create(cluster, context=context or BackendContext.default())


def backend_for(
    executor: "Executor", *, context: BackendContext | None = None
) -> "Backend[Any, Any]":
    """Build the backend that runs ``executor``'s jobs, with its connection data.

    Args:
        executor: The executor.
        context: Home and job root (default: :meth:`BackendContext.default`); its
            connection is replaced by :meth:`Executor.connection`.
    """
    base = context or BackendContext.default()
    return create_backend(
        executor.backend_scheme, context=base.with_connection(executor.connection())
    )


def backend_for_handle(
    handle: Handle | str, *, context: BackendContext | None = None
) -> "Backend[Any, Any]":
    """Build the backend serving ``handle`` (a :class:`Handle` or its text).

    Raises:
        HandleError: ``handle`` is not a handle.
        UnknownBackendError: No backend is registered for its scheme.
    """
    parsed = Handle.parse(handle) if isinstance(handle, str) else handle
    return create_backend(parsed.backend, parsed.cluster, context=context)
