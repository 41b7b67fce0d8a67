"""Forked jobs outlive their launcher: kill -9 of the launcher (or of the fork server).

Each launcher is a real process; other processes then find and describe its jobs from their
``local.json``, and the fork server must not outlive its jobs.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from nr_exec import BackendContext, Handle, JobState, LocalBackend
from nr_exec.local import forking

LAUNCHER = """
import json, sys, time
import nr_config, nrx_tasks
from nr_exec import LocalBackend, LocalExecutor, make_job_spec
from nr_exec.backend import BatchEntry
from nr_exec.local import forking

count, seconds, then = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
backend = LocalBackend()
entries = [
    BatchEntry(backend.dryrun(make_job_spec(
        nr_config.Partial(nrx_tasks.sleep, seconds=seconds), LocalExecutor()
    )))
    for _ in range(count)
]
handles = [str(h) for (h,) in backend.submit_batch(entries)]
(server,) = forking._POOL.servers.values()
print(json.dumps({"handles": handles, "server": server.process.pid}), flush=True)
if then == "hang":
    time.sleep(600)
"""


def _launch(count: int, seconds: float, then: str) -> "subprocess.Popen[str]":
    return subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, str(count), str(seconds), then],
        stdout=subprocess.PIPE,
        text=True,
    )


def _gone(pid: int) -> bool:
    """Whether ``pid`` has ended (gone, or a zombie nobody has collected yet)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[0] in {"Z", "X"}


