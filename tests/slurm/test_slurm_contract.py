"""The backend contract (``nr_exec.testing.BackendContract``) on the testbed's real Slurm,
through a LocalTunnel and an SSHTunnel (the ``tunnel`` fixture runs every test on both).

Run inside the testbed's network namespace (``hatch run test:all`` does it).
"""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from nr_exec import BackendContext, backend_for
from nr_exec.slurm import SlurmBackend, SlurmExecutor
from nr_exec.testing import BackendContract

pytestmark = [pytest.mark.slurm]


class TestSlurmContract(BackendContract):
    backend_type = SlurmBackend
    timeout = 120.0  # a requeued job waits AuthInfo=cred_expire (10 s on the testbed)

    @pytest.fixture
    def executor(self, make: Callable[..., SlurmExecutor]) -> SlurmExecutor:
        return make(wait_time_for_group_job=0, monitor_group_job=False)

    @pytest.fixture
    def backend(self, executor: SlurmExecutor, tmp_path: Path) -> Iterator[SlurmBackend]:
        built = backend_for(executor, context=BackendContext.default(tmp_path / "home"))
        assert isinstance(built, SlurmBackend)
        yield built
        built.close()
