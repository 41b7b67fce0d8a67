"""Reliability of the experiment store with real launcher processes (kill -9, concurrency)."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
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


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "home"
    monkeypatch.setenv("NEMORUN_HOME", str(path))
    return path


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
