"""Submits that fail part-way, reconciliation and resume, on the in-memory FakeBackend.

The fake's switches (``FakeCluster.fail_submits``) make a submit raise after the service
received the job (its answer was lost) or without it receiving the job, deterministically.
"""

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from nr_config import Script
from nr_exec import (
    BackendError,
    BackendSettings,
    FailureReason,
    JobState,
    UnsupportedFeatureError,
)
from nr_exec.testing import FakeBackend, FakeCluster, FakeExecutor
from nr_experiment import Experiment, SubmitError
from nr_experiment.store import Store


@pytest.fixture(autouse=True)
def fresh_clusters() -> Iterator[None]:
    FakeBackend.reset()
    yield
    FakeBackend.reset()


def _cluster(name: str) -> FakeCluster:
    return FakeBackend(name).service


def _rows(exp: Experiment) -> dict[str, dict[str, Any]]:
    rows = exp.status(return_dict=True)
    assert rows is not None
    return rows


@pytest.mark.parametrize(("received", "found"), [(True, 1), (False, 0)])
def test_a_failed_submit_leaves_every_job_accounted_for_and_resumable(
    home: Path, received: bool, found: int
) -> None:
    _cluster("flaky").fail_submits = [received]
    executors = [FakeExecutor(cluster="steady"), FakeExecutor(cluster="flaky")]
    with Experiment("fake-partial", clean_mode=True) as exp:
        for i in range(10):
            exp.add(Script(inline="true"), executor=executors[i % 2], name=f"j{i}")
        with pytest.raises(SubmitError) as caught:
            exp.run(detach=True)
    flaky = [f"j{i}" for i in range(1, 10, 2)]
    error = caught.value
    assert isinstance(error, BackendError)
    assert ("answer lost" if received else "never received") in str(error.error)
    assert error.__cause__ is None  # one error, said in one line: no chained traceback
    assert len(error.submitted) == 5 + found
    assert sorted(error.failed) == sorted(flaky[found:])  # refused: FAILED, SUBMIT_ERROR
    assert error.not_submitted == error.in_doubt == []

    again = Experiment.from_id(exp.id)
    rows = _rows(again)
    for job_id, row in rows.items():
        if job_id in flaky[found:]:
            assert (row["status"], row["reason"]) == ("FAILED", "SUBMIT_ERROR")
            assert not row["handle"]
            assert "fake submit failure" in row["message"]
        else:
            assert row["handle"].startswith("fake://")
    assert again.resume(detach=True) == flaky[found:]
    assert all(job.handles for job in again.jobs)
    # Nothing was submitted twice: one cluster job per backend job name.
    for name in ("steady", "flaky"):
        service = _cluster(name)
        assert len(service.jobs) == len(service.names) == 5
    assert again.resume(detach=True) == []  # nothing left to launch


def test_resume_respects_dependencies(home: Path) -> None:
    _cluster("deps").fail_submits = [False]
    executor = FakeExecutor(cluster="deps", features=("detach",))  # no native dependencies
    with Experiment("fake-deps", clean_mode=True) as exp:
        first = exp.add(Script(inline="true"), executor=executor, name="first")
        exp.add(Script(inline="true"), executor=executor, name="second", dependencies=[first])
        with pytest.raises(SubmitError):
            exp.run()
    assert [j.state for j in exp.jobs] == [JobState.FAILED, JobState.UNSUBMITTED]
    assert exp.jobs[0].reason is FailureReason.SUBMIT_ERROR
    again = Experiment.from_id(exp.id)
    rows = _rows(again)  # opening and asking never submits anything
    assert [row["status"] for row in rows.values()] == ["FAILED", "UNSUBMITTED"]
    assert _cluster("deps").jobs == {}
    assert again.resume() == ["first", "second"]  # attached: waits for both
    assert [j.state for j in again.jobs] == [JobState.SUCCEEDED, JobState.SUCCEEDED]


def test_a_refused_request_writes_no_intent(home: Path) -> None:
    steady = FakeExecutor(cluster="refusing")
    no_retries = FakeExecutor(cluster="refusing", features=("detach",), retries=2)
    with Experiment("fake-refused", clean_mode=True) as exp:
        exp.add(Script(inline="true"), executor=steady, name="fine")
        exp.add(Script(inline="true"), executor=no_retries, name="refused")
        with pytest.raises(UnsupportedFeatureError, match="retries"):
            exp.run(detach=True)
    assert [record.intent for record in Store().jobs(exp.id)] == [None, None]
    assert _cluster("refusing").jobs == {}
    rows = _rows(exp).values()  # the refused job failed; the other one was never submitted
    assert [(row["status"], row["reason"]) for row in rows] == [
        ("UNSUBMITTED", None),
        ("FAILED", "SUBMIT_ERROR"),
    ]


@dataclass(frozen=True)
class _ContainerSettings(BackendSettings):
    shm_size: str = "1g"


@dataclass(kw_only=True)
class _WrongSettingsExecutor(FakeExecutor):
    """An executor handing its backend settings the backend does not have."""

    def settings(self, job_dir: str) -> BackendSettings:
        del job_dir
        return _ContainerSettings()


