"""The local fork server with real processes: a forked job is its spawned twin.

Every test compares with, or falls back to, the spawn path (``NEMORUN_LOCAL_FORK_SERVER=0``).
Crashes of the launcher are in ``test_local_fork_recovery.py``.
"""

import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import nr_config
import pytest
from nr_exec import (
    BackendError,
    Handle,
    JobState,
    LocalBackend,
    LocalExecutor,
    make_job_spec,
    read_exit_marker,
)
from nr_exec.backend import BatchEntry
from nr_exec.local import forking
from nr_exec.local.children import CHILDREN
from nr_exec.local.forkmode import FORK_SERVER_ENV, fork_server_enabled
from nr_exec.local.proc import start_time
from nr_exec.local.record import ProcessRecord, write_record

PROBE = textwrap.dedent(
    """
    import json
    import os
    import sys


    def report(path: str) -> None:
        main = sys.modules["__main__"]
        print("reporting", flush=True)
        print("to stderr", file=sys.stderr, flush=True)
        data = {
            "env": dict(os.environ),
            "cwd": os.getcwd(),
            "argv": sys.argv,
            "orig_argv": sys.orig_argv,
            "path": sys.path,
            "leads_group": os.getpgid(0) == os.getpid(),
            "leads_session": os.getsid(0) == os.getpid(),
            "fds": sorted(int(fd) for fd in os.listdir("/proc/self/fd")),
            "stdin": os.readlink("/proc/self/fd/0"),
            "umask": os.umask(0),
            "main": [main.__name__, main.__spec__.name if main.__spec__ else None],
        }
        with open(path, "w") as out:
            json.dump(data, out)
    """
)

FRAGILE = textwrap.dedent(
    """
    import os

    if os.path.exists("broken.flag"):
        raise RuntimeError("broken.flag exists")


    def hello() -> None:
        print("fragile hello", flush=True)
    """
)

LINGERING = textwrap.dedent(
    """
    import sys

    OUT = None


    class Goodbye:
        def __del__(self) -> None:
            print("goodbye from", sys.platform, flush=True)


    FAREWELL = Goodbye()


    def write(path: str) -> None:
        global OUT
        OUT = open(path, "w")
        OUT.write("buffered, never closed")
    """
)

THREADED = textwrap.dedent(
    """
    import threading
    import time

    threading.Thread(target=time.sleep, args=(30,), daemon=True).start()


    def hello() -> None:
        print("threaded hello", flush=True)
    """
)


@pytest.fixture(autouse=True)
def _servers_end() -> Iterator[None]:
    """Each test's fork servers are retired and ended before the next test."""
    yield
    forking.shutdown()


def _submit(backend: LocalBackend, task: object, **executor: object) -> Handle:
    spec = make_job_spec(task, LocalExecutor(**executor))  # type: ignore[arg-type]
    return backend.submit(backend.dryrun(spec))


def _record(backend: LocalBackend, handle: Handle) -> dict[str, object]:
    return json.loads((backend.job_dir(handle) / "local.json").read_text())  # type: ignore[no-any-return]


