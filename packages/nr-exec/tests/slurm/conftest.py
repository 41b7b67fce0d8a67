"""Shared helpers of the Slurm backend's unit tests (no cluster needed)."""

from collections.abc import Callable
from typing import Any

import pytest
from nr_exec.slurm import SlurmExecutor
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
