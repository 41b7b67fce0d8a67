"""The generic TorchX scheduler on a real backend other than local: ``nr_docker`` on the
testbed's Docker engine, with a ``DockerExecutor`` placing the app's jobs."""

import time
from pathlib import Path

import pytest

pytest.importorskip("torchx", reason="needs the torchx extra")

from nr_exec.docker import DockerExecutor
from nr_exec.torchx import BackendScheduler
from nr_package import Packager
from torchx import specs
from torchx.schedulers import get_scheduler_factories


def _wait(scheduler: BackendScheduler, app_id: str) -> specs.AppState:
    deadline = time.monotonic() + 120
    while True:
        described = scheduler.describe(app_id)
        assert described is not None
        if described.state in {specs.AppState.SUCCEEDED, specs.AppState.FAILED}:
            return described.state
        assert time.monotonic() < deadline, f"{app_id} did not end: {described}"
        time.sleep(0.2)


@pytest.mark.docker
def test_nr_docker_runs_an_appdef_in_a_container(testbed: object, tmp_path: Path) -> None:
    executor = DockerExecutor(
        container_image=testbed.docker_python_image,  # type: ignore[attr-defined]
        docker_host=testbed.docker_host,  # type: ignore[attr-defined]
        network="none",
        packager=Packager(),
    )
    scheduler = get_scheduler_factories()["nr_docker"](
        session_name="s", executor=executor, home=str(tmp_path / "home")
    )
    role = specs.Role(
        name="hello",
        image="",
        entrypoint="python3",
        args=["-c", "import os; print('in', os.environ['NR_EXEC_JOB_DIR'])"],
    )
    try:
        info = scheduler.submit_dryrun(specs.AppDef(name="app", roles=[role]), {})
        (spec,) = info.request.specs
        assert spec.job_dir == "/nemo_run"  # placed by the executor: the container's path
        app_id = scheduler.schedule(info)
        assert _wait(scheduler, app_id) is specs.AppState.SUCCEEDED
        assert list(scheduler.log_iter(app_id, "hello")) == ["in /nemo_run\n"]
        assert scheduler.describe(f"{app_id}-never") is None
    finally:
        scheduler.close()
