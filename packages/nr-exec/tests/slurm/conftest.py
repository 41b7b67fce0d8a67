"""Shared helpers of the Slurm backend's unit tests (no cluster needed)."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from nr_exec import BackendContext, backend_for
from nr_exec.slurm import SlurmBackend, SlurmExecutor
from nr_package import Packager
from nr_tunnel import LocalTunnel

ROOT = "/remote/root"


@pytest.fixture
def make_executor() -> Callable[..., SlurmExecutor]:
    def make(**fields: Any) -> SlurmExecutor:
        fields.setdefault("packager", Packager())
        fields.setdefault("tunnel", LocalTunnel(job_dir=ROOT))
        fields.setdefault("account", "acct")
        fields.setdefault("partition", "gpu")
        return SlurmExecutor(**fields)

    return make


@pytest.fixture
def backend_of(tmp_path: Path) -> Callable[[SlurmExecutor], SlurmBackend]:
    """Build an executor's backend as ``nr_exec.backend_for`` does (home in ``tmp_path``)."""

    def build(executor: SlurmExecutor) -> SlurmBackend:
        backend = backend_for(executor, context=BackendContext.default(tmp_path / "home"))
        assert isinstance(backend, SlurmBackend)
        return backend

    return build