def test_a_bad_option_writes_no_intent(home: Path) -> None:
    with Experiment("fake-bad-option", clean_mode=True) as exp:
        exp.add(Script(inline="true"), executor=FakeExecutor(cluster="opts"), name="fine")
        exp.add(Script(inline="true"), executor=_WrongSettingsExecutor(cluster="opts"), name="bad")
        with pytest.raises(BackendError, match="no setting 'shm_size'"):
            exp.run()
    assert [record.intent for record in Store().jobs(exp.id)] == [None, None]
    assert _cluster("opts").jobs == {}


def test_reason_and_retries_reach_status_and_the_store(home: Path) -> None:
    flaky = FakeExecutor(cluster="states", retries=2, env_vars={"NR_FAKE_FAIL_ATTEMPTS": "1"})
    oom = FakeExecutor(
        cluster="states", env_vars={"NR_FAKE_EXIT_CODE": "137", "NR_FAKE_REASON": "OOM"}
    )
    with Experiment("fake-states", clean_mode=True) as exp:
        exp.add(Script(inline="true"), executor=flaky, name="flaky")
        exp.add(Script(inline="true"), executor=oom, name="oom")
        exp.run()
    flaky_job, oom_job = exp.jobs
    assert (flaky_job.state, flaky_job.retries, flaky_job.reason) == (JobState.SUCCEEDED, 1, None)
    assert (oom_job.state, oom_job.reason, oom_job.exit_code) == (
        JobState.FAILED,
        FailureReason.OOM,
        137,
    )
    rows = _rows(Experiment.from_id(exp.id))
    assert (rows["flaky"]["status"], rows["flaky"]["retries"]) == ("SUCCEEDED", 1)
    assert (rows["oom"]["status"], rows["oom"]["reason"]) == ("FAILED", "OOM")
    record = Store().load_job(exp.id, "oom")
    assert (record.state, record.reason, record["reason"]) == (
        JobState.FAILED,
        FailureReason.OOM,
        "OOM",
    )
    loaded = Experiment.from_id(exp.id).jobs
    assert [(j.reason, j.retries) for j in loaded] == [(None, 1), (FailureReason.OOM, 0)]


def test_one_backend_per_connection(home: Path) -> None:
    with Experiment("fake-pool", clean_mode=True) as exp:
        for i, cluster in enumerate(["a", "a", "b"]):
            exp.add(
                Script(inline="true"),
                executor=FakeExecutor(cluster=cluster, env_vars={"N": str(i)}),
                name=f"j{i}",
            )
        exp.run(detach=True)
        driver = exp._driver()
        backends = [driver.backend_of(job) for job in exp.jobs]
    assert backends[0] is backends[1]
    assert backends[0] is not backends[2]
    assert [b.cluster for b in backends] == ["a", "a", "b"]
    assert backends[0].context.home == home


STUCK_LAUNCHER = """
import time

from nr_config import Script
from nr_exec.testing import FakeBackend, FakeExecutor
from nr_experiment import Experiment


def never_answers(self, request):  # a service that takes the job and never answers
    print("submitting", flush=True)
    time.sleep(3600)


FakeBackend.submit = never_answers
with Experiment("fake-stuck", clean_mode=True) as exp:
    exp.add(Script(inline="true"), executor=FakeExecutor(cluster="stuck"), name="stuck")
    print(exp.id, flush=True)
    exp.run(detach=True)
"""


def test_a_submit_in_flight_in_a_live_launcher_stays_in_doubt(home: Path, tmp_path: Path) -> None:
    script = tmp_path / "stuck.py"
    script.write_text(STUCK_LAUNCHER)
    with subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, text=True
    ) as launcher:
        assert launcher.stdout is not None
        eid = launcher.stdout.readline().strip()
        assert launcher.stdout.readline().strip() == "submitting"
        try:
            row = _rows(Experiment.from_id(eid))["stuck"]
            assert row["status"] == "UNKNOWN"
            assert "may still be submitting" in row["message"]
            with pytest.raises(Exception, match="still runs"):
                Experiment.from_id(eid).resume()
        finally:
            launcher.kill()
    row = _rows(Experiment.from_id(eid))["stuck"]
    assert row["status"] == "UNSUBMITTED"
    assert "is gone" in row["message"]
    again = Experiment.from_id(eid)
    assert again.resume(detach=True) == ["stuck"]
    assert again.jobs[0].handle.startswith("fake://stuck/")


def test_cancel_of_a_job_in_doubt_waits_for_the_backend_to_show_it(
    home: Path, tmp_path: Path
) -> None:
    script = tmp_path / "stuck.py"
    script.write_text(STUCK_LAUNCHER)
    with subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, text=True
    ) as launcher:
        assert launcher.stdout is not None
        eid = launcher.stdout.readline().strip()
        assert launcher.stdout.readline().strip() == "submitting"
        try:
            exp = Experiment.from_id(eid)
            assert exp.cancel() == ["stuck"]
            assert exp.jobs[0].state is JobState.UNKNOWN
            assert exp.jobs[0].cancel_requested
        finally:
            launcher.kill()
    row = _rows(Experiment.from_id(eid))["stuck"]
    assert (row["status"], row["message"]) == ("CANCELLED", "cancelled before submission")
    assert Experiment.from_id(eid).resume(detach=True) == []
