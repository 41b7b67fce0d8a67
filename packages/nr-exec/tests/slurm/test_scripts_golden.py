"""Golden files of generated sbatch scripts (set NR_UPDATE_GOLDEN=1 to rewrite them)."""

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from nr_config import Partial, Script
from nr_exec.launchers import FaultTolerance, SlurmTemplate, Torchrun
from nr_exec.slurm import SlurmBackend, SlurmExecutor
from nr_package import GitArchivePackager

GOLDEN = Path(__file__).parent / "golden"


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / f"{name}.sh"
    if os.environ.get("NR_UPDATE_GOLDEN") == "1" or not path.exists():
        path.write_text(text)
    assert text == path.read_text()


def train(lr: float = 0.1) -> None:
    """A stand-in training function."""


def _spec(executor: SlurmExecutor, task: object, name: str) -> object:
    return executor.to_job_spec(task, name=name, job_id=f"{name}-id")


def test_dummy(
    backend_of: Callable[[SlurmExecutor], SlurmBackend], make_executor: Callable[..., SlurmExecutor]
) -> None:
    executor = make_executor(
        nodes=2,
        ntasks_per_node=4,
        gpus_per_node=8,
        mem="16G",
        env_vars={"FOO": "bar"},
        setup_lines="module load cuda",
    )
    spec = _spec(executor, Partial(train, lr=0.5), "train")
    check_golden("dummy", backend_of(executor).dryrun(spec).materialize())


def test_group_with_and_without_monitor(
    backend_of: Callable[[SlurmExecutor], SlurmBackend], make_executor: Callable[..., SlurmExecutor]
) -> None:
    for monitor, name in ((True, "group"), (False, "group_no_monitor")):
        executor = make_executor(
            monitor_group_job=monitor, wait_time_for_group_job=5, monitor_group_job_wait_time=10
        )
        specs = [
            _spec(executor, Script(inline="echo server", env={"ROLE": "server"}), "server"),
            _spec(executor, Script(inline="echo client", env={"ROLE": "client"}), "client"),
        ]
        check_golden(name, backend_of(executor).dryrun(specs).materialize())


def test_heterogeneous(
    backend_of: Callable[[SlurmExecutor], SlurmBackend], make_executor: Callable[..., SlurmExecutor]
) -> None:
    first = make_executor(heterogeneous=True, nodes=1, gpus_per_node=8)
    second = make_executor(heterogeneous=True, nodes=2, ntasks_per_node=2)
    specs = [
        _spec(first, Script(inline="echo a"), "a"),
        _spec(second, Script(inline="echo b"), "b"),
    ]
    check_golden("het", backend_of(first).dryrun(specs).materialize())


def test_torchrun_multi_node(
    backend_of: Callable[[SlurmExecutor], SlurmBackend], make_executor: Callable[..., SlurmExecutor]
) -> None:
    executor = make_executor(nodes=2, ntasks_per_node=8, launcher=Torchrun(rdzv_id=42))
    spec = _spec(executor, Script(path="train.py", entrypoint="python", args=["--x", "1"]), "ddp")
    check_golden("torchrun_multi_node", backend_of(executor).dryrun(spec).materialize())


def test_fault_tolerance(
    backend_of: Callable[[SlurmExecutor], SlurmBackend], make_executor: Callable[..., SlurmExecutor]
) -> None:
    launcher = FaultTolerance(rdzv_id=7, max_restarts=3, rank_heartbeat_timeout=30.0)
    executor = make_executor(nodes=2, gpus_per_node=4, launcher=launcher, retries=2)
    spec = _spec(executor, Script(path="train.py", entrypoint="python"), "ft")
    check_golden("ft", backend_of(executor).dryrun(spec).materialize())


def test_container(
    backend_of: Callable[[SlurmExecutor], SlurmBackend], make_executor: Callable[..., SlurmExecutor]
) -> None:
    executor = make_executor(
        container_image="nvcr.io/nvidia/pytorch:24.01-py3",
        container_mounts=["/data:/data:ro"],
        container_env=["HF_TOKEN"],
        packager=GitArchivePackager(),
        srun_args=["--mpi=pmix"],
    )
    spec = _spec(executor, Script(inline="nvidia-smi"), "gpu")
    check_golden("container", backend_of(executor).dryrun(spec).materialize())


def test_slurm_template(
    backend_of: Callable[[SlurmExecutor], SlurmBackend], make_executor: Callable[..., SlurmExecutor]
) -> None:
    template = SlurmTemplate(
        template_inline="#!/bin/bash\necho before {{ tag }}\n{{ command }}\n",
        template_vars={"tag": "v1"},
    )
    executor = make_executor(launcher=template)
    spec = _spec(executor, Script(path="run.sh", args=["a b"]), "templated")
    check_golden("slurm_template", backend_of(executor).dryrun(spec).materialize())


def test_array(
    backend_of: Callable[[SlurmExecutor], SlurmBackend], make_executor: Callable[..., SlurmExecutor]
) -> None:
    executor = make_executor(array_parallelism=2)
    specs = [
        executor.to_job_spec(
            Script(inline=f"echo {i}", env={"I": str(i)}), name="sweep", job_id=f"sweep-{i}"
        )
        for i in range(3)
    ]
    requests = backend_of(executor).dryrun_array(specs, name="sweep", max_array_size=1001)
    assert len(requests) == 1
    manifest = next(f for f in requests[0].files if f.path.endswith("manifest.sh"))
    check_golden("array", requests[0].materialize())
    check_golden("array_manifest", manifest.content)


@pytest.mark.parametrize(("size", "chunks"), [(1001, 1), (1002, 2), (2500, 3)])
def test_array_chunks(
    backend_of: Callable[[SlurmExecutor], SlurmBackend],
    make_executor: Callable[..., SlurmExecutor],
    size: int,
    chunks: int,
) -> None:
    executor = make_executor()
    specs = [
        executor.to_job_spec(Script(inline="true"), name="t", job_id=f"t-{i}") for i in range(size)
    ]
    requests = backend_of(executor).dryrun_array(specs, name="t", max_array_size=1001)
    assert len(requests) == chunks
    assert sum(r.array_size or 0 for r in requests) == size
    assert all((r.array_size or 0) <= 1001 for r in requests)
