"""LocalBackend with real processes: submit, status (also from another process), logs, cancel,
detach, groups, retries, and every declared capability."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nr_config
import pytest
from nr_exec import (
    BackendError,
    Handle,
    JobSpec,
    JobState,
    LocalBackend,
    LocalExecutor,
    LocalRequest,
    Resources,
    UnsupportedFeatureError,
    make_job_spec,
    read_exit_marker,
)
from nr_exec.backend import Request
from nr_exec.local.backend import _CHILDREN
from nr_exec.local.proc import is_alive, start_time


def _submit(
    backend: LocalBackend, task: object, *, detach: bool = False, **executor: object
) -> Handle:
    spec = make_job_spec(task, LocalExecutor(**executor))  # type: ignore[arg-type]
    return backend.submit(backend.dryrun(spec, detach=detach))


def _wait_for(predicate: object, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _status_elsewhere(root: Path, handle: Handle) -> dict[str, object]:
    """The status of ``handle`` as another process sees it."""
    program = (
        "import json, sys; from nr_exec import Handle, LocalBackend; "
        "h = Handle.parse(sys.argv[2]); s = LocalBackend(sys.argv[1]).status([h])[h]; "
        "print(json.dumps({'state': s.state.value, 'exit_code': s.exit_code, 'message': s.message}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", program, str(root), str(handle)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def test_partial_succeeds_with_logs_and_marker(home: Path) -> None:
    import nrx_tasks

    backend = LocalBackend()
    handle = _submit(backend, nr_config.Partial(nrx_tasks.hello, name="local"))
    assert handle.backend == "local"
    assert str(handle) == f"local://{backend.host}/{handle.job_id}"
    status = backend.wait([handle], timeout=30)[handle]
    assert (status.state, status.exit_code) == (JobState.SUCCEEDED, 0)
    assert list(backend.logs(handle)) == ["hello local\n"]
    job_dir = home / "jobs" / handle.job_id
    assert (job_dir / "logs" / "output.log").read_text() == "hello local\n"
    marker = read_exit_marker(job_dir / "exit.json")
    assert marker is not None
    assert marker.writer == "runner"
    state = json.loads((job_dir / "local.json").read_text())
    assert state["pid"] > 0
    assert state["host"] == backend.host


def test_failures_carry_exit_code_and_error(home: Path) -> None:
    import nrx_tasks

    backend = LocalBackend()
    boom = _submit(backend, nr_config.Partial(nrx_tasks.boom, message="no data"))
    script = _submit(backend, nr_config.Script(inline="echo out; echo err >&2; exit 3"))
    statuses = backend.wait([boom, script], timeout=30)
    assert (statuses[boom].state, statuses[boom].exit_code, statuses[boom].message) == (
        JobState.FAILED,
        1,
        "ValueError: no data",
    )
    assert (statuses[script].state, statuses[script].exit_code) == (JobState.FAILED, 3)
    assert "".join(backend.logs(script)) == "out\nerr\n"


def test_job_in_experiment_dir_is_indexed(home: Path, tmp_path: Path) -> None:
    backend = LocalBackend()
    job_dir = tmp_path / "exp" / "job-a"
    spec = make_job_spec(
        nr_config.Script(inline="echo indexed"),
        LocalExecutor(),
        job_dir=str(job_dir),
        job_id="job-a-1",
    )
    handle = backend.submit(backend.dryrun(spec))
    backend.wait([handle], timeout=30)
    assert (home / "jobs" / "job-a-1").resolve() == job_dir.resolve()
    assert _status_elsewhere(home / "jobs", handle)["state"] == "SUCCEEDED"
    other = make_job_spec(
        nr_config.Script(inline="true"),
        LocalExecutor(),
        job_dir=str(tmp_path / "b"),
        job_id="job-a-1",
    )
    with pytest.raises(BackendError, match="already used"):
        backend.submit(backend.dryrun(other))


def test_status_from_another_process(home: Path) -> None:
    import nrx_tasks

    backend = LocalBackend()
    handle = _submit(backend, nr_config.Partial(nrx_tasks.sleep, seconds=30))
    _wait_for(lambda: "sleeping" in "".join(backend.logs(handle)))
    assert _status_elsewhere(home / "jobs", handle)["state"] == "RUNNING"
    backend.cancel(handle)
    elsewhere = _status_elsewhere(home / "jobs", handle)
    assert (elsewhere["state"], elsewhere["message"]) == ("CANCELLED", "cancelled")


def test_unknown_and_foreign_handles(home: Path) -> None:
    backend = LocalBackend()
    missing = Handle("local", backend.host, "nope-1")
    foreign = Handle("local", "other-host", "x")
    slurm = Handle("slurm", backend.host, "12")
    statuses = backend.status([missing, foreign, slurm])
    assert {s.state for s in statuses.values()} == {JobState.UNKNOWN}
    assert "no record" in statuses[missing].message
    with pytest.raises(BackendError, match="not a local job"):
        backend.cancel(foreign)
    backend.cancel(missing)  # nothing to cancel: no error


def test_dead_process_without_marker_is_unknown_never_succeeded(home: Path) -> None:
    """A job whose process vanished without a marker, seen from a process that did not start it."""
    backend = LocalBackend()
    handle = _submit(backend, nr_config.Script(inline="sleep 30"))
    job_dir = backend.job_dir(handle)
    state = json.loads((job_dir / "local.json").read_text())
    os.killpg(state["pid"], signal.SIGKILL)
    _wait_for(lambda: _CHILDREN[handle.job_id].poll() is not None)
    elsewhere = _status_elsewhere(home / "jobs", handle)
    assert elsewhere["state"] == "UNKNOWN"
    assert "without an exit marker" in str(elsewhere["message"])
    # The launching process saw the exit itself and records it.
    status = backend.status([handle])[handle]
    assert (status.state, status.exit_code, status.message) == (
        JobState.FAILED,
        137,
        "killed by signal SIGKILL",
    )
    assert _status_elsewhere(home / "jobs", handle)["state"] == "FAILED"


def test_pid_reuse_is_detected(home: Path) -> None:
    backend = LocalBackend()
    handle = _submit(backend, nr_config.Script(inline="true"))
    backend.wait([handle], timeout=30)
    job_dir = backend.job_dir(handle)
    (job_dir / "exit.json").unlink()
    # Point the record at a live process (this one) with another start time.
    own = start_time(os.getpid())
    assert own is not None
    assert is_alive(os.getpid(), own)
    (job_dir / "local.json").write_text(json.dumps({"pid": os.getpid(), "start_time": own + 1}))
    assert _status_elsewhere(home / "jobs", handle)["state"] == "UNKNOWN"
    (job_dir / "local.json").write_text(json.dumps({"pid": os.getpid(), "start_time": own}))
    assert _status_elsewhere(home / "jobs", handle)["state"] == "RUNNING"


def test_corrupt_marker_is_unknown(home: Path) -> None:
    backend = LocalBackend()
    handle = _submit(backend, nr_config.Script(inline="true"))
    backend.wait([handle], timeout=30)
    (backend.job_dir(handle) / "exit.json").write_text("{not json")
    status = backend.status([handle])[handle]
    assert status.state is JobState.UNKNOWN
    assert "invalid exit marker" in status.message


def test_cancel_kills_the_whole_group_and_is_idempotent(home: Path, tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    backend = LocalBackend(grace_period=0.5)
    # The script ignores SIGTERM, so the SIGKILL after the grace period is needed; its child
    # (a grandchild of the launcher) must die too.
    script = nr_config.Script(
        inline=f"trap '' TERM; sleep 60 & echo $! > {pidfile}; echo started; wait"
    )
    handle = _submit(backend, script)
    _wait_for(lambda: pidfile.exists() and pidfile.read_text().strip() != "")
    child = int(pidfile.read_text())
    assert backend.status([handle])[handle].state is JobState.RUNNING
    backend.cancel(handle)
    status = backend.status([handle])[handle]
    assert (status.state, status.exit_code) == (JobState.CANCELLED, 143)
    _wait_for(lambda: start_time(child) is None, timeout=5)  # SIGKILL is delivered asynchronously
    backend.cancel(handle)
    assert backend.status([handle])[handle].state is JobState.CANCELLED


def test_cancel_of_finished_job_changes_nothing(home: Path) -> None:
    backend = LocalBackend()
    handle = _submit(backend, nr_config.Script(inline="true"))
    backend.wait([handle], timeout=30)
    backend.cancel(handle)
    assert backend.status([handle])[handle].state is JobState.SUCCEEDED


def test_logs_incremental_and_follow(home: Path) -> None:
    backend = LocalBackend()
    handle = _submit(
        backend,
        nr_config.Script(inline="for i in 1 2 3; do echo line$i; sleep 0.2; done; printf tail"),
    )
    followed = list(backend.logs(handle, follow=True))
    assert followed == ["line1\n", "line2\n", "line3\n", "tail"]
    assert backend.status([handle])[handle].state is JobState.SUCCEEDED
    assert list(backend.logs(handle, since=len("line1\n"))) == ["line2\n", "line3\n", "tail"]
    assert list(backend.logs(Handle("local", backend.host, "missing-1"))) == []


def test_detached_job_outlives_the_launching_process(home: Path, tmp_path: Path) -> None:
    flag = tmp_path / "go"
    program = (
        "import sys, nr_config; from nr_exec import LocalExecutor, make_job_spec; "
        f"s = nr_config.Script(inline='while [ ! -e {flag} ]; do sleep 0.05; done; echo finished; exit 5'); "
        "b = LocalExecutor().backend(); h = b.submit(b.dryrun(make_job_spec(s, LocalExecutor()), detach=True)); "
        "print(h)"
    )
    launched = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True, timeout=60
    )
    handle = Handle.parse(launched.stdout.strip())
    backend = LocalBackend()
    assert backend.status([handle])[handle].state is JobState.RUNNING  # the launcher has exited
    flag.touch()
    status = backend.wait([handle], timeout=30)[handle]
    assert (status.state, status.exit_code) == (JobState.FAILED, 5)
    marker = read_exit_marker(backend.job_dir(handle) / "exit.json")
    assert marker is not None
    assert marker.writer == "supervisor"
    assert list(backend.logs(handle)) == ["finished\n"]


def test_detached_job_killed_by_signal_gets_a_marker(home: Path, tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    backend = LocalBackend()
    handle = _submit(
        backend, nr_config.Script(inline=f"echo $$ > {pidfile}; exec sleep 60"), detach=True
    )
    _wait_for(lambda: pidfile.exists() and pidfile.read_text().strip() != "")
    os.kill(int(pidfile.read_text()), signal.SIGKILL)
    status = backend.wait([handle], timeout=30)[handle]
    assert (status.state, status.exit_code, status.message) == (
        JobState.FAILED,
        137,
        "killed by signal SIGKILL",
    )
    marker = read_exit_marker(backend.job_dir(handle) / "exit.json")
    assert marker is not None
    assert marker.writer == "supervisor"


def test_detached_partial_keeps_the_runner_error(home: Path) -> None:
    import nrx_tasks

    backend = LocalBackend()
    handle = _submit(backend, nr_config.Partial(nrx_tasks.boom, message="detached"), detach=True)
    status = backend.wait([handle], timeout=30)[handle]
    assert (status.state, status.exit_code, status.message) == (
        JobState.FAILED,
        1,
        "ValueError: detached",
    )
    assert not list(backend.job_dir(handle).glob(".exit-*"))


def test_tasks_per_node_run_side_by_side(home: Path, tmp_path: Path) -> None:
    import nrx_tasks

    backend = LocalBackend()
    out = tmp_path / "ranks"
    out.mkdir()
    script = nr_config.Script(inline=f'echo "$RANK $LOCAL_RANK $WORLD_SIZE" > {out}/$RANK')
    handle = _submit(backend, script, ntasks_per_node=3)
    assert backend.wait([handle], timeout=30)[handle].state is JobState.SUCCEEDED
    assert sorted(p.read_text() for p in out.iterdir()) == ["0 0 3\n", "1 1 3\n", "2 2 3\n"]
    del nrx_tasks


def test_one_failing_task_stops_the_others(home: Path) -> None:
    backend = LocalBackend()
    script = nr_config.Script(inline='if [ "$RANK" = 1 ]; then exit 9; fi; sleep 60')
    started = time.monotonic()
    handle = _submit(backend, script, ntasks_per_node=2)
    status = backend.wait([handle], timeout=30)[handle]
    assert (status.state, status.exit_code) == (JobState.FAILED, 9)
    assert time.monotonic() - started < 20


def test_job_group_runs_under_one_handle(home: Path, tmp_path: Path) -> None:
    backend = LocalBackend()
    specs = [
        make_job_spec(
            nr_config.Script(inline=f"echo {name} > {tmp_path}/{name}"), LocalExecutor(), name=name
        )
        for name in ("a", "b")
    ]
    request = backend.dryrun(specs)
    assert len(request.plan["tasks"]) == 2
    handle = backend.submit(request)
    assert handle.job_id == specs[0].job_id
    assert backend.wait([handle], timeout=30)[handle].state is JobState.SUCCEEDED
    assert (tmp_path / "a").read_text() == "a\n"
    assert (tmp_path / "b").read_text() == "b\n"


def test_retries_restart_until_success(home: Path, tmp_path: Path) -> None:
    import nrx_tasks

    counter = tmp_path / "count"
    backend = LocalBackend()
    handle = _submit(
        backend, nr_config.Partial(nrx_tasks.flaky, counter=str(counter), failures=2), retries=2
    )
    status = backend.wait([handle], timeout=60)[handle]
    assert (status.state, status.retries) == (JobState.SUCCEEDED, 2)
    assert counter.read_text() == "3"
    logs = "".join(backend.logs(handle))
    assert "RuntimeError: attempt 1 fails" in logs
    assert "restart 2 of 2" in logs


def test_retries_exhausted(home: Path, tmp_path: Path) -> None:
    import nrx_tasks

    backend = LocalBackend()
    handle = _submit(
        backend,
        nr_config.Partial(nrx_tasks.flaky, counter=str(tmp_path / "c"), failures=5),
        retries=1,
    )
    status = backend.wait([handle], timeout=60)[handle]
    assert (status.state, status.retries, status.message) == (
        JobState.FAILED,
        1,
        "RuntimeError: attempt 2 fails",
    )


def test_dryrun_has_no_side_effect_and_materializes_the_plan(home: Path) -> None:
    backend = LocalBackend()
    spec = make_job_spec(nr_config.Script(inline="echo hi"), LocalExecutor(env_vars={"A": "1"}))
    request = backend.dryrun(spec)
    assert isinstance(request, LocalRequest)
    assert not Path(spec.job_dir).exists()
    plan = json.loads(request.materialize())
    (task,) = plan["tasks"]
    assert task["argv"] == list(spec.argv)
    assert task["env"]["A"] == "1"
    assert task["env"]["NR_EXEC_EXIT_MARKER"] == spec.exit_marker
    document = json.loads(request.to_json())
    assert document["backend"] == "local"
    assert JobSpec.from_dict(document["specs"][0]) == spec
    assert json.loads(document["artifact"]) == plan


def test_submit_refuses_foreign_requests(home: Path) -> None:
    class Other(Request):
        def materialize(self) -> str:
            return ""

    with pytest.raises(BackendError, match="cannot submit a Other"):
        LocalBackend().submit(Other(backend="x", specs=()))


def _spec(**changes: object) -> JobSpec:
    fields: dict[str, object] = {
        "name": "x",
        "job_id": "x-1",
        "argv": ("true",),
        "job_dir": "/nonexistent/x",
    }
    return JobSpec(**{**fields, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("capability", "spec"),
    [
        ("gpus", _spec(resources=Resources(gpus_per_node=1))),
        ("arrays", _spec(array=4)),
        ("dependencies", _spec(dependencies=("local://h/other",))),
    ],
)
def test_undeclared_capabilities_are_refused(capability: str, spec: JobSpec) -> None:
    backend = LocalBackend("/nonexistent")
    assert getattr(backend.capabilities, capability) is False
    with pytest.raises(
        UnsupportedFeatureError, match=f"local backend does not support {capability}"
    ):
        backend.dryrun(spec)


def test_declared_capabilities() -> None:
    """Each declared capability has a behavioural test in this module."""
    assert LocalBackend.capabilities.names() == ["detach", "job_groups", "retries", "follow_logs"]
    # detach: test_detached_job_outlives_the_launching_process
    # job_groups: test_job_group_runs_under_one_handle
    # retries: test_retries_restart_until_success
    # follow_logs: test_logs_incremental_and_follow


def test_close_keeps_jobs_running(home: Path) -> None:
    with LocalBackend() as backend:
        handle = _submit(backend, nr_config.Script(inline="sleep 0.5; echo done"))
    assert backend.wait([handle], timeout=30)[handle].state is JobState.SUCCEEDED


def test_executor_backend_is_local(home: Path) -> None:
    backend = LocalExecutor().backend()
    assert isinstance(backend, LocalBackend)
    assert backend.root == home / "jobs"
