"""A job's executor records: rebuilt while it may still change, reused once submitted."""

from pathlib import Path
from typing import Any

import nr_experiment.job as job_module
import pytest
from nr_config import Script
from nr_exec.testing import FakeExecutor
from nr_experiment.job import Job


def test_executor_records_are_reused_once_the_job_was_submitted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[object] = []
    real = job_module.executor_to_record

    def counting(executor: Any) -> Any:
        built.append(executor)
        return real(executor)

    monkeypatch.setattr(job_module, "executor_to_record", counting)
    job = Job(
        id="j", name="j", tasks=[Script(inline="true")], executors=[FakeExecutor()],
        job_dir=tmp_path,
    )  # fmt: skip
    job.to_record()
    job.to_record()
    assert len(built) == 2  # not submitted: the executor may have changed since
    job.handles = ["fake://here/1"]
    first = job.to_record()
    assert len(built) == 3  # once more, as submitted
    for _ in range(3):
        assert job.to_record()["executors"] == first["executors"]
    assert len(built) == 3
