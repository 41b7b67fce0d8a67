"""A job's task and executor records: made once, again only after the objects were handed out;
made from a template for look-alike executors and scripts, the same data as made anew."""

import dataclasses
import json
from pathlib import Path
from typing import Any

import nr_config
import nr_experiment.job as job_module
import pytest
from nr_config import Script
from nr_exec import SlurmExecutor
from nr_exec.testing import FakeExecutor
from nr_experiment.job import Job
from nr_experiment.serial import executor_to_record, task_to_record
from nr_package import Packager
from nr_tunnel import SSHTunnel


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


def slurm_executor() -> SlurmExecutor:
    return SlurmExecutor(
        tunnel=SSHTunnel(host="login", user="me", job_dir="/remote"),
        partition="debug",
        env_vars={"PATH": "/bin"},
        packager=Packager(),
    )


def fresh_record(value: Any) -> str:
    return json.dumps(nr_config.to_dict(nr_config.to_config(value)))


def test_records_of_look_alike_executors_are_those_made_anew() -> None:
    executors = []
    for job in ("a", "b"):  # the copies the jobs of one experiment get
        executor = slurm_executor()
        executor.assign("exp_1", "/store/exp_1", job, job)
        executors.append(executor)
    changed = slurm_executor()
    changed.env_vars["PATH"] = "/usr/bin"  # nested: another template
    executors.append(changed)
    assert isinstance(changed.tunnel, SSHTunnel)
    for nested in (
        {"connect_timeout": 0.0},
        {"connect_timeout": -0.0},
        {"port": 1},
        {"port": True},
    ):
        tunnel = dataclasses.replace(changed.tunnel, **nested)  # equal values, other records
        executors.append(dataclasses.replace(changed, tunnel=tunnel))
    executors.append(dataclasses.replace(changed, retries=1))
    executors.append(dataclasses.replace(changed, experiment_id=None, job_dir=""))
    for executor in executors * 2:
        assert json.dumps(executor_to_record(executor)) == fresh_record(executor)


def test_records_of_scripts_are_those_made_anew() -> None:
    scripts = [Script(inline=f"echo {i}", env={"A": str(i)}) for i in range(3)]
    scripts.append(Script(path="/bin/true", args=["-x"]))
    for script in scripts * 2:
        assert json.dumps(task_to_record(script)) == fresh_record(script)


def test_a_changed_record_changes_no_later_record() -> None:
    first = executor_to_record(slurm_executor())
    first["env_vars"]["PATH"] = "changed"
    first["tunnel"]["host"] = "changed"
    second = executor_to_record(slurm_executor())
    assert second["env_vars"] == {"PATH": "/bin"}
    assert second["tunnel"]["host"] == "login"
