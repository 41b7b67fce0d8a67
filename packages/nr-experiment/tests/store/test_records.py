"""Typed records: files of the previous release (format 1) load, errors name the key, states."""

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from nr_exec.states import JobState
from nr_experiment.store import (
    CorruptMetadataError,
    ExperimentRecord,
    IncompleteJobError,
    Intent,
    JobRecord,
    Store,
    StoreWarning,
)
from nr_experiment.store.records import process_start_time

EID = "demo_1733000000000000000"
#: ``experiment.json`` and ``job.json`` exactly as the previous release wrote them.
FORMAT_1_EXPERIMENT = {
    "created": 1733000000.0, "format": 1, "id": EID, "title": "demo", "state": "launched",
    "jobs": ["good"], "version": "1!0.1.0", "launched": 1733000001.0,
}  # fmt: skip
FORMAT_1_INTENT = {
    "at": 1733000001.0, "backend": "local", "backend_job_name": "nr.demo.x", "host": "h",
    "pid": 123, "details": {"commands": [["python", "-m", "nr_exec.runner"]]},
}  # fmt: skip
FORMAT_1_JOB = {
    "attempts": [], "backend": "local", "cancel_requested": False, "created": 1733000000.5,
    "dependencies": [], "direct": False, "executor_info": "LocalExecutor()", "executors": [{}],
    "exit_code": 0, "experiment_id": EID, "format": 1, "handle": "local://h/nr.x",
    "handles": ["local://h/nr.x"], "id": "good", "intent": FORMAT_1_INTENT, "kind": "job",
    "message": "", "name": "good", "plugins": [], "state": "SUCCEEDED",
    "submitted": 1733000001.2, "tail_logs": False, "tasks": [{"x": 2}], "updated": 1733000009.0,
}  # fmt: skip
#: What the previous release's ``add_job_dir`` wrote before the caller's content.
FORMAT_1_BARE_JOB = {
    "attempts": [], "backend": None, "created": 1733000000.5, "experiment_id": EID,
    "format": 1, "handle": None, "id": "bare", "intent": None, "name": "bare",
    "submitted": None,
}  # fmt: skip


@pytest.fixture
def old_home(tmp_path: Path) -> Path:
    """A store home holding one experiment written by the previous release."""
    home = tmp_path / "home"
    exp_dir = home / "experiments" / "demo" / EID
    (exp_dir / "good").mkdir(parents=True)
    (exp_dir / "experiment.json").write_text(json.dumps(FORMAT_1_EXPERIMENT))
    (exp_dir / "good" / "job.json").write_text(json.dumps(FORMAT_1_JOB))
    return home


def test_format_1_files_load(old_home: Path) -> None:
    store = Store(old_home)
    experiment = store.load_experiment(EID)
    assert (experiment.format, experiment.title, experiment.jobs) == (1, "demo", ("good",))
    [job] = store.jobs(EID)
    assert job.format == 1
    assert (job.state, job.updated, job.exit_code, job.reason, job.retries) == (
        JobState.SUCCEEDED, 1733000009.0, 0, None, 0
    )  # fmt: skip
    assert job.complete
    assert job.written == 1733000009.0
    assert job.intent is not None
    assert job.intent.started is None
    assert job.commands == [["python", "-m", "nr_exec.runner"]]
    assert job["tasks"] == [{"x": 2}]
    assert job.to_json() == FORMAT_1_JOB


def test_a_write_upgrades_format_1_and_keeps_the_store_keys(old_home: Path) -> None:
    store = Store(old_home)
    written = store.write_job(EID, "good", {"kind": "job", "tasks": [{"x": 3}]})
    assert written.format == JobRecord.FORMAT
    on_disk = json.loads(
        (old_home / "experiments" / "demo" / EID / "good" / "job.json").read_text()
    )
    assert on_disk["format"] == JobRecord.FORMAT
    assert isinstance(on_disk["written"], float)
    assert {k: on_disk[k] for k in JobRecord.STORE_KEYS - {"format", "written"}} == {
        k: FORMAT_1_JOB[k] for k in JobRecord.STORE_KEYS - {"format", "written"}
    }
    assert written.state is JobState.SUBMITTED  # the caller's state is gone; the handle stays


