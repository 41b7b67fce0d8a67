"""``exp.add`` copies the executor and the task: changing them afterwards changes no added job,
and the next job added gets the change (issue 16: copies and records made per shape)."""

import json
from pathlib import Path
from typing import Any

from nr_config import Script
from nr_exec import SlurmExecutor
from nr_experiment import Experiment
from nr_package import Packager
from nr_tunnel import SSHTunnel


def saved_executor(job_dir: Path) -> dict[str, Any]:
    record: dict[str, Any] = json.loads((job_dir / "job.json").read_text())["executors"][0]
    return record


def test_changing_the_executor_and_task_after_add_changes_no_added_job(home: Path) -> None:
    tunnel = SSHTunnel(host="login", user="me", job_dir="/remote")
    executor = SlurmExecutor(tunnel=tunnel, env_vars={"STEP": "0"}, packager=Packager())
    task = Script(inline="echo 0")
    with Experiment("copies", executor=executor) as exp:
        first = exp.add(task, name="first")
        executor.env_vars["STEP"] = "1"
        tunnel.host = "other-login"
        executor.nodes = 2
        task.inline = "echo 1"
        second = exp.add(task, name="second")
        executor.env_vars["STEP"] = "2"
        exp.add(task, name="third")
        jobs = {job.id: job for job in exp.jobs}
        paths = {job_id: job.job_dir for job_id, job in jobs.items()}
    saved = {job_id: saved_executor(path) for job_id, path in paths.items()}
    assert [saved[j]["env_vars"]["STEP"] for j in ("first", "second", "third")] == ["0", "1", "2"]
    assert saved[first]["tunnel"]["host"] == "login"
    assert saved[second]["tunnel"]["host"] == "other-login"
    assert [saved[j]["nodes"] for j in (first, second)] == [1, 2]
    assert saved[second]["job_dir"].endswith("/second")  # each job's own directory
    held = jobs[first].executor
    assert isinstance(held, SlurmExecutor)
    assert isinstance(held.tunnel, SSHTunnel)
    assert (held.env_vars, held.tunnel.host, held.nodes) == ({"STEP": "0"}, "login", 1)
    first_task = jobs[first].task
    assert isinstance(first_task, Script)
    assert first_task.inline == "echo 0"
    reopened = Experiment.from_id(exp.id)
    assert [job.id for job in reopened.jobs] == ["first", "second", "third"]
    rebuilt = [job.executor for job in reopened.jobs]
    assert [e.env_vars["STEP"] for e in rebuilt] == ["0", "1", "2"]
