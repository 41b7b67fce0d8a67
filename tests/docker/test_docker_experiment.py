"""Experiments on the testbed's Docker engine: the store's home, kill -9 mid-submit, resume."""

import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from nr_config import Script
from nr_exec import Handle, JobState
from nr_exec.docker import DockerExecutor
from nr_exec.docker.client import EngineClient
from nr_exec.docker.naming import LABEL_JOB, MANAGED_FILTER
from nr_experiment import Experiment
from nr_package import Packager

TIMEOUT = 120


def containers_by_job(host: str, rows: dict[str, dict[str, Any]]) -> dict[str, int]:
    """How many containers the engine has for each job of ``rows`` (status rows) that has any."""
    wanted = {Handle.parse(row["handle"]).job_id for row in rows.values() if row["handle"]}
    client = EngineClient(host)
    try:
        counts: dict[str, int] = {}
        for info in client.list([MANAGED_FILTER]):
            job = info.labels.get(LABEL_JOB, "")
            if job in wanted:
                counts[job] = counts.get(job, 0) + 1
        return counts
    finally:
        client.close()


@pytest.mark.docker
def test_base_dir_is_the_home_of_docker_jobs(
    engine: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_home = tmp_path / "env-home"
    monkeypatch.setenv("NEMORUN_HOME", str(env_home))
    base = tmp_path / "base"
    host, image = engine
    executor = DockerExecutor(
        container_image=image, docker_host=host, network="none", packager=Packager()
    )
    with Experiment("docker-base", base_dir=base, clean_mode=True) as exp:
        exp.add(Script(inline="echo fine"), executor=executor, name="ok")
        exp.add(Script(inline="exit 3"), executor=executor, name="bad")
        exp.run()
    states = exp.wait(timeout=TIMEOUT)
    assert states == {"ok": JobState.SUCCEEDED, "bad": JobState.FAILED}
    rows = Experiment.from_id(exp.id, base_dir=base).status(return_dict=True) or {}
    assert [rows[j]["status"] for j in ("ok", "bad")] == ["SUCCEEDED", "FAILED"]
    assert rows["bad"]["exit_code"] == 3
    for row in rows.values():
        assert row["handle"].startswith("docker://")
        assert (base / "jobs" / Handle.parse(row["handle"]).job_id).is_dir()
    assert not (env_home / "jobs").exists()


KILLED = """
import os
import signal
import sys

import nemo_run as run
from nr_exec.docker import DockerBackend, DockerExecutor
from nr_package import Packager

host, image, base, kill_after = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
started = []
submit = DockerBackend.submit


def submit_then_die(self, request):
    handle = submit(self, request)
    started.append(handle)
    if len(started) == kill_after:  # killed mid-batch: the engine has the job, the store not
        os.kill(os.getpid(), signal.SIGKILL)
    return handle


DockerBackend.submit = submit_then_die
executor = DockerExecutor(container_image=image, docker_host=host, network="none", packager=Packager())
with run.Experiment("docker-killed", base_dir=base, clean_mode=True) as exp:
    for i in range(6):
        exp.add(run.Script(inline="exec sleep 300"), executor=executor, name=f"j{i}")
    print(exp.id, flush=True)
    exp.run(detach=True)
"""


@pytest.mark.docker
def test_kill_9_mid_submit_then_status_cancel_and_resume(
    engine: tuple[str, str], tmp_path: Path
) -> None:
    # The launcher dies right after the engine received the third job. From another
    # process, status() accounts for every job (found ones get handles, the others become
    # resumable), a found job cancels, resume() submits the rest, and no job runs twice.
    host, image = engine
    base = tmp_path / "base"
    script = tmp_path / "killed.py"
    script.write_text(KILLED)
    with subprocess.Popen(
        [sys.executable, str(script), host, image, str(base), "3"],
        stdout=subprocess.PIPE,
        text=True,
    ) as proc:
        assert proc.stdout is not None
        eid = proc.stdout.readline().split()[0]
        proc.wait(timeout=TIMEOUT)
    assert proc.returncode == -signal.SIGKILL
    names = [f"j{i}" for i in range(6)]
    exp = Experiment.from_id(eid, base_dir=base)
    try:
        rows = exp.status(return_dict=True) or {}
        found = sorted(jid for jid, row in rows.items() if row["handle"])
        missing = sorted(jid for jid, row in rows.items() if row["status"] == "UNSUBMITTED")
        assert found == names[:3], rows
        assert missing == names[3:], rows
        assert {rows[jid]["status"] for jid in found} <= {"RUNNING", "PENDING"}
        assert exp.cancel(found[0], dependents=False) == [found[0]]
        assert sorted(exp.resume(detach=True)) == missing
        rows = exp.status(return_dict=True) or {}
        assert all(row["handle"] for row in rows.values())
        counts = containers_by_job(host, rows)
        assert sorted(counts.values()) == [1] * 5  # the cancelled one is gone; no duplicates
    finally:
        exp.cancel()
    assert containers_by_job(host, rows) == {}
