"""The Executor base: validation at construction, clone, to_config, launchers by name."""

import nr_config
import pytest
from nr_exec import (
    Executor,
    ExecutorConfigError,
    FaultTolerance,
    Launcher,
    LauncherError,
    LocalExecutor,
    Torchrun,
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
        LauncherError, match=r"\['default', 'ft', 'slurm_template', 'torchrun'\]"
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
    with pytest.raises(NotImplementedError, match="Executor has no backend"):
        Executor().backend()


def test_launcher_fields_are_validated() -> None:
    with pytest.raises(ExecutorConfigError, match=r"Torchrun\.rdzv_port"):
        Torchrun(rdzv_port=70000)
    with pytest.raises(ExecutorConfigError, match=r"Torchrun\.rdzv_id"):
        Torchrun(rdzv_id="x")  # type: ignore[arg-type]
