"""Finding local jobs after an interrupted submit, and never finding a job that did not start.

A launcher killed with SIGKILL in the middle of submitting many jobs leaves some started (some
perhaps without ``local.json``, when the kill fell between the start and the record) and the
rest never started. A new backend's ``find()`` must return exactly the started ones, which are
then cancellable, and nothing else.
"""

import dataclasses
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nr_config
import pytest
from nr_exec import (
    BackendContext,
    BackendError,
    Handle,
    JobState,
    JobStatus,
    LocalBackend,
    LocalExecutor,
    make_job_spec,
    read_exit_marker,
)
from nr_exec.local.record import STATE_FILE, read_record

JOBS = 60
KILL_AFTER = 20

# Submits JOBS jobs named rec-<i>-<token>; every second one is detached (supervised). Each job
# records that it ran, then sleeps until cancelled.
LAUNCHER = textwrap.dedent(
    """
    import sys
    import nr_config
    from nr_exec import BackendContext, LocalExecutor, backend_for, make_job_spec

    home, token, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    executor = LocalExecutor()
    backend = backend_for(executor, context=BackendContext.default(home))
    script = nr_config.Script(inline='touch "$NR_EXEC_JOB_DIR/ran"; exec sleep 600')
    for i in range(count):
        spec = make_job_spec(script, executor, job_id=f"rec-{i}-{token}")
        backend.submit(backend.dryrun(spec, detach=i % 2 == 1))
    """
)


def _read(pid: int, name: str) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/{name}").read_bytes()
    except OSError:
        return []
    return [item.decode(errors="replace") for item in raw.split(b"\0") if item]


