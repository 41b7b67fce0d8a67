"""The real local backend passes the backend contract (real processes on this machine)."""

from pathlib import Path

import pytest
from nr_exec import BackendContext, LocalBackend, LocalExecutor
from nr_exec.testing import BackendContract


class TestLocalContract(BackendContract):
    backend_type = LocalBackend

    @pytest.fixture
    def backend(self, tmp_path: Path) -> LocalBackend:
        return LocalBackend(context=BackendContext.default(tmp_path / "home"), grace_period=2.0)

    @pytest.fixture
    def executor(self) -> LocalExecutor:
        return LocalExecutor()
