"""What a backend is built with: the store's home, its job root, and how to reach the service."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nr_exec.paths import nemorun_home

__all__ = ["BackendContext"]


@dataclass(frozen=True, kw_only=True)
class BackendContext:
    """Everything a backend needs from the process that builds it.

    A backend never reads ``NEMORUN_HOME`` itself and is never patched after construction:
    an ``Experiment(base_dir=X)`` builds every backend with ``home=X``.

    Attributes:
        home: The store root (absolute).
        job_root: Directory indexing job directories by job id (default ``<home>/jobs``).
        connection: JSON-compatible data saying how to reach the service (a tunnel, an
            engine URL), from :meth:`~nr_exec.Executor.connection`; saved with each job, so
            any process can rebuild the backend of a handle without the user's code.
    """

    home: Path
    job_root: Path = Path()
    connection: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        home = Path(self.home).expanduser().absolute()
        object.__setattr__(self, "home", home)
        root = self.job_root
        object.__setattr__(
            self,
            "job_root",
            home / "jobs" if root == Path() else Path(root).expanduser().absolute(),
        )

    @classmethod
    def default(
        cls, home: Path | str | None = None, *, connection: Mapping[str, Any] | None = None
    ) -> "BackendContext":
        """The context for ``home`` (default: :func:`~nr_exec.paths.nemorun_home`, read now).

        Args:
            home: The store root.
            connection: How to reach the service (empty for local services).
        """
        return cls(
            home=Path(home) if home is not None else nemorun_home(),
            connection=dict(connection or {}),
        )

    def with_connection(self, connection: Mapping[str, Any]) -> "BackendContext":
        """Return this context for another service (same home and job root)."""
        return BackendContext(home=self.home, job_root=self.job_root, connection=dict(connection))
