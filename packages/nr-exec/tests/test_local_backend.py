"""LocalBackend with real processes: submit, status (also from another process), logs, cancel,
detach, groups, retries, refusals, and the context it is built with.

The contract every backend keeps is checked in ``contract/test_local_contract.py``; finding
jobs after an interrupted submit in ``test_local_reconcile.py``."""

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
    BackendContext,
    BackendError,
    Handle,
    JobSpec,
    JobState,
    LocalBackend,
    LocalExecutor,
    LocalRequest,
    backend_for,
    create_backend,
    make_job_spec,
    read_exit_marker,
)
from nr_exec.local.children import CHILDREN
from nr_exec.local.plan import LocalPlan
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


def _status_elsewhere(home: Path, handle: Handle) -> dict[str, object]:
    """The status of ``handle`` as another process sees it (a backend built for ``home``)."""
    program = (
        "import json, sys; from nr_exec import BackendContext, Handle, backend_for_handle; "
        "h = Handle.parse(sys.argv[2]); "
        "b = backend_for_handle(h, context=BackendContext.default(sys.argv[1])); "
        "s = b.status([h])[h]; "
        "print(json.dumps({'state': s.state.value, 'exit_code': s.exit_code, 'message': s.message}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", program, str(home), str(handle)],
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
    assert _status_elsewhere(home, handle)["state"] == "SUCCEEDED"
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
    assert _status_elsewhere(home, handle)["state"] == "RUNNING"
    backend.cancel(handle)
    elsewhere = _status_elsewhere(home, handle)
    assert (elsewhere["state"], elsewhere["message"]) == ("CANCELLED", "cancelled")


def test_unknown_and_foreign_handles(home: Path) -> None:
    backend = LocalBackend()
    missing = Handle("local", backend.host, "nope-1")
    foreign = Handle("local", "other-host", "x")
    slurm = Handle("slurm", backend.host, "12")
    escaping = Handle("local", backend.host, "../home")
    handles = [missing, foreign, slurm, escaping]
    assert backend.describe(handles) == dict.fromkeys(handles)
    statuses = backend.status(handles)
    assert {s.state for s in statuses.values()} == {JobState.UNKNOWN}
    assert statuses[foreign].message == f"the local backend does not know {foreign}"
    assert backend.cancel(handles) == []  # nothing to cancel: no error
    assert list(backend.logs(escaping)) == []


def test_started_job_dir_without_record_or_process_is_unknown_to_describe(home: Path) -> None:
    backend = LocalBackend()
    (home / "jobs" / "never-started-1" / "logs").mkdir(parents=True)
    handle = Handle("local", backend.host, "never-started-1")
    assert backend.describe([handle]) == {handle: None}
    assert backend.find(["never-started-1"]) == {}


def test_dead_process_without_marker_is_unknown_never_succeeded(home: Path) -> None:
    """A job whose process vanished without a marker, seen from a process that did not start it."""
    backend = LocalBackend()
    handle = _submit(backend, nr_config.Script(inline="sleep 30"))
    job_dir = backend.job_dir(handle)
    state = json.loads((job_dir / "local.json").read_text())
    os.killpg(state["pid"], signal.SIGKILL)
    _wait_for(lambda: CHILDREN[handle.job_id].poll() is not None)
    elsewhere = _status_elsewhere(home, handle)
    assert elsewhere["state"] == "UNKNOWN"
    assert "without an exit marker" in str(elsewhere["message"])
    # The launching process saw the exit itself and records it.
    status = backend.status([handle])[handle]
    assert (status.state, status.exit_code, status.message) == (
        JobState.FAILED,
        137,
        "killed by signal SIGKILL",
    )
    assert _status_elsewhere(home, handle)["state"] == "FAILED"


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
    assert _status_elsewhere(home, handle)["state"] == "UNKNOWN"
    (job_dir / "local.json").write_text(json.dumps({"pid": os.getpid(), "start_time": own}))
    assert _status_elsewhere(home, handle)["state"] == "RUNNING"


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
    assert backend.cancel(handle) == [handle]
    status = backend.status([handle])[handle]
    assert (status.state, status.exit_code) == (JobState.CANCELLED, 143)
    _wait_for(lambda: start_time(child) is None, timeout=5)  # SIGKILL is delivered asynchronously
    assert backend.cancel(handle) == []
    assert backend.status([handle])[handle].state is JobState.CANCELLED


