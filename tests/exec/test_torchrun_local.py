"""LocalExecutor + Torchrun with a real CPU PyTorch: a 2-process gloo all-reduce."""

import sys
import textwrap
from pathlib import Path

import nr_config
import pytest
from nr_exec import JobState, LocalExecutor, Torchrun, backend_for, make_job_spec, read_exit_marker

pytest.importorskip("torch", reason="needs PyTorch (pip install torch)")

TASK = textwrap.dedent(
    """
    import os

    import torch
    import torch.distributed as dist


    def all_reduce(out_dir: str) -> None:
        dist.init_process_group("gloo")
        rank = dist.get_rank()
        value = torch.tensor([float(rank + 1)])
        dist.all_reduce(value)
        with open(os.path.join(out_dir, f"rank{rank}"), "w") as out:
            out.write(f"{dist.get_world_size()} {value.item()}")
        dist.destroy_process_group()
    """
)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("NEMORUN_HOME", str(tmp_path / "home"))
    work = tmp_path / "work"
    work.mkdir()
    (work / "nrx_dist_task.py").write_text(TASK)
    monkeypatch.chdir(work)
    monkeypatch.syspath_prepend(str(work))
    sys.modules.pop("nrx_dist_task", None)
    return work


@pytest.mark.slow
def test_gloo_all_reduce_under_torchrun(workdir: Path, tmp_path: Path) -> None:
    import nrx_dist_task

    out = tmp_path / "out"
    out.mkdir()
    executor = LocalExecutor(ntasks_per_node=2, launcher=Torchrun(rdzv_id=123))
    spec = make_job_spec(nr_config.Partial(nrx_dist_task.all_reduce, out_dir=str(out)), executor)
    backend = backend_for(executor)
    handle = backend.submit(backend.dryrun(spec))
    status = backend.wait([handle], timeout=180)[handle]
    logs = "".join(backend.logs(handle))
    assert status.state is JobState.SUCCEEDED, logs
    assert sorted(p.read_text() for p in out.iterdir()) == ["2 3.0", "2 3.0"]
    marker = read_exit_marker(Path(spec.job_dir) / "exit.json")
    assert marker is not None
    assert marker.writer == "wrapper"  # the launcher-level exit, not a rank's
    assert "--nproc-per-node" in spec.argv


@pytest.mark.slow
def test_failing_rank_fails_the_job(workdir: Path, tmp_path: Path) -> None:
    script = nr_config.Script(
        inline='if [ "$RANK" = 1 ]; then echo "rank 1 fails"; exit 3; fi; echo "rank $RANK ok"'
    )
    executor = LocalExecutor(ntasks_per_node=2, launcher="torchrun")
    spec = make_job_spec(script, executor)
    assert "--no-python" in spec.argv
    backend = backend_for(executor)
    handle = backend.submit(backend.dryrun(spec))
    status = backend.wait([handle], timeout=180)[handle]
    assert status.state is JobState.FAILED
    assert status.exit_code not in (None, 0)
    assert "rank 1 fails" in "".join(backend.logs(handle))