def test_a_format_1_job_without_content_is_incomplete(old_home: Path) -> None:
    bare = old_home / "experiments" / "demo" / EID / "bare"
    bare.mkdir()
    (bare / "job.json").write_text(json.dumps(FORMAT_1_BARE_JOB))
    store = Store(old_home)
    with pytest.warns(StoreWarning, match="bare: its job.json holds only the store's keys"):
        assert [job.id for job in store.jobs(EID)] == ["good"]
    with pytest.raises(IncompleteJobError):
        store.load_job(EID, "bare")


def test_a_newer_format_asks_for_an_upgrade(old_home: Path) -> None:
    file = old_home / "experiments" / "demo" / EID / "good" / "job.json"
    file.write_text(json.dumps({**FORMAT_1_JOB, "format": 99}))
    with pytest.raises(CorruptMetadataError, match=r"format 99 is newer .* upgrade nemo-run"):
        Store(old_home).load_job(EID, "good")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"created": "yesterday"}, "'created' is 'yesterday', expected a number"),
        ({"id": None}, "'id' is None, expected a string"),
        ({"handle": "local://h/1", "submitted": None}, "'submitted' is None, expected a number"),
        ({"intent": {**FORMAT_1_INTENT, "pid": "123"}}, "'intent': 'pid' is '123', expected an"),
        ({"attempts": [{"handle": 1}]}, r"'attempts'\[0\]: 'intent': expected an object"),
        ({"reason": "BORED"}, "'reason' is 'BORED', expected null or one of TIMEOUT"),
        ({"handles": "local://h/1"}, "'handles' is 'local://h/1', expected a list of strings"),
        ({"format": None}, "'format' is None, expected an integer"),
    ],
)
def test_a_wrong_key_is_named(change: dict[str, Any], message: str) -> None:
    path = Path("/store/job.json")
    with pytest.raises(CorruptMetadataError, match=message) as caught:
        JobRecord.from_json(path, {**FORMAT_1_JOB, **change})
    assert caught.value.path == path


def test_state_is_the_newer_of_the_caller_and_the_store() -> None:
    path = Path("job.json")
    submitted_later = {**FORMAT_1_JOB, "state": "UNSUBMITTED", "updated": 1733000000.6}
    assert JobRecord.from_json(path, submitted_later).state is JobState.SUBMITTED
    in_doubt = {**submitted_later, "handle": None, "submitted": None, "handles": []}
    assert JobRecord.from_json(path, in_doubt).state is JobState.UNKNOWN
    resolved = {**in_doubt, "state": "UNSUBMITTED", "updated": 1733000002.0}
    assert JobRecord.from_json(path, resolved).state is JobState.UNSUBMITTED
    no_state = {k: v for k, v in FORMAT_1_JOB.items() if k not in {"state", "updated"}}
    record = JobRecord.from_json(path, no_state)
    assert (record.state, record.updated) == (JobState.SUBMITTED, 1733000001.2)


def test_declared_keys() -> None:
    assert {"state", "reason", "retries", "handles", "backends"} <= JobRecord.RUN_KEYS
    assert not JobRecord.STORE_KEYS & JobRecord.RUN_KEYS
    assert JobRecord.VOLATILE_KEYS == JobRecord.STORE_KEYS | JobRecord.RUN_KEYS
    assert set(JobRecord.new(EID, "j", "j")) == JobRecord.STORE_KEYS
    assert {"format", "id", "title", "created"} == ExperimentRecord.STORE_KEYS


def test_a_record_is_immutable() -> None:
    record = JobRecord.from_json(Path("job.json"), json.loads(json.dumps(FORMAT_1_JOB)))
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.state = JobState.FAILED  # type: ignore[misc]
    with pytest.raises(TypeError):
        record["state"] = "FAILED"  # type: ignore[index]
    record.to_json()["intent"]["pid"] = 1
    record.content["tasks"].append({"x": 3})
    assert record.to_json() == FORMAT_1_JOB


def test_the_launcher_of_an_intent_is_told_alive_or_gone() -> None:
    here = Intent.now("local", "nr.x", {})
    assert here.started is not None
    assert here.started == process_start_time(os.getpid())
    assert here.launcher_running() is True
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    gone = dataclasses.replace(here, pid=child.pid, started=None)
    assert gone.launcher_running() is False
    reused = dataclasses.replace(here, started=here.started - 3600)  # the pid's earlier owner
    assert reused.launcher_running() is False
    elsewhere = dataclasses.replace(here, host="another-host")
    assert elsewhere.launcher_running() is None
    assert Intent.from_json(Path("job.json"), here.to_json()) == here
