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
from nr_exec import BackendContext, BackendError, Handle, JobState, backend_for, backend_for_handle
from nr_exec.docker import DockerBackend, DockerExecutor
from nr_exec.docker.client import ContainerInfo, EngineClient
from nr_exec.docker.naming import MANAGED_FILTER
from nr_package import Packager

TIMEOUT = 60


def containers_of(host: str, job_id: str) -> list[ContainerInfo]:
    """The containers of ``job_id`` that still exist, as the engine lists them."""
    client = EngineClient(host)
    try:
        return client.list([MANAGED_FILTER, f"nemo-run/job-id={job_id}"])
    finally:
        client.close()


def left_running(host: str, job_id: str) -> list[str]:
    """Names of the containers of ``job_id`` that still exist."""
    return [info.name for info in containers_of(host, job_id)]


def wait_until_exited(host: str, job_id: str) -> None:
    """Wait until the engine lists every container of ``job_id`` as exited (nobody removes it)."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        states = {info.state for info in containers_of(host, job_id)}
        if states == {"exited"}:
            return
        time.sleep(0.1)
    raise AssertionError(f"the containers of {job_id} did not exit within {TIMEOUT}s")


def make_executor(host: str, image: str, **changes: object) -> DockerExecutor:
    values: dict[str, object] = {"container_image": image, "docker_host": host, "network": "none"}
    values.update(changes)
    return DockerExecutor(**values)  # type: ignore[arg-type]


def backend_of(executor: DockerExecutor, home: Path) -> DockerBackend:
    """The executor's backend, indexing jobs under ``home``."""
    backend = backend_for(executor, context=BackendContext.default(home))
    assert isinstance(backend, DockerBackend)
    return backend


def partial(name: str, **kwargs: object) -> Partial:
    import dockertasks

    return Partial(getattr(dockertasks, name), **kwargs)


@pytest.mark.docker
def test_partial_succeeds_with_packaged_code(engine: tuple[str, str], task_repo: Path) -> None:
    executor = make_executor(*engine)
    backend = backend_of(executor, task_repo.parent / "home")
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
    backend = backend_of(executor, task_repo.parent / "home")
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
    backend = backend_of(executor, task_repo.parent / "home")
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
    backend = backend_of(executor, task_repo.parent / "home")
    spec = executor.to_job_spec(Script(inline="echo started; sleep 120"), name="long")
    handle = backend.submit(backend.dryrun(spec))
    lines = backend.logs(handle, follow=True)
    assert next(lines) == "started\n"
    assert backend.cancel(handle) == [handle]
    status = backend.status([handle])[handle]
    assert status.state is JobState.CANCELLED
    assert left_running(engine[0], handle.job_id) == []
    assert list(lines) == []  # following ends with the job
    assert backend.cancel(handle) == []
    assert backend.status([handle])[handle].state is JobState.CANCELLED


@pytest.mark.docker
def test_cancel_after_the_end_keeps_the_outcome(engine: tuple[str, str], task_repo: Path) -> None:
    executor = make_executor(*engine, packager=Packager())
    backend = backend_of(executor, task_repo.parent / "home")
    handle = backend.submit(backend.dryrun(executor.to_job_spec(Script(inline="exit 0"))))
    backend.wait([handle], timeout=TIMEOUT)
    assert backend.cancel(handle) == []
    assert backend.status([handle])[handle].state is JobState.SUCCEEDED


LAUNCHER = """
import sys
from nr_config import Script
from nr_package import Packager
from nr_exec import BackendContext, backend_for
from nr_exec.docker import DockerExecutor
executor = DockerExecutor(
    container_image=sys.argv[2], docker_host=sys.argv[1], network="none", packager=Packager()
)
backend = backend_for(executor, context=BackendContext.default(sys.argv[3]))
script = Script(inline="echo one; sleep 1; echo two; exit 7")
handle = backend.submit(backend.dryrun(executor.to_job_spec(script), detach=True))
print(handle, flush=True)
"""


@pytest.mark.docker
def test_detach_and_reattach_from_another_process(engine: tuple[str, str], task_repo: Path) -> None:
    # The launcher exits right after submitting; this process follows the logs, reads the
    # status, and cleans up the container the launcher left behind.
    home = task_repo.parent / "home"
    out = subprocess.run(
        [sys.executable, "-c", LAUNCHER, *engine, str(home)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ},
        timeout=TIMEOUT,
    )
    handle = Handle.parse(out.stdout.strip())
    connection = {"docker_host": engine[0]}
    backend = backend_for_handle(
        handle, context=BackendContext.default(home, connection=connection)
    )
    assert isinstance(backend, DockerBackend)
    assert list(backend.logs(handle, follow=True)) == ["one\n", "two\n"]
    status = backend.wait([handle], timeout=TIMEOUT)[handle]
    assert status.state is JobState.FAILED
    assert status.exit_code == 7
    assert left_running(engine[0], handle.job_id) == []