def _wait_for(predicate: object, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _report_job(
    backend: LocalBackend, work: Path, name: str, monkeypatch: pytest.MonkeyPatch, value: str
) -> tuple[Handle, dict[str, object]]:
    import nrx_probe

    monkeypatch.setenv(FORK_SERVER_ENV, value)
    out = work / f"{name}.json"
    handle = _submit(backend, nr_config.Partial(nrx_probe.report, path=str(out)))
    status = backend.wait([handle], timeout=30)[handle]
    assert (status.state, status.exit_code) == (JobState.SUCCEEDED, 0)
    data = json.loads(out.read_text())
    job = handle.job_id
    for key in ("NR_EXEC_JOB_ID", "NR_EXEC_JOB_DIR"):
        assert job in data["env"].pop(key)
    assert data["env"].pop(FORK_SERVER_ENV) == value
    task_file = str(backend.job_dir(handle) / "configs" / "report.task.json")
    assert task_file in data["argv"]
    data["argv"] = [a.replace(task_file, "<task>") for a in data["argv"]]
    data["orig_argv"] = [a.replace(task_file, "<task>") for a in data["orig_argv"]]
    return handle, data


@pytest.fixture
def work(home: Path) -> Path:
    """The working directory, holding the probe and threaded task modules too."""
    del home
    work = Path.cwd()
    (work / "nrx_probe.py").write_text(PROBE)
    (work / "nrx_threaded.py").write_text(THREADED)
    (work / "nrx_fragile.py").write_text(FRAGILE)
    (work / "nrx_lingering.py").write_text(LINGERING)
    for name in ("nrx_probe", "nrx_threaded", "nrx_fragile", "nrx_lingering"):
        sys.modules.pop(name, None)
    return work


def test_forked_job_is_the_twin_of_a_spawned_one(
    work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = LocalBackend()
    forked, seen_forked = _report_job(backend, work, "forked", monkeypatch, "1")
    spawned, seen_spawned = _report_job(backend, work, "spawned", monkeypatch, "0")
    assert _record(backend, forked)["forked"] is True
    assert _record(backend, spawned)["forked"] is False
    assert seen_forked == seen_spawned
    assert seen_forked["leads_group"] is True
    assert seen_forked["leads_session"] is True
    assert seen_forked["fds"] == [0, 1, 2, 3]  # 3: the directory being listed
    assert seen_forked["stdin"] == os.devnull
    assert seen_forked["main"] == ["__main__", "nr_exec.runner"]
    assert seen_forked["argv"][0].endswith(str(Path("nr_exec", "runner.py")))
    for handle in (forked, spawned):
        assert list(backend.logs(handle)) == ["reporting\n", "to stderr\n"]
        marker = read_exit_marker(backend.job_dir(handle) / "exit.json")
        assert marker is not None
        assert marker.writer == "runner"


def test_a_job_in_another_working_directory_sees_it(
    work: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "nrx_probe.py").write_text(PROBE)
    backend = LocalBackend()
    import nrx_probe

    handles = {}
    for value in ("1", "0"):
        monkeypatch.setenv(FORK_SERVER_ENV, value)
        out = work / f"{value}.json"
        spec = make_job_spec(
            nr_config.Partial(nrx_probe.report, path=str(out)),
            LocalExecutor(working_dir=str(other)),
        )
        handles[value] = backend.submit(backend.dryrun(spec))
        backend.wait([handles[value]], timeout=30)
    seen = {value: json.loads((work / f"{value}.json").read_text()) for value in handles}
    assert seen["1"]["cwd"] == seen["0"]["cwd"] == str(other)
    assert seen["1"]["path"] == seen["0"]["path"]
    assert seen["1"]["path"][0] == str(other)
    assert _record(backend, handles["1"])["forked"] is True


def test_executor_env_vars_reach_a_forked_job(work: Path) -> None:
    import nrx_tasks

    backend = LocalBackend()
    out = work / "env.txt"
    task = nr_config.Partial(nrx_tasks.write_env, path=str(out), names=["NRX_COLOR", "HOME"])
    handle = _submit(backend, task, env_vars={"NRX_COLOR": "teal"})
    assert backend.wait([handle], timeout=30)[handle].state is JobState.SUCCEEDED
    assert out.read_text() == f"NRX_COLOR=teal\nHOME={os.environ.get('HOME', '')}\n"
    assert _record(backend, handle)["forked"] is True


@pytest.mark.parametrize("value", ["1", "0"])
def test_failures_end_alike_on_both_paths(
    work: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    import nrx_fragile
    import nrx_tasks

    monkeypatch.setenv(FORK_SERVER_ENV, value)
    backend = LocalBackend()
    boom = _submit(backend, nr_config.Partial(nrx_tasks.boom, message="no data"))
    leave3 = _submit(backend, nr_config.Partial(nrx_tasks.leave, code=3))
    leave0 = _submit(backend, nr_config.Partial(nrx_tasks.leave, code=0))
    statuses = backend.wait([boom, leave3, leave0], timeout=30)
    assert [(s.state, s.exit_code, s.message) for s in statuses.values()] == [
        (JobState.FAILED, 1, "ValueError: no data"),
        (JobState.FAILED, 3, "SystemExit: 3"),
        (JobState.SUCCEEDED, 0, ""),
    ]
    assert "Traceback" in "".join(backend.logs(boom))
    # A module that fails to import is not preloaded: the job fails as a spawned one does.
    (work / "broken.flag").write_text("")
    broken = _submit(backend, nr_config.Partial(nrx_fragile.hello))
    status = backend.wait([broken], timeout=30)[broken]
    assert (status.state, status.exit_code) == (JobState.FAILED, 1)
    assert "cannot load the task" in (status.message or "")
    assert "RuntimeError: broken.flag exists" in (status.message or "")
    assert _record(backend, broken)["forked"] is (value == "1")
    assert [_record(backend, h)["forked"] for h in (boom, leave3, leave0)] == [value == "1"] * 3


@pytest.mark.parametrize("value", ["1", "0"])
def test_what_a_job_leaves_alive_is_finalized_at_its_end(
    work: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    """A file left open in a global is flushed, and finalizers see their module intact."""
    import nrx_lingering

    monkeypatch.setenv(FORK_SERVER_ENV, value)
    backend = LocalBackend()
    out = work / "lingering.txt"
    handle = _submit(backend, nr_config.Partial(nrx_lingering.write, path=str(out)))
    assert backend.wait([handle], timeout=30)[handle].state is JobState.SUCCEEDED
    _wait_for(lambda: out.exists() and out.read_text() == "buffered, never closed")
    _wait_for(lambda: list(backend.logs(handle)) == [f"goodbye from {sys.platform}\n"])
    assert _record(backend, handle)["forked"] is (value == "1")


def test_a_job_killed_by_a_signal_gets_a_marker(work: Path) -> None:
    import nrx_tasks

    del work
    backend = LocalBackend()
    handle = _submit(backend, nr_config.Partial(nrx_tasks.sleep, seconds=60))
    _wait_for(lambda: "sleeping" in "".join(backend.logs(handle)))
    record = _record(backend, handle)
    assert record["forked"] is True
    assert handle.job_id not in CHILDREN  # the server's child, not this process's
    os.killpg(int(record["pid"]), signal.SIGKILL)  # type: ignore[call-overload]
    status = backend.wait([handle], timeout=30)[handle]
    assert (status.state, status.exit_code, status.message) == (
        JobState.FAILED,
        137,
        "killed by signal SIGKILL",
    )
    marker = read_exit_marker(backend.job_dir(handle) / "exit.json")
    assert marker is not None
    assert marker.writer == "forkserver"


def test_cancel_stops_a_forked_job(work: Path) -> None:
    import nrx_tasks

    del work
    backend = LocalBackend(grace_period=5)
    handle = _submit(backend, nr_config.Partial(nrx_tasks.sleep, seconds=60))
    _wait_for(lambda: "sleeping" in "".join(backend.logs(handle)))
    pid = int(_record(backend, handle)["pid"])  # type: ignore[call-overload]
    assert backend.status([handle])[handle].state is JobState.RUNNING
    assert backend.cancel(handle) == [handle]
    status = backend.status([handle])[handle]
    assert (status.state, status.message) == (JobState.CANCELLED, "cancelled")
    with pytest.raises(ProcessLookupError):
        os.killpg(pid, 0)


def test_cancel_stops_a_forked_job_recorded_before_its_own_session(work: Path) -> None:
    """A forked child is recorded before its setsid: cancel then signals its process."""
    del work
    backend = LocalBackend(grace_period=5)
    job_dir = backend.root / "pre-setsid"
    job_dir.mkdir(parents=True)
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]) as proc:
        assert os.getpgid(proc.pid) != proc.pid  # not the leader of a group of its own
        record = ProcessRecord(pid=proc.pid, start_time=start_time(proc.pid), forked=True)
        write_record(job_dir, record)
        handle = Handle(backend.name, backend.host, "pre-setsid")
        assert backend.status([handle])[handle].state is JobState.RUNNING
        assert backend.cancel(handle) == [handle]
        assert proc.wait(timeout=30) == -signal.SIGTERM
    assert backend.status([handle])[handle].state is JobState.CANCELLED


def test_a_module_that_starts_a_thread_is_not_preloaded(
    work: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import nrx_tasks
    import nrx_threaded

    del work
    caplog.set_level(logging.DEBUG, logger="nr_exec.local.forking")
    backend = LocalBackend()
    threaded = _submit(backend, nr_config.Partial(nrx_threaded.hello))
    server = forking.FORKED[threaded.job_id].server
    assert backend.wait([threaded], timeout=30)[threaded].state is JobState.SUCCEEDED
    assert list(backend.logs(threaded)) == ["threaded hello\n"]
    assert "module nrx_threaded is not preloaded: its import started a thread" in caplog.text
    # The server has no thread and keeps forking.
    assert len(list(Path(f"/proc/{server.process.pid}/task").iterdir())) == 1
    hello = _submit(backend, nr_config.Partial(nrx_tasks.hello))
    assert backend.wait([hello], timeout=30)[hello].state is JobState.SUCCEEDED
    assert _record(backend, threaded)["forked"] is True
    assert _record(backend, hello)["forked"] is True


def test_switched_off_every_job_is_spawned(
    work: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import nrx_tasks

    del work
    monkeypatch.setenv(FORK_SERVER_ENV, "0")
    assert fork_server_enabled() is False
    backend = LocalBackend()
    handle = _submit(backend, nr_config.Partial(nrx_tasks.hello))
    assert handle.job_id in CHILDREN
    assert backend.wait([handle], timeout=30)[handle].state is JobState.SUCCEEDED
    assert _record(backend, handle)["forked"] is False
    assert handle.job_id not in forking.FORKED
    # Scripts and supervised jobs are spawned whatever the switch says, and say why.
    monkeypatch.setenv(FORK_SERVER_ENV, "1")
    caplog.set_level(logging.DEBUG, logger="nr_exec.local.forking")
    script = _submit(backend, nr_config.Script(inline="echo hi"))
    retried = _submit(backend, nr_config.Partial(nrx_tasks.hello), retries=1)
    backend.wait([script, retried], timeout=30)
    assert not _record(backend, script)["forked"]
    assert not _record(backend, retried)["forked"]
    assert f"job {script.job_id} is spawned: its command is not" in caplog.text
    assert f"job {retried.job_id} is spawned: it runs under a supervisor" in caplog.text


@pytest.mark.parametrize("bad", ["yes", "2", "true"])
def test_a_bad_switch_value_is_a_clear_error(
    work: Path, monkeypatch: pytest.MonkeyPatch, bad: str
) -> None:
    import nrx_tasks

    del work
    monkeypatch.setenv(FORK_SERVER_ENV, bad)
    backend = LocalBackend()
    spec = make_job_spec(nr_config.Partial(nrx_tasks.hello), LocalExecutor())
    message = rf"NEMORUN_LOCAL_FORK_SERVER must be 1 .* or 0 .*, not '{bad}'"
    with pytest.raises(ValueError, match=message):
        backend.submit(backend.dryrun(spec))
    assert not Path(spec.job_dir).exists()  # nothing was written


def test_a_batch_is_forked_in_one_round(work: Path) -> None:
    import nrx_tasks

    del work
    backend = LocalBackend()
    specs = [
        make_job_spec(nr_config.Partial(nrx_tasks.hello, name=f"n{i}"), LocalExecutor())
        for i in range(12)
    ]
    script = make_job_spec(nr_config.Script(inline="echo script"), LocalExecutor())
    entries = [BatchEntry(backend.dryrun(spec)) for spec in [*specs, script]]
    handles = [h for (h,) in backend.submit_batch(entries)]
    assert [h.job_id for h in handles] == [s.job_id for s in [*specs, script]]
    statuses = backend.wait(handles, timeout=60)
    assert {s.state for s in statuses.values()} == {JobState.SUCCEEDED}
    assert [list(backend.logs(h)) for h in handles[:3]] == [
        ["hello n0\n"],
        ["hello n1\n"],
        ["hello n2\n"],
    ]
    assert [_record(backend, h)["forked"] for h in handles] == [True] * 12 + [False]
    with pytest.raises(BackendError, match="submitted already"):
        backend.submit(entries[0].request)  # type: ignore[arg-type]
