"""The Slurm backend against the testbed's real Slurm (two nodes, slurmdbd), through a
LocalTunnel and an SSHTunnel to the testbed's sshd.

Run inside the testbed's network namespace:
``bash tools/testbed/run.sh /tmp/venv-nr-slurm/bin/python -m pytest tests/slurm -q``.
"""

import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from nr_config import Partial, Script
from nr_exec import BackendContext, Handle, JobState, backend_for
from nr_exec.slurm import SlurmBackend, SlurmExecutor, Submission
from nr_package import Packager, PatternPackager
from nr_tunnel import SSHTunnel

pytestmark = [pytest.mark.slurm]


@pytest.fixture
def backend(make: Callable[..., SlurmExecutor], tmp_path: Path) -> SlurmBackend:
    slurm = backend_for(make(), context=BackendContext.default(tmp_path / "home"))
    assert isinstance(slurm, SlurmBackend)
    return slurm


@pytest.fixture
def submitted(backend: SlurmBackend) -> Iterator[list[Handle]]:
    """Handles the test submitted; the ones still live are cancelled afterwards."""
    handles: list[Handle] = []
    yield handles
    backend.cancel(handles)


@pytest.fixture
def submit(backend: SlurmBackend, submitted: list[Handle]) -> Callable[..., list[Handle]]:
    def run(requests: list[Any], **kwargs: Any) -> list[Handle]:
        handles = [h for group in backend.submit_many(requests, **kwargs) for h in group]
        submitted.extend(handles)
        return handles

    return run


def test_partial_and_script_with_code_and_logs(
    backend: SlurmBackend,
    submit: Callable[..., list[Handle]],
    make: Callable[..., SlurmExecutor],
    tmp_path: Path,
) -> None:
    (tmp_path / "data.txt").write_text("shipped code\n")
    packager = PatternPackager(include_pattern="*.txt", relative_path=str(tmp_path))
    backend.source = tmp_path
    executor = make(packager=packager, experiment_id="exp1")
    partial = executor.to_job_spec(
        Partial(shutil.copyfile, src="data.txt", dst="out.txt"), name="partial"
    )
    script = executor.to_job_spec(
        Script(
            inline='cat data.txt; echo "arg=[$1] env=[$GREETING]"',
            args=["it's $(x)"],
            env={"GREETING": "a b;c"},
        ),
        name="script",
    )
    handles = submit([backend.dryrun(partial), backend.dryrun(script)])
    statuses = backend.wait(handles, timeout=90, interval=0.5)
    assert [s.state for s in statuses.values()] == [JobState.SUCCEEDED] * 2, statuses
    lines = list(backend.logs(handles[1]))
    assert "shipped code\n" in lines
    assert "arg=[it's $(x)] env=[a b;c]\n" in lines
    offset = len("".join(lines[:1]).encode())
    assert list(backend.logs(handles[1], since=offset)) == lines[1:]
    assert list(backend.logs(handles[1], follow=True))  # ends: the job has ended
    root = backend.root
    written = backend.tunnel.run(f"cat {partial.job_dir}/code/out.txt").stdout
    assert written == "shipped code\n"
    archives = backend.tunnel.run(f"ls {root}/code").stdout.split()
    assert len([a for a in archives if a.endswith(".tar.gz")]) == 1


def test_group_in_one_allocation(
    backend: SlurmBackend, submit: Callable[..., list[Handle]], make: Callable[..., SlurmExecutor]
) -> None:
    executor = make(monitor_group_job=False, wait_time_for_group_job=0)
    specs = [
        executor.to_job_spec(Script(inline=f"echo step-{i} $SLURM_JOB_ID"), name=f"s{i}")
        for i in range(2)
    ]
    (handle,) = submit([backend.dryrun(specs)])
    assert backend.wait([handle], timeout=90, interval=0.5)[handle].state is JobState.SUCCEEDED
    text = "".join(backend.logs(handle))
    assert f"step-0 {handle.job_id}" in text
    assert f"step-1 {handle.job_id}" in text


def test_heterogeneous_job(
    backend: SlurmBackend, submit: Callable[..., list[Handle]], make: Callable[..., SlurmExecutor]
) -> None:
    executor = make(heterogeneous=True, wait_time_for_group_job=0)
    specs = [
        executor.to_job_spec(Script(inline=f'echo "het-{i} head=$het_group_host_0"'), name=f"h{i}")
        for i in range(2)
    ]
    request = backend.dryrun(specs)
    assert "#SBATCH hetjob" in request.materialize()
    (handle,) = submit([request])
    assert backend.wait([handle], timeout=90, interval=0.5)[handle].state is JobState.SUCCEEDED
    text = "".join(backend.logs(handle))
    assert "het-0 head=n" in text
    assert "het-1 head=n" in text


def test_array(
    backend: SlurmBackend, submitted: list[Handle], make: Callable[..., SlurmExecutor]
) -> None:
    executor = make(array_parallelism=2, experiment_id="sweep")
    specs = [
        executor.to_job_spec(
            Script(inline=f"echo element-{i}; exit {1 if i == 3 else 0}"), name="el"
        )
        for i in range(5)
    ]
    handles = backend.submit_array(specs, name="el")
    submitted.extend(handles)
    assert len({h.job_id.split("_")[0] for h in handles}) == 1
    statuses = backend.wait(handles, timeout=120, interval=0.5)
    states = [statuses[h].state for h in handles]
    assert states == [JobState.SUCCEEDED] * 3 + [JobState.FAILED, JobState.SUCCEEDED]
    assert statuses[handles[3]].exit_code == 1
    assert "".join(backend.logs(handles[2])) == "element-2\n"


