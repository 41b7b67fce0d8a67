"""The Executor base and LocalExecutor: validation at construction, clone, to_config, launchers
by name, and what an executor describes (backend scheme, capabilities, placement, settings)."""

import sys
from pathlib import Path

import nr_config
import pytest
from nr_exec import (
    Executor,
    ExecutorConfigError,
    FaultTolerance,
    LaunchContext,
    Launcher,
    LauncherError,
    LocalBackend,
    LocalExecutor,
    NoSettings,
    Torchrun,
    UnknownBackendError,
    backend_for,
)
from nr_package import GitArchivePackager


@pytest.mark.parametrize(
    ("kwargs", "field", "expected"),
    [
        ({"retries": -1}, "LocalExecutor.retries", "an int >= 0"),
        ({"retries": True}, "LocalExecutor.retries", "int"),
        ({"retries": "2"}, "LocalExecutor.retries", "int"),
        ({"env_vars": {"A": 1}}, "LocalExecutor.env_vars", "dict[str, str]"),
        ({"ntasks_per_node": 0}, "LocalExecutor.ntasks_per_node", "an int >= 1"),
        ({"nodes": 1.5}, "LocalExecutor.nodes", "int"),
        ({"packager": "git"}, "LocalExecutor.packager", "Packager"),
        ({"launcher": 3}, "LocalExecutor.launcher", "Launcher | str | None"),
    ],
)
def test_wrong_field_raises_naming_field(
    kwargs: dict[str, object], field: str, expected: str
) -> None:
    with pytest.raises(ExecutorConfigError) as info:
        LocalExecutor(**kwargs)  # type: ignore[arg-type]
    assert info.value.field == field
    assert expected in str(info.value)
    assert repr(next(iter(kwargs.values()))) in str(info.value)


def test_unknown_launcher_name_lists_valid_names() -> None:
    with pytest.raises(
        LauncherError, match=r"\['default', 'ft', 'slurm_ray', 'slurm_template', 'torchrun'\]"
    ) as info:
        LocalExecutor(launcher="torchrunn")
    assert info.value.field == "LocalExecutor.launcher"
    assert "'torchrunn'" in str(info.value)


def test_get_launcher_resolves_names_and_objects() -> None:
    assert type(LocalExecutor().get_launcher()) is Launcher
    assert isinstance(LocalExecutor(launcher="torchrun").get_launcher(), Torchrun)
    assert isinstance(LocalExecutor(launcher="ft").get_launcher(), FaultTolerance)
    mine = Torchrun(rdzv_id=7)
    assert LocalExecutor(launcher=mine).get_launcher() is mine


def test_clone_is_deep_and_equal() -> None:
    executor = LocalExecutor(
        env_vars={"A": "1"},
        launcher=Torchrun(rdzv_port=1234),
        packager=GitArchivePackager(subpath="src"),
    )
    copy = executor.clone()
    assert copy == executor
    assert copy is not executor
    copy.env_vars["B"] = "2"
    assert isinstance(copy.launcher, Torchrun)
    copy.launcher.rdzv_port = 99
    assert executor.env_vars == {"A": "1"}
    assert isinstance(executor.launcher, Torchrun)
    assert executor.launcher.rdzv_port == 1234


def test_clone_is_a_new_executor_not_an_attached_one() -> None:
    executor = LocalExecutor(env_vars={"A": "1"})
    executor.assign("exp_1", "/tmp/exp", "job", "/tmp/exp/job")
    copy = executor.clone()
    assert executor.experiment_dir == "/tmp/exp"
    assert copy.experiment_dir == ""  # computed fields start over, as in a new executor
    assert copy.experiment_id == executor.experiment_id
    assert copy.env_vars == {"A": "1"}


def test_clone_builds_a_field_assigned_a_configuration() -> None:
    executor = LocalExecutor()
    executor.packager = nr_config.Config(GitArchivePackager, subpath="src")  # type: ignore[assignment]
    copy = executor.clone()
    assert isinstance(copy.packager, GitArchivePackager)
    assert copy.packager.subpath == "src"


def test_clone_refuses_a_field_assigned_a_wrong_value() -> None:
    executor = LocalExecutor()
    executor.retries = "many"  # type: ignore[assignment]
    with pytest.raises(ExecutorConfigError, match=r"LocalExecutor\.retries: expected int"):
        executor.clone()


def test_to_config_serializes() -> None:
    executor = LocalExecutor(ntasks_per_node=2, launcher="torchrun", retries=1)
    config = executor.to_config()
    assert isinstance(config, nr_config.Config)
    restored = nr_config.build(nr_config.loads_json(nr_config.dumps_json(config)))
    assert restored == executor


def test_sizes_and_info() -> None:
    executor = LocalExecutor(ntasks_per_node=3, nodes=2)
    assert (executor.nnodes(), executor.nproc_per_node()) == (2, 3)
    assert executor.info() == "LocalExecutor"
    assert executor.resources().nodes == 2


def test_base_executor_has_no_backend() -> None:
    with pytest.raises(UnknownBackendError, match="no backend is registered for ''"):
        backend_for(Executor())
    with pytest.raises(UnknownBackendError, match=r"registered: .*local"):
        Executor().capabilities()


def test_local_executor_describes_its_backend() -> None:
    executor = LocalExecutor()
    assert executor.backend_scheme == "local"
    assert executor.capabilities() == LocalBackend.capabilities
    assert executor.connection() == {}
    assert executor.settings("/j") == NoSettings()


def test_local_placement_is_here_and_now(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("MASTER_ADDR", "MASTER_PORT", "NODE_RANK", "SLURM_NODEID"):
        monkeypatch.delenv(name, raising=False)
    placement = LocalExecutor(ntasks_per_node=2).placement("j-1", "/store/j")
    assert (placement.job_dir, placement.workdir, placement.python) == (
        "/store/j",
        str(tmp_path),
        sys.executable,
    )
    assert placement.image is None
    assert placement.launch_context == LaunchContext(
        nnodes=1, nproc_per_node=2, job_dir="/store/j", head_node="localhost", node_rank="0"
    )


def test_local_placement_reads_the_rendezvous_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MASTER_ADDR", "node0")
    monkeypatch.setenv("MASTER_PORT", "29400")
    monkeypatch.delenv("NODE_RANK", raising=False)
    monkeypatch.setenv("SLURM_NODEID", "3")
    context = LocalExecutor(nodes=4).placement("j-1", "/j").launch_context
    assert (context.head_node, context.rdzv_port, context.node_rank) == ("node0", 29400, "3")
    monkeypatch.setenv("NODE_RANK", "1")
    assert LocalExecutor(nodes=4).placement("j-1", "/j").launch_context.node_rank == "1"
    monkeypatch.setenv("MASTER_PORT", "http")
    with pytest.raises(
        ExecutorConfigError, match=r"MASTER_PORT.*expected a port number \(1-65535\), got 'http'"
    ):
        LocalExecutor().placement("j-1", "/j")


def test_launcher_fields_are_validated() -> None:
    with pytest.raises(ExecutorConfigError, match=r"Torchrun\.rdzv_port"):
        Torchrun(rdzv_port=70000)
    with pytest.raises(ExecutorConfigError, match=r"Torchrun\.rdzv_id"):
        Torchrun(rdzv_id="x")  # type: ignore[arg-type]
