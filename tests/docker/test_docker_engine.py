"""The docker backend against the testbed's real engines (Docker; Podman's Docker API)."""

import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from nr_config import Partial, Script
from nr_exec import Handle, JobState
from nr_exec.docker import DockerBackend, DockerExecutor
from nr_exec.docker.client import EngineClient
from nr_exec.docker.naming import MANAGED_FILTER
from nr_package import Packager

TIMEOUT = 60


def left_running(host: str, job_id: str) -> list[str]:
    """Names of the containers of ``job_id`` that still exist."""
    client = EngineClient(host)
    try:
        return [i.name for i in client.list([MANAGED_FILTER, f"nemo-run/job-id={job_id}"])]
    finally:
        client.close()


def make_executor(host: str, image: str, **changes: object) -> DockerExecutor:
    values: dict[str, object] = {"container_image": image, "docker_host": host, "network": "none"}
    values.update(changes)
    return DockerExecutor(**values)  # type: ignore[arg-type]


def partial(name: str, **kwargs: object) -> Partial:
    import dockertasks

    return Partial(getattr(dockertasks, name), **kwargs)


@pytest.mark.docker
def test_partial_succeeds_with_packaged_code(engine: tuple[str, str], task_repo: Path) -> None:
    executor = make_executor(*engine)
    backend = executor.backend()
    spec = executor.to_job_spec(partial("work", text="hello"), name="ok")
    handle = backend.submit(backend.dryrun(spec))
    status = backend.wait([handle], timeout=TIMEOUT)[handle]
    assert status.state is JobState.SUCCEEDED, status
    assert status.exit_code == 0
    assert list(backend.logs(handle)) == ["work hello\n"]
    job_dir = backend.job_dir(handle)
    assert (job_dir / "code" / "dockertasks.py").is_file()
    marker = json.loads((job_dir / "exit.json").read_text())
    assert marker["exit_code"] == 0
    assert left_running(engine[0], handle.job_id) == []
    backend.close()


@pytest.mark.docker
def test_failing_command_is_failed_every_time(engine: tuple[str, str], task_repo: Path) -> None:
    # Regression (NeMo-Run #218): a failed command in a container must never read SUCCEEDED.
    executor = make_executor(*engine, packager=Packager())
    backend = executor.backend()
    handles = [
        backend.submit(backend.dryrun(executor.to_job_spec(Script(inline="exit 3"), name="bad")))
        for _ in range(3)
    ]
    shipped = make_executor(*engine)  # GitArchivePackager: the task module is in the image
    handles.append(backend.submit(backend.dryrun(shipped.to_job_spec(partial("work", code=4)))))
    statuses = backend.wait(handles, timeout=TIMEOUT)
    assert [s.state for s in statuses.values()] == [JobState.FAILED] * 4
    assert [s.exit_code for s in statuses.values()] == [3, 3, 3, 4]
    again = backend.status(handles)  # read back from the markers, containers gone
    assert [s.exit_code for s in again.values()] == [3, 3, 3, 4]
    for handle in handles:
        assert left_running(engine[0], handle.job_id) == []


@pytest.mark.docker
def test_group_with_one_failing_member_fails(engine: tuple[str, str], task_repo: Path) -> None:
    executor = make_executor(*engine, packager=Packager())
    backend = executor.backend()
    job_dir = str(task_repo.parent / "group")
    specs = [
        executor.to_job_spec(Script(inline="echo fine"), name="g-0", job_dir=job_dir),
        executor.to_job_spec(Script(inline="echo broken; exit 5"), name="g-1", job_dir=job_dir),
        executor.to_job_spec(Script(inline="sleep 60"), name="g-2", job_dir=job_dir),
    ]
    handle = backend.submit(backend.dryrun(specs))
    status = backend.wait([handle], timeout=TIMEOUT)[handle]
    assert status.state is JobState.FAILED
    assert status.exit_code == 5
    assert "task 1" in status.message
    assert sorted(backend.logs(handle)) == ["broken\n", "fine\n"]
    assert left_running(engine[0], handle.job_id) == []  # the sleeping member was stopped


@pytest.mark.docker
def test_cancel_stops_removes_and_is_idempotent(engine: tuple[str, str], task_repo: Path) -> None:
    executor = make_executor(*engine, packager=Packager())
    backend = executor.backend()
    spec = executor.to_job_spec(Script(inline="echo started; sleep 120"), name="long")
    handle = backend.submit(backend.dryrun(spec))
    lines = backend.logs(handle, follow=True)
    assert next(lines) == "started\n"
    started = time.monotonic()
    backend.cancel(handle)
    assert time.monotonic() - started < 10  # the init process passes SIGTERM on
    assert backend.status([handle])[handle].state is JobState.CANCELLED
    assert left_running(engine[0], handle.job_id) == []
    assert list(lines) == []  # following ends with the job
    backend.cancel(handle)
    assert backend.status([handle])[handle].state is JobState.CANCELLED


@pytest.mark.docker
def test_cancel_after_the_end_keeps_the_outcome(engine: tuple[str, str], task_repo: Path) -> None:
    executor = make_executor(*engine, packager=Packager())
    backend = executor.backend()
    handle = backend.submit(backend.dryrun(executor.to_job_spec(Script(inline="exit 0"))))
    backend.wait([handle], timeout=TIMEOUT)
    backend.cancel(handle)
    assert backend.status([handle])[handle].state is JobState.SUCCEEDED


