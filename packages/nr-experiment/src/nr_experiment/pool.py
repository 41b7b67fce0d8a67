"""The backends of one experiment: built from the registry, with the store's context, once.

Every backend is built by :mod:`nr_exec`'s registry with a :class:`~nr_exec.BackendContext`
whose home and job root are the store's, so ``Experiment(base_dir=X)`` is honoured by every
backend. There is one instance per scheme and connection (backends whose
:meth:`~nr_exec.Backend.batch_key` are equal share one). A submitted job keeps, next to each
handle, the scheme and connection of its backend (:class:`BackendRef`), so any process gets
the backend of a handle back without the user's executor or code.
"""

import json
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nr_exec import Backend, BackendContext, Executor, Handle, backend_for, create_backend

__all__ = ["BackendPool", "BackendRef"]


def _canonical(connection: Mapping[str, Any]) -> str:
    return json.dumps(connection, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class BackendRef:
    """How to reach the backend of a submitted unit: its scheme and its connection data.

    Attributes:
        scheme: The registry scheme (``"local"``, ``"slurm"``, ...), the handle's scheme.
        connection: What :meth:`~nr_exec.Backend.connection` returned (JSON data).
    """

    scheme: str
    connection: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, backend: "Backend[Any, Any]") -> "BackendRef":
        """The reference of a built backend."""
        return cls(backend.name, backend.connection())

    @classmethod
    def from_record(cls, record: object, *, default_scheme: str) -> "BackendRef":
        """Read :meth:`to_record` data (an old record without it: ``default_scheme``)."""
        if isinstance(record, Mapping) and isinstance(record.get("scheme"), str):
            connection = record.get("connection")
            return cls(
                record["scheme"], dict(connection) if isinstance(connection, Mapping) else {}
            )
        return cls(default_scheme)

    def to_record(self) -> dict[str, Any]:
        """``{"scheme": ..., "connection": {...}}``."""
        return {"scheme": self.scheme, "connection": dict(self.connection)}


class BackendPool:
    """Builds and keeps the backends one process uses for one store.

    Args:
        home: The store root; backends get ``home`` and ``home / "jobs"`` as their context.
    """

    def __init__(self, home: Path) -> None:
        self.context = BackendContext(home=home, job_root=home / "jobs")
        self._by_key: dict[tuple[str, str, str | None], Backend[Any, Any]] = {}
        self._by_batch: dict[tuple[str, Hashable], Backend[Any, Any]] = {}

    def for_executor(self, executor: Executor) -> "Backend[Any, Any]":
        """The backend running ``executor``'s jobs (built on first use)."""
        key = (executor.backend_scheme, _canonical(executor.connection()), None)
        backend = self._by_key.get(key)
        if backend is None:
            backend = self._keep(key, backend_for(executor, context=self.context))
        return backend

    def for_ref(self, ref: BackendRef, cluster: str = "") -> "Backend[Any, Any]":
        """The backend ``ref`` names, serving ``cluster`` ("" lets the backend choose)."""
        key = (ref.scheme, _canonical(ref.connection), cluster)
        backend = self._by_key.get(key)
        if backend is None:
            context = self.context.with_connection(ref.connection)
            backend = self._keep(key, create_backend(ref.scheme, cluster, context=context))
        return backend

    def for_handle(self, handle: Handle, ref: BackendRef | None) -> "Backend[Any, Any]":
        """The backend serving ``handle``, reached through ``ref`` (None: no connection data)."""
        return self.for_ref(ref or BackendRef(handle.backend), handle.cluster)

    def _keep(
        self, key: tuple[str, str, str | None], backend: "Backend[Any, Any]"
    ) -> "Backend[Any, Any]":
        shared = backend.batch_key()
        if shared is not None:
            existing = self._by_batch.setdefault((backend.name, shared), backend)
            if existing is not backend:
                backend.close()
                backend = existing
        self._by_key[key] = backend
        # The same backend, as a handle and its saved reference will ask for it.
        ref = BackendRef.of(backend)
        self._by_key.setdefault((ref.scheme, _canonical(ref.connection), backend.cluster), backend)
        self._by_key.setdefault((ref.scheme, _canonical(ref.connection), ""), backend)
        return backend

    def close(self) -> None:
        """Close every backend (their jobs keep running) and forget them."""
        for backend in {id(b): b for b in self._by_key.values()}.values():
            backend.close()
        self._by_key.clear()
        self._by_batch.clear()
