"""Reliability of the experiment store with real launcher processes (kill -9, concurrency)."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from nr_exec import Handle, JobState
from nr_experiment import Experiment
from nr_experiment.store import Store

FIFTY = """
import nemo_run as run

with run.Experiment("fifty", clean_mode=True) as exp:
    for i in range(50):
        exp.add(run.Script(inline="true"), name=f"j{i}")
    print(exp.id, flush=True)
    exp.run(detach=True)
"""

MANY = """
import sys
import nemo_run as run

for n in range(int(sys.argv[1])):
    with run.Experiment("crowd", clean_mode=True) as exp:
        for i in range(3):
            exp.add(run.Script(inline="true"), name=f"j{i}")
        exp.run()
    print(exp.id, flush=True)
"""


def _started(job_dir: Path) -> bool:
    """Whether the local backend started a process for this job (its own records say so)."""
    return (job_dir / "local.json").exists() or (job_dir / "exit.json").exists()


@pytest.mark.parametrize("delay", [0.25, 0.5, 0.8, 1.2])
def test_kill_9_during_a_50_job_launch_loses_no_job(
    home: Path, tmp_path: Path, delay: float
) -> None:
    script = tmp_path / "fifty.py"
    script.write_text(FIFTY)
    with subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None
        eid = proc.stdout.readline().split()[0]
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    store = Store(home)
    records = store.jobs(eid)  # readable: no torn or half-written file
    assert [s.id for s in store.list_experiments()] == [eid]
    for record in records:
        job_dir = store.job_dir(eid, record["id"])
        if _started(job_dir):
            assert record["intent"] is not None, f"{job_dir} ran without an intent record"
    exp = Experiment.from_id(eid)
    rows = exp.status(return_dict=True) or {}
    for record in records:
        job_dir = store.job_dir(eid, record["id"])
        if _started(job_dir):  # every submitted job is accounted for, with its handle
            assert rows[record["id"]]["handle"], record["id"]
        elif record["intent"] is None:
            assert rows[record["id"]]["status"] == "UNSUBMITTED"


def test_eight_concurrent_launchers_lose_nothing(home: Path, tmp_path: Path) -> None:
    script = tmp_path / "many.py"
    script.write_text(MANY)
    procs = [
        subprocess.Popen([sys.executable, str(script), "3"], stdout=subprocess.PIPE, text=True)
        for _ in range(8)
    ]
    ids: list[str] = []
    for proc in procs:
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0
        ids += out.split()
    assert len(ids) == len(set(ids)) == 24
    assert sorted(Experiment.catalog("crowd")) == sorted(ids)
    (home / "catalog.sqlite3").unlink()
    assert sorted(Experiment.catalog("crowd")) == sorted(ids)  # rebuilt from the files
    for eid in ids:
        states = Experiment.from_id(eid).status(return_dict=True) or {}
        assert [row["status"] for row in states.values()] == ["SUCCEEDED"] * 3
        assert (
            json.loads((Store(home).experiment_dir(eid) / "experiment.json").read_text())["id"]
            == eid
        )


KILLED_MID_SUBMIT = """
import os
import signal
import sys

import nemo_run as run
from nr_exec.local import LocalBackend

kill_after, runs = int(sys.argv[1]), sys.argv[2]
started = []
submit = LocalBackend.submit


def submit_then_die(self, request):
    handle = submit(self, request)
    started.append(handle)
    if len(started) == kill_after:  # killed mid-batch: the backend has the job, the store not
        os.kill(os.getpid(), signal.SIGKILL)
    return handle


if kill_after:
    LocalBackend.submit = submit_then_die
with run.Experiment("killed", clean_mode=True) as exp:
    for i in range(20):
        exp.add(run.Script(inline=f"echo j{i} >> {runs}; exec sleep 600"), name=f"j{i}")
    print(exp.id, flush=True)
    exp.run(detach=True)
