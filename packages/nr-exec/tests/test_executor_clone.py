"""``Executor.clone`` of data-only executors (issue 16): a deep copy made field by field, checked
again whenever the executor changed, and ``nr_exec.snapshot`` that it is made with."""

import copy
import math
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import pytest
from nr_exec import ExecutorConfigError, LocalExecutor, SlurmExecutor, Torchrun
from nr_exec.snapshot import fingerprint, plain_copy
from nr_package import GitArchivePackager
from nr_tunnel import SSHTunnel


def slurm() -> SlurmExecutor:
    return SlurmExecutor(
        tunnel=SSHTunnel(host="login", user="me", job_dir="/remote/jobs", port=2222),
        partition="debug",
        env_vars={"PATH": "/bin", "HOME": "/home/me"},
        container_mounts=["/data:/data"],
        additional_parameters={"gpus_per_task": 1},
        srun_args=["--mpi=pmix"],
        launcher=Torchrun(rdzv_port=1234),
        packager=GitArchivePackager(subpath="src"),
    )


def test_clone_equals_a_deep_copy_and_shares_nothing_mutable() -> None:
    executor = slurm()
    assert plain_copy(executor) is not None  # the usual executor is data-only
    clone = executor.clone()
    assert clone == copy.deepcopy(executor) == executor
    clone.env_vars["HOME"] = "/changed"
    clone.container_mounts.append("/b:/b")
    clone.additional_parameters["gpus_per_task"] = 2
    clone.srun_args.clear()
    assert isinstance(clone.tunnel, SSHTunnel)
    clone.tunnel.host = "elsewhere"
    assert isinstance(clone.launcher, Torchrun)
    clone.launcher.rdzv_port = 1
    assert executor == slurm()  # the original saw none of it


def test_clone_keeps_an_object_shared_by_two_fields_shared() -> None:
    executor = slurm()
    executor.srun_args = executor.container_mounts = ["/a:/a"]
    clone = executor.clone()
    assert clone.srun_args is clone.container_mounts
    assert clone.srun_args is not executor.srun_args
    assert clone.srun_args == ["/a:/a"]


def test_clone_checks_a_changed_executor_again() -> None:
    executor = slurm()
    executor.clone()
    executor.nodes = 0
    with pytest.raises(ExecutorConfigError, match=r"SlurmExecutor\.nodes: expected an int >= 1"):
        executor.clone()
    executor.nodes = 2
    assert executor.clone().nodes == 2


def test_a_value_equal_to_one_validated_before_but_of_another_type_is_refused() -> None:
    executor = LocalExecutor(retries=1)
    executor.clone()
    executor.retries = True  # == 1, but no int
    with pytest.raises(ExecutorConfigError, match=r"LocalExecutor\.retries: expected int"):
        executor.clone()


def test_a_nested_change_is_checked_too() -> None:
    executor = slurm()
    executor.clone()
    assert isinstance(executor.tunnel, SSHTunnel)
    executor.tunnel.job_dir = ""
    with pytest.raises(ExecutorConfigError, match=r"tunnel\.job_dir"):
        executor.clone()


@dataclass(kw_only=True)
class CountingExecutor(LocalExecutor):
    """A user's executor with its own validate: it may look at more than the fields."""

    checks: list[int] = field(default_factory=list)

    def validate(self) -> None:
        super().validate()
        self.checks.append(1)


def test_a_user_validate_runs_on_every_clone() -> None:
    executor = CountingExecutor()
    clones = [executor.clone() for _ in range(3)]
    assert [len(c.checks) for c in clones] == [2, 2, 2]  # construction, then the clone's check


class PrivateStateExecutor(LocalExecutor):
    """A user's executor keeping private state of its own."""

    _where: PurePosixPath | None = None


def test_an_executor_that_is_not_data_only_is_still_deep_copied() -> None:
    executor = PrivateStateExecutor(env_vars={"A": "1"})
    executor._where = PurePosixPath("/x")  # not data-only (see nr_exec.snapshot)
    assert plain_copy(executor) is None  # so the general copy is used
    clone = executor.clone()
    assert clone._where == PurePosixPath("/x")
    assert clone.env_vars == {"A": "1"}
    assert clone.env_vars is not executor.env_vars


def test_fingerprints_tell_types_and_signs_apart() -> None:
    assert fingerprint({"a": [1, 2.5, "x"]}) == fingerprint({"a": [1, 2.5, "x"]})
    assert fingerprint([1]) != fingerprint([True])
    assert fingerprint([0.0]) != fingerprint([-0.0])
    assert fingerprint([math.nan]) == fingerprint([math.nan])
    assert fingerprint(["a", "b"]) != fingerprint([("a", "b")])
    assert fingerprint(PurePosixPath("/x")) is None


def test_a_cycle_has_no_fingerprint_and_no_plain_copy() -> None:
    loop: list[object] = []
    loop.append(loop)
    assert fingerprint(loop) is None
    assert plain_copy(loop) is None