def _processes_with(token: str) -> list[tuple[dict[str, str], list[str]]]:
    """Environment and command line of this user's live processes carrying ``token``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            pairs = (item.partition("=") for item in _read(int(entry.name), "environ"))
            env = {key: value for key, _, value in pairs}
            if env.get("NRX_RECONCILE") == token:
                found.append((env, _read(int(entry.name), "cmdline")))
    return found


def _settled(token: str) -> bool:
    """Whether every process the launcher left has become a job that runs its task.

    Not yet: a process forked by the launcher that has not started its job (it still has the
    launcher's environment, without a job id), and a supervisor that has not started its task
    (it exits if the launcher died before handing over the plan).
    """
    processes = _processes_with(token)
    if any("NR_EXEC_JOB_ID" not in env for env, _ in processes):
        return False
    tasks = {
        env["NR_EXEC_JOB_ID"] for env, argv in processes if "nr_exec.local.supervisor" not in argv
    }
    return all(env["NR_EXEC_JOB_ID"] in tasks for env, _ in processes)


def _wait_for(predicate: object, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")
def test_launcher_killed_mid_submit_leaves_exactly_the_started_jobs_findable(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    token = os.urandom(4).hex()
    (tmp_path / "launch.py").write_text(LAUNCHER)
    launcher = subprocess.Popen(
        [sys.executable, str(tmp_path / "launch.py"), str(home), token, str(JOBS)],
        cwd=tmp_path,
        env={**os.environ, "NRX_RECONCILE": token},
    )
    root = home / "jobs"
    _wait_for(lambda: root.exists() and len(list(root.iterdir())) >= KILL_AFTER)
    launcher.send_signal(signal.SIGKILL)  # anywhere in a submit: before, during or after a start
    assert launcher.wait() == -signal.SIGKILL
    names = [f"rec-{i}-{token}" for i in range(JOBS)]
    _wait_for(lambda: _settled(token))
    running = {env["NR_EXEC_JOB_ID"] for env, _ in _processes_with(token)}
    # A detached job whose supervisor got the plan cut short by the kill ran nothing: its
    # supervisor recorded that in exit.json and ended. It started, so it is found, as FAILED.
    cut_short = {
        n
        for n in names
        if n not in running
        and (marker := read_exit_marker(root / n / "exit.json")) is not None
        and "launch plan was incomplete" in (marker.error or "")
    }
    started = running | cut_short
    # Jobs started but not recorded (the kill fell between the start and local.json).
    unrecorded = [n for n in running if not (root / n / STATE_FILE).exists()]
    backend = LocalBackend(context=BackendContext.default(home), grace_period=5.0)
    found = backend.find(names)
    assert set(found) == started
    assert 0 < len(found) < JOBS
    assert list(found) == [n for n in names if n in found]  # in the order asked
    for name, handle in found.items():
        assert handle == Handle("local", backend.host, name)
        if name in cut_short:
            continue
        record = read_record(root / name)
        assert record is not None  # written by the launcher, or by find() for the unrecorded
        assert record.recovered == (name in unrecorded)
    statuses = backend.status(list(found.values()))
    expected = {n: JobState.FAILED if n in cut_short else JobState.RUNNING for n in found}
    assert {n: statuses[h].state for n, h in found.items()} == expected
    never = [Handle("local", backend.host, n) for n in names if n not in found]
    assert backend.describe(never) == dict.fromkeys(never)
    live = [h for n, h in found.items() if n not in cut_short]
    assert backend.cancel(list(found.values())) == live
    ended = backend.wait(live, timeout=60)
    assert {s.state for s in ended.values()} == {JobState.CANCELLED}
    _wait_for(lambda: not _processes_with(token))  # nothing of the experiment is left running
    print(f"{len(found)} jobs started, {len(unrecorded)} of them without local.json at the kill")


def test_started_job_without_record_is_found_by_its_process(home: Path, tmp_path: Path) -> None:
    """A job running without local.json (its launcher died first) is known, found, cancelled."""
    program = (
        "import sys, nr_config; from nr_exec import LocalExecutor, backend_for, make_job_spec; "
        "s = nr_config.Script(inline='echo up; exec sleep 600'); "
        "b = backend_for(LocalExecutor()); "
        "spec = make_job_spec(s, LocalExecutor(), job_dir=sys.argv[1], job_id='lost-1'); "
        "print(b.submit(b.dryrun(spec)))"
    )
    job_dir = tmp_path / "exp" / "lost"
    launched = subprocess.run(
        [sys.executable, "-c", program, str(job_dir)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    handle = Handle.parse(launched.stdout.strip())
    written = read_record(job_dir)
    assert written is not None
    backend = LocalBackend(grace_period=5.0)
    expected = dataclasses.replace(written, recovered=True)
    (job_dir / STATE_FILE).unlink()  # as if the launcher had been killed before writing it
    assert backend.describe([handle]) == {handle: JobStatus(JobState.RUNNING)}
    assert read_record(job_dir) == expected
    (job_dir / STATE_FILE).unlink()
    assert backend.find(["lost-1", "other-1"]) == {"lost-1": handle}
    assert read_record(job_dir) == expected
    assert backend.cancel([handle]) == [handle]
    assert backend.status([handle])[handle].state is JobState.CANCELLED


def test_missing_interpreter_fails_submit_and_is_never_found(home: Path, tmp_path: Path) -> None:
    backend = LocalBackend()
    spec = make_job_spec(nr_config.Script(inline="true"), LocalExecutor())
    broken = dataclasses.replace(spec, argv=("/nonexistent/python", "-c", "pass"))
    for detach in (False, True):
        with pytest.raises(
            BackendError,
            match=rf"cannot start job {spec.job_id}: task .* cannot run here: "
            r"'/nonexistent/python' is not an executable file",
        ):
            backend.submit(backend.dryrun(broken, detach=detach))
    assert not Path(spec.job_dir).exists()  # refused before anything was written
    assert backend.find([spec.job_id]) == {}
    handle = Handle("local", backend.host, spec.job_id)
    assert backend.describe([handle]) == {handle: None}
    missing = dataclasses.replace(spec, argv=("no-such-command-nrx",))
    with pytest.raises(BackendError, match="'no-such-command-nrx' is not found on PATH"):
        backend.submit(backend.dryrun(missing))


def test_failed_start_is_never_found_and_can_be_submitted_again(home: Path, tmp_path: Path) -> None:
    """A start that fails in the kernel (a script whose interpreter is missing) is not found."""
    script = tmp_path / "run.sh"
    script.write_text("#!/nonexistent/interpreter\necho never\n")
    script.chmod(0o755)
    job_dir = tmp_path / "exp" / "job"
    spec = make_job_spec(
        nr_config.Script(inline="true"), LocalExecutor(), job_dir=str(job_dir), job_id="fails-1"
    )
    direct = dataclasses.replace(spec, argv=(str(script),))
    backend = LocalBackend()
    expected = f"cannot start job fails-1: No such file or directory ('{script}')"
    with pytest.raises(BackendError, match=re.escape(expected)):
        backend.submit(backend.dryrun(direct))
    assert backend.find(["fails-1"]) == {}
    assert not (home / "jobs" / "fails-1").exists()  # the index entry was taken back
    handle = Handle("local", backend.host, "fails-1")
    assert backend.describe([handle]) == {handle: None}
    script.write_text("#!/bin/sh\necho now\n")  # fixed: the same job can be launched again
    handle = backend.submit(backend.dryrun(direct))
    assert backend.wait([handle], timeout=30)[handle].state is JobState.SUCCEEDED
    assert list(backend.logs(handle)) == ["now\n"]


def test_supervised_task_that_cannot_start_fails_with_127(home: Path, tmp_path: Path) -> None:
    script = tmp_path / "run.sh"
    script.write_text("#!/nonexistent/interpreter\n")
    script.chmod(0o755)
    spec = make_job_spec(nr_config.Script(inline="true"), LocalExecutor())
    broken = dataclasses.replace(spec, argv=(str(script),))
    backend = LocalBackend()
    handle = backend.submit(backend.dryrun(broken, detach=True))  # the supervisor starts
    status = backend.wait([handle], timeout=30)[handle]
    assert (status.state, status.exit_code) == (JobState.FAILED, 127)
    assert status.message.startswith(f"cannot start task {spec.name!r} ('{script}')")
    assert backend.find([spec.job_id]) == {spec.job_id: handle}


def test_supervisor_given_a_truncated_plan_runs_nothing_and_says_why(tmp_path: Path) -> None:
    """A launcher killed while piping the plan leaves a job that ended, not one in limbo."""
    plan = '{"job_id": "cut", "job_dir": "' + str(tmp_path) + '", "tasks": [{"argv": ["tou'
    result = subprocess.run(
        [sys.executable, "-m", "nr_exec.local.supervisor"],
        input=plan,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 125
    marker = read_exit_marker(tmp_path / "exit.json")
    assert marker is not None
    assert marker.exit_code == 125
    assert "launch plan was incomplete" in (marker.error or "")
    assert "nothing ran" in result.stdout
    assert not json.loads((tmp_path / "exit.json").read_text())["cancelled"]
