"""Experiments on the testbed's real Slurm, through a LocalTunnel and an SSHTunnel.

Run inside the testbed's network namespace (``hatch run test:all`` does it).
"""

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from nr_config import Partial, Script
from nr_exec import Handle
from nr_exec.slurm import SlurmExecutor
from nr_experiment import Experiment
from nr_tunnel import LocalTunnel, SSHTunnel

pytestmark = [pytest.mark.slurm]


@pytest.fixture
def calls(tunnel: LocalTunnel | SSHTunnel, monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Any]]:
    """Record the file transfers and submitting shells (and their stdin) of the tunnel's class."""
    seen: dict[str, list[Any]] = {"sync": [], "submit": [], "submit_stdin": []}
    cls = type(tunnel)
    sync, run = cls.sync, cls.run

    def counting_sync(self: Any, source: Any, target: str, *args: Any, **kwargs: Any) -> Any:
        seen["sync"].append(target)
        return sync(self, source, target, *args, **kwargs)

    def counting_run(self: Any, command: str, *args: Any, **kwargs: Any) -> Any:
        if "nr_submit " in command:
            seen["submit"].append(command)
            seen["submit_stdin"].append(kwargs.get("stdin"))
        return run(self, command, *args, **kwargs)

    monkeypatch.setattr(cls, "sync", counting_sync)
    monkeypatch.setattr(cls, "run", counting_run)
    return seen


def _states(exp: Experiment) -> dict[str, str]:
    rows = exp.status(return_dict=True)
    assert rows is not None
    return {job_id: row["status"] for job_id, row in rows.items()}


def _wait_states(exp: Experiment, timeout: float = 90) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    while True:
        states = _states(exp)
        done = all(s in ("SUCCEEDED", "FAILED", "CANCELLED") for s in states.values())
        if done or time.monotonic() > deadline:
            return states
        time.sleep(0.5)


def test_partial_script_and_dependent_in_one_transfer(
    make: Callable[..., SlurmExecutor],
    tunnel: LocalTunnel | SSHTunnel,
    calls: dict[str, list[Any]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    executor = make()
    with Experiment("slurm-exp", executor=executor, base_dir=tmp_path, clean_mode=True) as exp:
        made = exp.add(Partial(os.makedirs, name="made-by-partial", exist_ok=True), name="mk")
        said = exp.add(Script(inline='echo "hello $WHO"', env={"WHO": "slurm"}), name="say")
        exp.add(Script(inline="echo after"), name="after", dependencies=[made, said])
        exp.run()
    assert [job.state for job in exp.jobs] == ["SUCCEEDED"] * 3
    assert calls["sync"] == []  # the files travel as the stdin of the one submitting shell
    assert len(calls["submit"]) == 1
    assert calls["submit_stdin"][0] is not None
    handles = [Handle.parse(job.handle) for job in exp.jobs]
    assert all(h.backend == "slurm" for h in handles)
    capsys.readouterr()
    exp.logs("say")
    assert capsys.readouterr().out == "hello slurm\n"
    job_dir = executor.remote_root() + f"/{exp.id}/{exp.jobs[0].id}"
    assert tunnel.run(f"test -d {job_dir}/made-by-partial", warn=True).ok
    again = Experiment.from_id(exp.id, base_dir=tmp_path)
    assert set(_states(again).values()) == {"SUCCEEDED"}


def test_dependency_chain_with_failing_parent(
    make: Callable[..., SlurmExecutor], tmp_path: Path
) -> None:
    with Experiment("slurm-deps", executor=make(), base_dir=tmp_path, clean_mode=True) as exp:
        parent = exp.add(Script(inline="exit 3"), name="parent")
        child = exp.add(Script(inline="echo child"), name="child", dependencies=[parent])
        cleanup = exp.add(
            Script(inline="echo cleanup"),
            executor=make(dependency_type="afterany"),
            name="cleanup",
            dependencies=[parent],
        )
        exp.run(detach=True)
    states = _wait_states(exp)
    assert states == {parent: "FAILED", child: "CANCELLED", cleanup: "SUCCEEDED"}
    assert exp.jobs[0].exit_code == 3


def test_sequential_and_cancel_with_dependents(
    make: Callable[..., SlurmExecutor], calls: dict[str, list[Any]], tmp_path: Path
) -> None:
    with Experiment("slurm-seq", executor=make(), base_dir=tmp_path, clean_mode=True) as exp:
        ids = [exp.add(Script(inline="sleep 300"), name=f"seq{i}") for i in range(3)]
        exp.run(sequential=True, detach=True)
    assert len(calls["submit"]) == 1
    submitted = calls["submit"][0]
    assert submitted.count("--dependency=afterok:") == 2
    assert _states(exp)[ids[2]] == "PENDING"
    assert exp.cancel(ids[0]) == ids  # the first job and its dependents
    assert exp.cancel(ids[0]) == ids  # idempotent
    assert _wait_states(exp, timeout=60) == dict.fromkeys(ids, "CANCELLED")


def test_array_of_same_shape_tasks(
    make: Callable[..., SlurmExecutor],
    tunnel: LocalTunnel | SSHTunnel,
    calls: dict[str, list[Any]],
    tmp_path: Path,
) -> None:
    executor = make(array_parallelism=2)
    with Experiment("slurm-array", executor=executor, base_dir=tmp_path, clean_mode=True) as exp:
        ids = [
            exp.add(Script(inline=f"echo element-{i}; exit {1 if i == 3 else 0}"), name="el")
            for i in range(5)
        ]
        last = exp.add(Script(inline="echo done"), name="last", dependencies=ids[:1])
        exp.run(array=True)
    handles = [Handle.parse(job.handle) for job in exp.jobs]
    array_ids = {h.job_id.partition("_")[0] for h in handles[:5]}
    assert len(array_ids) == 1
    assert [h.job_id.partition("_")[2] for h in handles[:5]] == ["0", "1", "2", "3", "4"]
    assert len(calls["submit"]) == 1
    script = tunnel.run(f"cat {executor.remote_root()}/.jobs/{array_ids.pop()}/sbatch.sh").stdout
    assert "#SBATCH --array=0-4%2\n" in script
    states = _states(exp)
    assert [states[i] for i in ids] == ["SUCCEEDED"] * 3 + ["FAILED", "SUCCEEDED"]
    # "last" waited for the whole array, which did not all succeed (afterok).
    assert states[last] == "CANCELLED"
    assert exp.jobs[3].exit_code == 1