LAUNCHER = """
import sys
from nr_config import Script
from nr_package import Packager
from nr_exec.docker import DockerExecutor
executor = DockerExecutor(
    container_image=sys.argv[2], docker_host=sys.argv[1], network="none", packager=Packager()
)
backend = executor.backend()
script = Script(inline="echo one; sleep 1; echo two; exit 7")
handle = backend.submit(backend.dryrun(executor.to_job_spec(script), detach=True))
print(handle, flush=True)
"""


@pytest.mark.docker
def test_detach_and_reattach_from_another_process(engine: tuple[str, str], task_repo: Path) -> None:
    # The launcher exits right after submitting; this process follows the logs, reads the
    # status, and cleans up the container the launcher left behind.
    out = subprocess.run(
        [sys.executable, "-c", LAUNCHER, *engine],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ},
        timeout=TIMEOUT,
    )
    handle = Handle.parse(out.stdout.strip())
    backend = DockerBackend(docker_host=engine[0])
    assert list(backend.logs(handle, follow=True)) == ["one\n", "two\n"]
    status = backend.wait([handle], timeout=TIMEOUT)[handle]
    assert status.state is JobState.FAILED
    assert status.exit_code == 7
    assert left_running(engine[0], handle.job_id) == []


@pytest.mark.docker
def test_orphans_are_cleaned_by_any_status_call(engine: tuple[str, str], task_repo: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-c", LAUNCHER, *engine], capture_output=True, text=True, check=True
    )
    orphan = Handle.parse(out.stdout.strip())
    time.sleep(2.5)  # the orphan ends; nobody has looked at it
    assert len(left_running(engine[0], orphan.job_id)) == 1
    executor = make_executor(*engine, packager=Packager())
    backend = executor.backend()
    other = backend.submit(backend.dryrun(executor.to_job_spec(Script(inline="true"))))
    backend.wait([other], timeout=TIMEOUT)
    assert left_running(engine[0], orphan.job_id) == []  # recorded and removed by label
    marker = json.loads((backend.job_dir(orphan) / ".exit-0.json").read_text())
    assert marker["exit_code"] == 7
    assert backend.status([orphan])[orphan].exit_code == 7


@pytest.mark.docker
def test_concurrent_submits_never_clash(engine: tuple[str, str], task_repo: Path) -> None:
    # Regression (NeMo-Run #57): parallel launches failed with 409 name conflicts.
    executor = make_executor(*engine, packager=Packager())

    def submit(_: int) -> Handle:
        backend = executor.backend()
        spec = executor.to_job_spec(Script(inline="true"), name="same-name")
        return backend.submit(backend.dryrun(spec))

    with ThreadPoolExecutor(8) as pool:
        handles = list(pool.map(submit, range(16)))
    statuses = executor.backend().wait(handles, timeout=TIMEOUT)
    assert {s.state for s in statuses.values()} == {JobState.SUCCEEDED}


@pytest.mark.docker
def test_retries_restart_the_container(engine: tuple[str, str], task_repo: Path) -> None:
    executor = make_executor(*engine, packager=Packager(), retries=2)
    backend = executor.backend()
    handle = backend.submit(backend.dryrun(executor.to_job_spec(Script(inline="echo try; exit 9"))))
    status = backend.wait([handle], timeout=TIMEOUT)[handle]
    assert status.state is JobState.FAILED
    assert status.exit_code == 9
    assert status.retries == 2
    assert list(backend.logs(handle)) == ["try\n"] * 3


@pytest.mark.docker
def test_engine_errors_are_backend_errors(engine: tuple[str, str], task_repo: Path) -> None:
    from nr_exec import BackendError

    executor = make_executor(engine[0], "nr-testbed/no-such-image:0", packager=Packager())
    backend = executor.backend()
    with pytest.raises(BackendError, match="no-such-image"):
        backend.submit(backend.dryrun(executor.to_job_spec(Script(inline="true"))))


@pytest.mark.podman
def test_podman_success_failure_group_and_cancel(podman: tuple[str, str], task_repo: Path) -> None:
    executor = make_executor(*podman, ulimits=["nofile=1024:1024", "nproc=4096:4096"])
    backend = executor.backend()
    ok = backend.submit(backend.dryrun(executor.to_job_spec(partial("work", text="podman"))))
    bad = backend.submit(backend.dryrun(executor.to_job_spec(partial("work", code=6))))
    job_dir = str(task_repo.parent / "pgroup")
    group = backend.submit(
        backend.dryrun(
            [
                executor.to_job_spec(Script(inline="exit 0"), name="a", job_dir=job_dir),
                executor.to_job_spec(Script(inline="exit 2"), name="b", job_dir=job_dir),
            ]
        )
    )
    long = backend.submit(backend.dryrun(executor.to_job_spec(Script(inline="sleep 120"))))
    statuses = backend.wait([ok, bad, group], timeout=TIMEOUT)
    assert [s.state for s in statuses.values()] == [JobState.SUCCEEDED, JobState.FAILED] * 1 + [
        JobState.FAILED
    ]
    assert statuses[bad].exit_code == 6
    assert statuses[group].exit_code == 2
    assert list(backend.logs(ok)) == ["work podman\n"]
    backend.cancel(long)
    assert backend.status([long])[long].state is JobState.CANCELLED
    for handle in (ok, bad, group, long):
        assert left_running(podman[0], handle.job_id) == []