def test_cancel_of_many_jobs_in_one_call(home: Path) -> None:
    backend = LocalBackend(grace_period=30)
    handles = [
        _submit(backend, nr_config.Script(inline="trap 'exit 0' TERM; sleep 60 & wait"))
        for _ in range(3)
    ]
    for handle in handles:
        _wait_for(lambda h=handle: backend.status([h])[h].state is JobState.RUNNING)
    assert backend.cancel(handles) == handles
    statuses = backend.status(handles)
    assert {s.state for s in statuses.values()} == {JobState.CANCELLED}


def test_cancel_of_finished_job_changes_nothing(home: Path) -> None:
    backend = LocalBackend()
    handle = _submit(backend, nr_config.Script(inline="true"))
    backend.wait([handle], timeout=30)
    assert backend.cancel(handle) == []
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
        "import sys, nr_config; from nr_exec import LocalExecutor, backend_for, make_job_spec; "
        f"s = nr_config.Script(inline='while [ ! -e {flag} ]; do sleep 0.05; done; echo finished; exit 5'); "
        "b = backend_for(LocalExecutor()); "
        "h = b.submit(b.dryrun(make_job_spec(s, LocalExecutor()), detach=True)); "
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
    assert [task.name for task in request.plan.tasks] == ["a", "b"]
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
    assert task["env"]["NR_EXEC_JOB_ID"] == spec.job_id
    assert LocalPlan.from_json(request.materialize()) == request.plan
    document = json.loads(request.to_json())
    assert document["backend"] == "local"
    assert JobSpec.from_dict(document["specs"][0]) == spec
    assert json.loads(document["artifact"]) == plan


def test_incomplete_plan_is_refused_clearly() -> None:
    with pytest.raises(ValueError, match="not a local launch plan: missing or invalid 'tasks'"):
        LocalPlan.from_json(
            '{"job_id": "x", "job_dir": "/x", "log": "l", "marker": "m", '
            '"retries": 0, "supervised": true}'
        )


def _spec(**changes: object) -> JobSpec:
    fields: dict[str, object] = {
        "name": "x",
        "job_id": "x-1",
        "argv": ("true",),
        "job_dir": "/nonexistent/x",
    }
    return JobSpec(**{**fields, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (_spec(job_id="a/b"), "job id 'a/b' is not path-safe"),
        (_spec(job_id=".."), "job id '..' is not path-safe"),
        (_spec(job_id="a b"), "job id 'a b' cannot name a job"),
        (_spec(job_dir="relative/x"), "needs an absolute job directory; job x-1 has 'relative/x'"),
    ],
)
def test_unsafe_specs_are_refused_at_dryrun(spec: JobSpec, message: str) -> None:
    backend = LocalBackend(context=BackendContext.default("/nonexistent"))
    with pytest.raises(BackendError, match=message):
        backend.dryrun(spec)


def test_a_job_is_submitted_once(home: Path) -> None:
    backend = LocalBackend()
    spec = make_job_spec(nr_config.Script(inline="true"), LocalExecutor())
    handle = backend.submit(backend.dryrun(spec))
    backend.wait([handle], timeout=30)
    with pytest.raises(BackendError, match=f"job {spec.job_id} was submitted already"):
        backend.submit(backend.dryrun(spec))


def test_close_keeps_jobs_running(home: Path) -> None:
    with LocalBackend() as backend:
        handle = _submit(backend, nr_config.Script(inline="sleep 0.5; echo done"))
    assert backend.wait([handle], timeout=30)[handle].state is JobState.SUCCEEDED


def test_backend_of_the_executor_and_of_the_scheme(home: Path) -> None:
    for backend in (backend_for(LocalExecutor()), create_backend("local")):
        assert isinstance(backend, LocalBackend)
        assert backend.root == home / "jobs"
        assert backend.cluster == backend.host


def test_the_context_decides_where_jobs_are_indexed(home: Path, tmp_path: Path) -> None:
    """A backend built for another home (an experiment's base_dir) indexes its jobs there."""
    other = BackendContext.default(tmp_path / "elsewhere")
    backend = backend_for(LocalExecutor(), context=other)
    spec = make_job_spec(
        nr_config.Script(inline="echo here"), LocalExecutor(), job_dir=str(tmp_path / "exp" / "j")
    )
    handle = backend.submit(backend.dryrun(spec))
    assert backend.wait([handle], timeout=30)[handle].state is JobState.SUCCEEDED
    assert (tmp_path / "elsewhere" / "jobs" / spec.job_id).resolve() == tmp_path / "exp" / "j"
    assert not (home / "jobs").exists()
    assert LocalBackend().describe([handle]) == {handle: None}  # the default home knows nothing
    assert _status_elsewhere(tmp_path / "elsewhere", handle)["state"] == "SUCCEEDED"
    with pytest.raises(AttributeError):
        backend.root = home  # type: ignore[misc]  # built with its context, never patched