def _wait_for(predicate: object, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


ELSEWHERE = """
import json, sys
from nr_exec import BackendContext, Handle, LocalBackend
backend = LocalBackend(context=BackendContext.default(sys.argv[1]))
handles = [Handle.parse(h) for h in sys.argv[2:]]
found = backend.find([h.job_id for h in handles])
states = backend.status(handles)
print(json.dumps({"found": sorted(found), "states": [states[h].state.value for h in handles]}))
"""


def _seen_elsewhere(home: Path, handles: list[str]) -> dict[str, list[str]]:
    out = subprocess.run(
        [sys.executable, "-c", ELSEWHERE, str(home), *handles],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def test_kill_9_of_the_launcher_leaves_forked_jobs_running_and_findable(home: Path) -> None:
    launcher = _launch(3, 2.0, "hang")
    assert launcher.stdout is not None
    started = json.loads(launcher.stdout.readline())
    os.kill(launcher.pid, signal.SIGKILL)
    launcher.communicate()
    handles, server = started["handles"], started["server"]
    seen = _seen_elsewhere(home, handles)
    assert seen["found"] == sorted(Handle.parse(h).job_id for h in handles)
    assert seen["states"] == ["RUNNING"] * 3
    assert not _gone(server)  # the launcher's kill did not touch it
    _wait_for(lambda: _seen_elsewhere(home, handles)["states"] == ["SUCCEEDED"] * 3)
    _wait_for(lambda: _gone(server))


def test_the_server_ends_after_its_launcher_and_jobs(home: Path) -> None:
    launcher = _launch(2, 1.0, "exit")
    out, _ = launcher.communicate(timeout=60)
    assert launcher.returncode == 0
    started = json.loads(out)
    assert not _gone(started["server"])  # its jobs still run
    _wait_for(lambda: _gone(started["server"]))
    assert _seen_elsewhere(home, started["handles"])["states"] == ["SUCCEEDED"] * 2


DYING_LAUNCHER = """
import json, os, signal, sys
import nr_config, nrx_tasks
from nr_exec import LocalBackend, LocalExecutor, make_job_spec
from nr_exec.backend import BatchEntry
from nr_exec.local import forking

where = sys.argv[1]
sends, collects = [], []
send, collect = forking.ForkServer.send, forking.ForkServer.collect

def die():
    os.kill(os.getpid(), signal.SIGKILL)

def dying_send(self, plan, env, host, umask):
    sends.append(plan)
    if where == "mid-request" and len(sends) == 4:
        line = json.dumps({"job": plan.job_id, "job_dir": plan.job_dir}).encode()
        os.write(self.requests, line[: len(line) // 2])
        die()
    return send(self, plan, env, host, umask)

def dying_collect(self, plan):
    collects.append(plan)
    if where == "before-answers" or (where == "mid-answers" and len(collects) == 4):
        die()
    return collect(self, plan)

forking.ForkServer.send = dying_send
forking.ForkServer.collect = dying_collect
backend = LocalBackend()
entries = [
    BatchEntry(backend.dryrun(make_job_spec(
        nr_config.Partial(nrx_tasks.sleep, seconds=0.2), LocalExecutor()
    )))
    for _ in range(8)
]
backend.submit_batch(entries)
"""


@pytest.mark.parametrize(
    ("where", "recorded"), [("mid-request", 3), ("before-answers", 8), ("mid-answers", 8)]
)
def test_a_launcher_killed_while_submitting_leaves_recorded_jobs_or_none(
    home: Path, where: str, recorded: int
) -> None:
    """Every job directory ends with a record and a success, or with neither and no output."""
    done = subprocess.run([sys.executable, "-c", DYING_LAUNCHER, where], check=False)
    assert done.returncode == -signal.SIGKILL
    job_dirs = [entry.resolve() for entry in (home / "jobs").iterdir()]
    assert len(job_dirs) >= 4

    def settled() -> bool:
        return all((d / "exit.json").exists() or not (d / "local.json").exists() for d in job_dirs)

    _wait_for(settled)
    time.sleep(0.5)  # a job without a record that still ran would have written by now
    backend = LocalBackend(context=BackendContext.default(str(home)))
    with_record = 0
    for job_dir in job_dirs:
        handle = Handle("local", backend.host, job_dir.name)
        status = backend.status([handle])[handle]
        if (job_dir / "local.json").exists():
            with_record += 1
            assert status.state is JobState.SUCCEEDED, job_dir
            assert (job_dir / "logs" / "output.log").read_text() == "sleeping\n"
        else:
            assert status.state is JobState.UNKNOWN, job_dir
            assert not (job_dir / "exit.json").exists()
            log = job_dir / "logs" / "output.log"
            assert not log.exists() or log.read_text() == ""
    assert with_record == recorded


def test_a_dead_server_leaves_its_jobs_to_their_files(home: Path) -> None:
    """The launcher learns its server died; running jobs are then told by their records."""
    import nr_config
    import nrx_tasks
    from nr_exec import LocalExecutor, make_job_spec

    backend = LocalBackend()
    try:
        spec = make_job_spec(nr_config.Partial(nrx_tasks.sleep, seconds=1.0), LocalExecutor())
        handle = backend.submit(backend.dryrun(spec))
        server = forking.FORKED[handle.job_id].server
        os.kill(server.process.pid, signal.SIGKILL)
        status = backend.wait([handle], timeout=30)[handle]
        assert (status.state, status.exit_code) == (JobState.SUCCEEDED, 0)
        assert not server.reporting
        # Later jobs of that context are spawned.
        after = make_job_spec(nr_config.Partial(nrx_tasks.hello), LocalExecutor())
        spawned = backend.submit(backend.dryrun(after))
        assert backend.wait([spawned], timeout=30)[spawned].state is JobState.SUCCEEDED
        record = json.loads((backend.job_dir(spawned) / "local.json").read_text())
        assert record["forked"] is False
    finally:
        forking.shutdown()


INTERRUPTED = """
import nemo_run as run
import nrx_tasks

with run.Experiment("ctrlc", on_interrupt="cancel", clean_mode=True) as exp:
    for i in range(3):
        exp.add(run.Partial(nrx_tasks.sleep, seconds=60), name=f"s{i}")
    exp.run()
    print(exp.id, flush=True)
"""


def test_ctrl_c_of_an_attached_run_cancels_its_forked_jobs(home: Path) -> None:
    script = Path.cwd() / "interrupted.py"  # beside nrx_tasks
    script.write_text(INTERRUPTED)
    with subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stdout is not None
        proc.stdout.readline()
        logs = list((home / "jobs").glob("*/logs/output.log"))
        _wait_for(lambda: [p.resolve().read_text() for p in logs] == ["sleeping\n"] * 3)
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    assert proc.returncode != 0  # KeyboardInterrupt propagates
    for log in logs:
        job_dir = log.resolve().parent.parent
        record = json.loads((job_dir / "local.json").read_text())
        assert record["forked"] is True
        marker = json.loads((job_dir / "exit.json").read_text())
        assert marker["cancelled"] is True
        with pytest.raises(ProcessLookupError):
            os.killpg(record["pid"], 0)
