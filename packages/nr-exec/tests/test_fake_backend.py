"""The in-memory FakeBackend passes the backend contract, with any set of capabilities."""

from typing import Any

import pytest
from nr_exec import BackendContext, JobState, create_backend
from nr_exec.testing import BackendContract, FakeBackend, FakeExecutor


@pytest.fixture(autouse=True)
def _fresh_clusters() -> Any:
    FakeBackend.reset()
    yield
    FakeBackend.reset()


class TestFakeContract(BackendContract):
    timeout = 5.0
    backend_type = FakeBackend

    @pytest.fixture
    def backend(self, tmp_path: Any) -> FakeBackend:
        return FakeBackend("unit", context=BackendContext.default(tmp_path))

    @pytest.fixture
    def executor(self) -> FakeExecutor:
        return FakeExecutor(cluster="unit")


class TestFakeWithoutOptionalFeatures(BackendContract):
    timeout = 5.0
    backend_type = FakeBackend.variant(())

    @pytest.fixture
    def backend(self, tmp_path: Any) -> Any:
        return create_backend(
            "fake",
            "bare",
            context=BackendContext.default(tmp_path, connection={"capabilities": []}),
        )

    @pytest.fixture
    def executor(self) -> FakeExecutor:
        return FakeExecutor(cluster="bare", features=())


def test_lost_answer_is_found_and_never_received_is_not(tmp_path: Any) -> None:
    backend = FakeBackend("lossy", context=BackendContext.default(tmp_path))
    executor = FakeExecutor(cluster="lossy")
    from nr_config import Script

    received = executor.to_job_spec(
        Script(inline="true"), job_id="kept", job_dir=str(tmp_path / "a")
    )
    dropped = executor.to_job_spec(
        Script(inline="true"), job_id="lost", job_dir=str(tmp_path / "b")
    )
    backend.service.fail_submits.extend([True, False])
    for spec in (received, dropped):
        with pytest.raises(Exception, match="fake submit failure"):
            backend.submit(backend.dryrun(spec))
    found = backend.find(["kept", "lost"])
    assert list(found) == ["kept"]
    assert backend.status([found["kept"]])[found["kept"]].state in {
        JobState.PENDING,
        JobState.RUNNING,
    }
