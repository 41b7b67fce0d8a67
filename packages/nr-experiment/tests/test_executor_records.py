"""A job's task and executor records: made once, again only after the objects were handed out."""

from pathlib import Path
from typing import Any

import nr_experiment.job as job_module
import pytest
from nr_config import Script
from nr_exec.testing import FakeExecutor
from nr_experiment.job import Job


def counted(monkeypatch: pytest.MonkeyPatch, name: str) -> list[object]:
    built: list[object] = []
    real = getattr(job_module, name)

    def counting(value: Any) -> Any:
        built.append(value)
        return real(value)

    monkeypatch.setattr(job_module, name, counting)
    return built


def new_job(tmp_path: Path) -> Job:
    return Job(
        id="j", name="j", tasks=[Script(inline="true")], executors=[FakeExecutor()],
        job_dir=tmp_path,
    )  # fmt: skip


def test_executor_records_are_made_once_unless_the_executor_was_handed_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = counted(monkeypatch, "executor_to_record")
    job = new_job(tmp_path)
    job.to_record()
    job.executor_for(0)  # read by the launcher: no new records
    job.read_executors()
    job.to_record()
    assert len(built) == 1
    job.executor.env_vars["CHANGED"] = "1"  # handed out: the caller may change it
    assert job.to_record()["executors"][0]["env_vars"] == {"CHANGED": "1"}
    assert len(built) == 2


def test_executor_records_are_kept_as_submitted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = counted(monkeypatch, "executor_to_record")
    job = new_job(tmp_path)
    job.to_record()
    job.handles = ["fake://here/1"]
    first = job.to_record()
    assert len(built) == 1  # not handed out since: the records are those it was submitted with
    job.executor.env_vars["LATE"] = "1"  # after the submit: not what the job runs with
    for _ in range(3):
        assert job.to_record()["executors"] == first["executors"]
    assert len(built) == 1


def test_executor_handed_out_before_the_submit_is_saved_as_submitted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = counted(monkeypatch, "executor_to_record")
    job = new_job(tmp_path)
    job.to_record()
    job.executor.retries = 2
    job.handles = ["fake://here/1"]
    assert job.to_record()["executors"][0]["retries"] == 2
    job.to_record()
    assert len(built) == 2


def test_task_records_are_made_once_unless_the_task_was_handed_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = counted(monkeypatch, "task_to_record")
    job = new_job(tmp_path)
    job.task_records()
    job.to_record()
    job.read_tasks()
    job.to_record()
    assert len(built) == 1
    task = job.task
    assert isinstance(task, Script)
    task.inline = "false"
    assert "false" in str(job.to_record()["tasks"])
    assert len(built) == 2