def test_find_by_job_id_with_prefix_arrays_and_many_names(
    backend: SlurmBackend,
    submitted: list[Handle],
    submit: Callable[..., list[Handle]],
    make: Callable[..., SlurmExecutor],
) -> None:
    executor = make(experiment_id="exp", job_name_prefix="team-")
    single = executor.to_job_spec(Script(inline="true"), name="one")
    (handle,) = submit([backend.dryrun(single)])
    elements = [executor.to_job_spec(Script(inline="true"), name="el") for _ in range(3)]
    handles = backend.submit_array(elements, name="el")
    submitted.extend(handles)
    absent = [f"absent-{uuid.uuid4().hex}-{i}" for i in range(3000)]  # several commands' worth
    found = backend.find([*absent, single.job_id, *(spec.job_id for spec in elements)])
    expected = {spec.job_id: h for spec, h in zip(elements, handles, strict=True)}
    assert found == {single.job_id: handle, **expected}


def test_dependency_chain_with_failing_parent(
    backend: SlurmBackend, submit: Callable[..., list[Handle]], make: Callable[..., SlurmExecutor]
) -> None:
    ok, anyway = make(), make(dependency_type="afterany")
    parent = backend.dryrun(ok.to_job_spec(Script(inline="exit 3"), name="parent"))
    child = backend.dryrun(ok.to_job_spec(Script(inline="echo child"), name="child"))
    cleanup = backend.dryrun(anyway.to_job_spec(Script(inline="echo cleanup"), name="cleanup"))
    handles = submit([parent, Submission(child, after=(0,)), Submission(cleanup, after=(0,))])
    statuses = backend.wait(handles, timeout=90, interval=0.5)
    assert statuses[handles[0]].state is JobState.FAILED
    assert statuses[handles[0]].exit_code == 3
    assert statuses[handles[1]].state is JobState.CANCELLED
    assert statuses[handles[2]].state is JobState.SUCCEEDED


def test_sequential_and_cancel_with_dependents(
    backend: SlurmBackend, submit: Callable[..., list[Handle]], make: Callable[..., SlurmExecutor]
) -> None:
    executor = make()
    requests = [
        backend.dryrun(executor.to_job_spec(Script(inline="sleep 300"), name=f"seq{i}"))
        for i in range(3)
    ]
    handles = submit(requests, sequential=True)
    states = backend.status(handles)
    assert states[handles[2]].state is JobState.PENDING
    assert backend.cancel(handles[:1]) == handles[:1]  # its dependents go too
    statuses = backend.wait(handles, timeout=60, interval=0.5)
    assert all(s.state is JobState.CANCELLED for s in statuses.values()), statuses
    assert backend.cancel(handles) == []  # idempotent


def test_requeued_job_counts_retries(
    backend: SlurmBackend, submit: Callable[..., list[Handle]], make: Callable[..., SlurmExecutor]
) -> None:
    # A requeued job waits AuthInfo=cred_expire seconds before it may start again (Slurm's
    # default 120 s; the testbed sets 10 s).
    executor = make(retries=1)
    body = 'echo "attempt ${SLURM_RESTART_COUNT:-0}"; [ "${SLURM_RESTART_COUNT:-0}" -ge 1 ]'
    (handle,) = submit([backend.dryrun(executor.to_job_spec(Script(inline=body), name="rq"))])
    status = backend.wait([handle], timeout=90, interval=0.5)[handle]
    assert (status.state, status.retries) == (JobState.SUCCEEDED, 1), status
    assert "attempt 1\n" in list(backend.logs(handle))


@pytest.mark.slow
@pytest.mark.parametrize("tunnel", ["local"], indirect=True)  # one tunnel: it takes a minute
def test_time_limit(
    backend: SlurmBackend, submit: Callable[..., list[Handle]], make: Callable[..., SlurmExecutor]
) -> None:
    executor = make(time="00:01:00")
    spec = executor.to_job_spec(Script(inline="sleep 600"), name="slow")
    (handle,) = submit([backend.dryrun(spec)])
    status = backend.wait([handle], timeout=180, interval=2)[handle]
    assert status.state is JobState.FAILED
    assert status.reason is not None
    assert status.reason.value == "TIMEOUT"


def test_non_root_user_over_ssh(testbed: Any, tmp_path: Path) -> None:
    testbed.require("slurm")
    testbed.require("ssh")
    tunnel = SSHTunnel(
        host=testbed.ssh_host,
        port=testbed.ssh_port,
        user=testbed.ssh_user,
        identity=testbed.ssh_key,
        known_hosts=testbed.ssh_known_hosts,
        job_dir=f"/tmp/nr-slurm-user-{uuid.uuid4().hex[:8]}",
    )
    executor = SlurmExecutor(tunnel=tunnel, packager=Packager(), partition=testbed.slurm_partition)
    backend = backend_for(executor, context=BackendContext.default(tmp_path))
    handle = backend.submit(
        backend.dryrun(executor.to_job_spec(Script(inline="id -un"), name="who"))
    )
    try:
        assert backend.wait([handle], timeout=90, interval=0.5)[handle].state is JobState.SUCCEEDED
        assert list(backend.logs(handle)) == [f"{testbed.ssh_user}\n"]
        assert handle.cluster == f"{testbed.ssh_user}@{testbed.ssh_host}:{testbed.ssh_port}"
    finally:
        backend.cancel([handle])
        tunnel.cleanup()