"""


def _launch_and_kill(home: Path, tmp_path: Path, kill_after: int) -> tuple[str, Path]:
    """Launch 20 local jobs and SIGKILL the launcher mid-submit.

    With ``kill_after`` the launcher kills itself right after that many jobs started;
    with 0 the test kills it as soon as the first job has started.
    """
    script, runs = tmp_path / "killed.py", tmp_path / "runs.txt"
    script.write_text(KILLED_MID_SUBMIT)
    with subprocess.Popen(
        [sys.executable, str(script), str(kill_after), str(runs)],
        stdout=subprocess.PIPE,
        text=True,
    ) as proc:
        assert proc.stdout is not None
        eid = proc.stdout.readline().split()[0]
        if not kill_after:
            deadline = time.monotonic() + 60
            while not any((home / "jobs").glob("*")) and time.monotonic() < deadline:
                time.sleep(0.001)
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    return eid, runs


def _lines(path: Path, count: int) -> list[str]:
    """The lines of ``path`` once it has at least ``count`` (jobs start in the background)."""
    deadline = time.monotonic() + 60
    lines: list[str] = []
    while time.monotonic() < deadline:
        lines = path.read_text().split() if path.exists() else []
        if len(lines) >= count:
            break
        time.sleep(0.02)
    return lines


@pytest.mark.parametrize("kill_after", [8, 0], ids=["killed-after-8-starts", "killed-from-outside"])
def test_kill_9_during_a_20_job_submit_then_status_and_resume(
    home: Path, tmp_path: Path, kill_after: int
) -> None:
    eid, runs = _launch_and_kill(home, tmp_path, kill_after)
    names = [f"j{i}" for i in range(20)]
    exp = Experiment.from_id(eid)  # this process is not the launcher
    try:
        rows = exp.status(return_dict=True) or {}
        found = [jid for jid, row in rows.items() if row["handle"]]
        missing = [jid for jid, row in rows.items() if row["status"] == "UNSUBMITTED"]
        assert sorted(found + missing) == sorted(names), rows  # nothing left in doubt
        assert all("Experiment.resume()" in rows[jid]["message"] for jid in missing)
        # A found job runs, unless the kill broke its start: then its supervisor, still reading
        # its launch plan, is PENDING (it will run, or end without running) or it ended FAILED.
        running = [jid for jid in found if rows[jid]["status"] == "RUNNING"]
        starting = [jid for jid in found if rows[jid]["status"] == "PENDING"]
        if kill_after:
            assert found == running == names[:kill_after]
        assert all("supervisor has not started it yet" in rows[j]["message"] for j in starting)
        assert set(running) <= set(_lines(runs, len(running))) <= set(running + starting)
        if running:  # a job found by reconciliation can be cancelled
            assert exp.cancel(running[0], dependents=False) == [running[0]]
            assert exp.jobs[names.index(running[0])].state is JobState.CANCELLED
        assert exp.resume(detach=True) == missing
        ran = sorted(running + missing)
        lines = _lines(runs, len(ran))
        assert len(lines) == len(set(lines)), lines  # none twice
        assert set(ran) <= set(lines) <= set(ran + starting)  # the resumed jobs ran
        rows = exp.status(return_dict=True) or {}
        assert all(row["handle"] for row in rows.values())
    finally:
        exp.cancel()
    lines = runs.read_text().split()
    assert len(lines) == len(set(lines))
    assert set(ran) <= set(lines) <= set(ran + starting)


def test_cancel_after_a_kill_9_reaches_the_jobs_the_backend_has(home: Path, tmp_path: Path) -> None:
    eid, runs = _launch_and_kill(home, tmp_path, 5)
    records = Store(home).jobs(eid)
    assert not any(record.handle for record in records)  # killed before any handle was recorded
    # The five started jobs run (under load a job may take seconds to print its name; a
    # cancel before that would stop it first).
    assert sorted(_lines(runs, 5)) == [f"j{i}" for i in range(5)]
    exp = Experiment.from_id(eid)
    assert len(exp.cancel()) == 20  # reconciles first: the five started jobs are found
    rows = exp.status(return_dict=True) or {}
    assert [bool(rows[f"j{i}"]["handle"]) for i in range(20)] == [True] * 5 + [False] * 15
    assert {row["status"] for row in rows.values()} == {"CANCELLED"}
    backend = exp._driver().backend_of(exp.jobs[0])
    statuses = backend.status([Handle.parse(rows[f"j{i}"]["handle"]) for i in range(5)])
    assert {s.state for s in statuses.values()} == {JobState.CANCELLED}  # stopped, not just marked
    assert Experiment.from_id(eid).resume(detach=True) == []
