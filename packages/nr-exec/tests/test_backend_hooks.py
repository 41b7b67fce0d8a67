"""The generic backend hooks: batch submission, arrays, cancel_many, backend options."""

from pathlib import Path

import pytest
from nr_config import Script
from nr_exec import (
    BackendError,
    BatchEntry,
    BatchSubmitError,
    JobState,
    LocalBackend,
    LocalExecutor,
    UnsupportedFeatureError,
    make_job_spec,
)
from nr_exec.backend import check_batch_order
from nr_exec.slurm import SlurmExecutor
from nr_exec.wrapper import WRAPPER_SCRIPT
from nr_package import Packager
from nr_tunnel import LocalTunnel


def _request(backend: LocalBackend, tmp_path: Path, name: str, body: str = "true") -> BatchEntry:
    spec = make_job_spec(Script(inline=body), LocalExecutor(), job_dir=str(tmp_path / name))
    return BatchEntry(backend.dryrun(spec))


def test_default_submit_batch_submits_in_order(tmp_path: Path) -> None:
    backend = LocalBackend(root=tmp_path / "jobs")
    entries = [_request(backend, tmp_path, f"j{i}", f"exit {i}") for i in range(2)]
    handles = backend.submit_batch(entries)
    assert [len(h) for h in handles] == [1, 1]
    statuses = backend.wait([h[0] for h in handles], timeout=20)
    assert [statuses[h[0]].exit_code for h in handles] == [0, 1]


def test_default_submit_batch_reports_what_was_submitted(tmp_path: Path) -> None:
    backend = LocalBackend(root=tmp_path / "jobs")
    first, second = (_request(backend, tmp_path, name) for name in ("a", "b"))
    # The local backend has no native dependencies: the waiting entry cannot be made.
    with pytest.raises(BatchSubmitError, match="entry 1") as raised:
        backend.submit_batch([first, BatchEntry(second.request, after=(0,))])
    assert len(raised.value.submitted) == 1
    (handle,) = raised.value.submitted[0]
    assert backend.wait([handle], timeout=20)[handle].state is JobState.SUCCEEDED


def test_batch_order_and_unsupported_arrays(tmp_path: Path) -> None:
    backend = LocalBackend(root=tmp_path / "jobs")
    entry = _request(backend, tmp_path, "a")
    with pytest.raises(BackendError, match="entry 0 may only wait for earlier"):
        check_batch_order([BatchEntry(entry.request, after=(0,))])
    with pytest.raises(UnsupportedFeatureError, match="job arrays"):
        backend.dryrun_array(entry.request.specs)
    assert backend.batch_key() is None


def test_slurm_specs_carry_options_and_no_wrapper() -> None:
    executor = SlurmExecutor(
        packager=Packager(), tunnel=LocalTunnel(job_dir="/r"), partition="p", time="00:05:00"
    )
    spec = executor.to_job_spec(Script(inline="echo hi"), name="s", job_id="s-1")
    assert WRAPPER_SCRIPT not in spec.argv
    assert spec.backend_options["partition"] == "p"
    rebuilt = SlurmExecutor.from_backend_options(spec.backend_options)
    assert (rebuilt.partition, rebuilt.time) == ("p", "00:05:00")
    assert executor.backend_job_dir("/home/u/.run/experiments/t/e1/job") == "/r/jobs/job"
    local = make_job_spec(Script(inline="echo hi"), LocalExecutor(), job_dir="/tmp/x")
    assert local.argv[2] == WRAPPER_SCRIPT
    assert local.backend_options == {}