@pytest.mark.docker
def test_orphans_are_cleaned_by_any_status_call(engine: tuple[str, str], task_repo: Path) -> None:
    home = task_repo.parent / "home"
    out = subprocess.run(
        [sys.executable, "-c", LAUNCHER, *engine, str(home)],
        capture_output=True,
        text=True,
        check=True,
    )
    orphan = Handle.parse(out.stdout.strip())
    wait_until_exited(engine[0], orphan.job_id)  # the orphan ends; nobody has looked at it
    assert len(left_running(engine[0], orphan.job_id)) == 1
    executor = make_executor(*engine, packager=Packager())
    backend = backend_of(executor, task_repo.parent / "home")
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

    home = task_repo.parent / "home"

    def submit(_: int) -> Handle:
        backend = backend_of(executor, home)
        spec = executor.to_job_spec(Script(inline="true"), name="same-name")
        try:
            return backend.submit(backend.dryrun(spec))
        finally:
            backend.close()

    with ThreadPoolExecutor(8) as pool:
        handles = list(pool.map(submit, range(16)))
    assert len(set(handles)) == 16
    statuses = backend_of(executor, home).wait(handles, timeout=TIMEOUT)
    assert {s.state for s in statuses.values()} == {JobState.SUCCEEDED}


@pytest.mark.docker
def test_retries_restart_the_container(engine: tuple[str, str], task_repo: Path) -> None:
    executor = make_executor(*engine, packager=Packager(), retries=2)
    backend = backend_of(executor, task_repo.parent / "home")
    handle = backend.submit(backend.dryrun(executor.to_job_spec(Script(inline="echo try; exit 9"))))
    status = backend.wait([handle], timeout=TIMEOUT)[handle]
    assert status.state is JobState.FAILED
    assert status.exit_code == 9
    assert status.retries == 2
    assert list(backend.logs(handle)) == ["try\n"] * 3


@pytest.mark.docker
def test_refused_create_leaves_nothing_findable(engine: tuple[str, str], task_repo: Path) -> None:
    # The first member's container is created, the second's image is missing: the engine
    # refuses it, the first is removed, and no backend finds or knows the job afterwards.
    host, image = engine
    good = make_executor(host, image, packager=Packager())
    missing = make_executor(host, "nr-testbed/no-such-image:0", packager=Packager())
    home = task_repo.parent / "home"
    backend = backend_of(good, home)
    job_dir = str(task_repo.parent / "refused")
    specs = [
        good.to_job_spec(Script(inline="sleep 60"), name="r-0", job_dir=job_dir),
        missing.to_job_spec(Script(inline="true"), name="r-1", job_dir=job_dir),
    ]
    with pytest.raises(BackendError, match=r"was not submitted.*no-such-image") as info:
        backend.submit(backend.dryrun(specs))
    assert host in str(info.value)
    job_id = specs[0].job_id
    assert left_running(host, job_id) == []
    assert not (home / "jobs" / job_id).exists()  # the job-root entry was taken back
    fresh = backend_of(good, home)
    assert fresh.find([job_id]) == {}
    handle = Handle("docker", fresh.cluster, job_id)
    assert fresh.describe([handle]) == {handle: None}
    assert fresh.status([handle])[handle].state is JobState.UNKNOWN
    again = fresh.submit(fresh.dryrun(specs[0]))  # never received: it can be submitted again
    assert fresh.find([job_id]) == {job_id: again}
    with pytest.raises(BackendError, match="already"):  # received: never a duplicate
        fresh.submit(fresh.dryrun(specs[0]))
    assert len(left_running(host, job_id)) == 1
    assert fresh.cancel(again) == [again]


@pytest.mark.docker
def test_jobs_are_indexed_under_the_context_home(
    engine: tuple[str, str], task_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_home = task_repo.parent / "env-home"
    monkeypatch.setenv("NEMORUN_HOME", str(env_home))
    store = task_repo.parent / "store"
    executor = make_executor(*engine, packager=Packager())
    backend = backend_of(executor, store)
    job_dir = store / "experiments" / "exp-1" / "job"
    spec = executor.to_job_spec(Script(inline="echo indexed"), job_dir=str(job_dir))
    handle = backend.submit(backend.dryrun(spec))
    assert backend.wait([handle], timeout=TIMEOUT)[handle].state is JobState.SUCCEEDED
    entry = store / "jobs" / handle.job_id
    assert entry.resolve() == job_dir.resolve()
    assert backend.job_dir(handle) == entry
    assert (job_dir / "exit.json").is_file()
    assert not env_home.exists()
    elsewhere = backend_of(executor, task_repo.parent / "other-home")
    assert elsewhere.describe([handle]) == {handle: None}
    assert elsewhere.find([handle.job_id]) == {}
    assert list(backend_of(executor, store).logs(handle)) == ["indexed\n"]


@pytest.mark.docker
def test_status_find_and_cancel_of_many_list_the_engine_once(
    engine: tuple[str, str], task_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    executor = make_executor(*engine, packager=Packager())
    backend = backend_of(executor, task_repo.parent / "home")
    specs = [executor.to_job_spec(Script(inline="sleep 120"), name=f"many-{i}") for i in range(4)]
    handles = [backend.submit(backend.dryrun(spec)) for spec in specs]
    listings: list[object] = []
    real_list = EngineClient.list

    def counted(self: EngineClient, label_filters: object) -> list[ContainerInfo]:
        listings.append(label_filters)
        return real_list(self, label_filters)  # type: ignore[arg-type]

    monkeypatch.setattr(EngineClient, "list", counted)
    statuses = backend.status(handles)
    assert {s.state for s in statuses.values()} <= {JobState.RUNNING, JobState.PENDING}
    assert len(listings) == 1
    assert backend.find([spec.job_id for spec in specs]) == dict(
        zip([spec.job_id for spec in specs], handles, strict=True)
    )
    assert len(listings) == 2
    assert set(backend.cancel(handles)) == set(handles)
    assert len(listings) == 4  # describe, then the containers to stop
    assert all(left_running(engine[0], h.job_id) == [] for h in handles)


SUBMITTER = """
import sys
from nr_config import Script
from nr_package import Packager
from nr_exec import BackendContext, backend_for
from nr_exec.docker import DockerExecutor
host, image, home, root, *job_ids = sys.argv[1:]
executor = DockerExecutor(
    container_image=image, docker_host=host, network="none", packager=Packager()
)
backend = backend_for(executor, context=BackendContext.default(home))
for job_id in job_ids:
    spec = executor.to_job_spec(
        Script(inline="sleep 120"), name="reconcile", job_id=job_id, job_dir=f"{root}/{job_id}"
    )
    handle = backend.submit(backend.dryrun(spec))
    print(handle, flush=True)
"""


@pytest.mark.docker
def test_killed_submitter_is_reconciled_by_find(engine: tuple[str, str], task_repo: Path) -> None:
    # A launcher submitting 8 jobs is killed with SIGKILL after the third; find() from a
    # fresh backend returns exactly the jobs the engine has, each with one container. Found
    # jobs cancel; the others were never received and submit again without a duplicate.
    host, image = engine
    home, root = task_repo.parent / "home", task_repo.parent / "jobs"
    job_ids = [f"reconcile-{i}-{os.urandom(4).hex()}" for i in range(8)]
    submitter = subprocess.Popen(
        [sys.executable, "-c", SUBMITTER, host, image, str(home), str(root), *job_ids],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert submitter.stdout is not None
    printed = [Handle.parse(submitter.stdout.readline()) for _ in range(3)]
    submitter.kill()
    submitter.wait(timeout=TIMEOUT)
    submitter.stdout.close()
    on_engine = {job_id: containers_of(host, job_id) for job_id in job_ids}
    existing = [job_id for job_id, infos in on_engine.items() if infos]
    assert all(len(infos) == 1 for infos in on_engine.values() if infos)  # no duplicates
    executor = make_executor(host, image, packager=Packager())
    fresh = backend_of(executor, home)
    found = fresh.find(job_ids)
    assert sorted(found) == sorted(existing)
    assert set(printed) <= set(found.values())
    assert set(fresh.cancel(list(found.values()))) == set(found.values())
    statuses = fresh.status(list(found.values()))
    assert {s.state for s in statuses.values()} == {JobState.CANCELLED}
    missing = [job_id for job_id in job_ids if job_id not in found]
    for job_id in missing:
        spec = executor.to_job_spec(
            Script(inline="true"), name="reconcile", job_id=job_id, job_dir=str(root / job_id)
        )
        fresh.submit(fresh.dryrun(spec))
    assert sorted(fresh.find(job_ids)) == sorted(job_ids)
    resubmitted = [Handle("docker", fresh.cluster, job_id) for job_id in missing]
    assert all(len(containers_of(host, job_id)) <= 1 for job_id in missing)
    finished = fresh.wait(resubmitted, timeout=TIMEOUT)
    assert {s.state for s in finished.values()} <= {JobState.SUCCEEDED}


@pytest.mark.podman
def test_podman_success_failure_group_and_cancel(podman: tuple[str, str], task_repo: Path) -> None:
    executor = make_executor(*podman, ulimits=["nofile=1024:1024", "nproc=4096:4096"])
    backend = backend_of(executor, task_repo.parent / "home")
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
