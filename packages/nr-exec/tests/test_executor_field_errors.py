"""Issue 14 item 11: a typo'd executor field gets a did-you-mean; an unknown attribute is refused.

Assignments that mean something keep working: fields, ``dataclasses.replace``, nr-config
build and clone, and a subclass's private attributes.
"""

import copy
import dataclasses
import pickle
import subprocess
import sys
from dataclasses import dataclass, field

import nr_config
import pytest
from nr_exec import LocalExecutor, SlurmExecutor
from nr_exec.errors import ExecutorConfigError, UnknownAttributeError, UnknownFieldError


def test_typo_in_a_field_from_the_user_script() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import nemo_run as run\nrun.LocalExecutor(ntasks_per_nod=2)"],
        capture_output=True,
        text=True,
        check=False,
    )
    last = result.stderr.strip().splitlines()[-1]
    assert last == (
        "nr_exec.errors.UnknownFieldError: LocalExecutor has no field 'ntasks_per_nod'; "
        "did you mean 'ntasks_per_node'?"
    )


def test_unknown_field_error_is_a_type_error_and_an_executor_config_error() -> None:
    with pytest.raises(UnknownFieldError) as caught:
        SlurmExecutor(acount="x")
    assert isinstance(caught.value, TypeError)
    assert isinstance(caught.value, ExecutorConfigError)
    assert caught.value.suggestions[0] == "account"
    assert caught.value.field == "SlurmExecutor.acount"


def test_no_close_field_lists_the_fields() -> None:
    with pytest.raises(UnknownFieldError, match="its fields are packager, launcher"):
        LocalExecutor(zzz=1)


def test_assigning_an_unknown_attribute_is_an_error() -> None:
    executor = LocalExecutor()
    with pytest.raises(UnknownAttributeError, match="did you mean 'ntasks_per_node'"):
        executor.ntasks_per_nod = 2  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        executor.gpus = 8  # type: ignore[attr-defined]
    executor.ntasks_per_node = 2
    executor.env_vars["A"] = "1"
    assert (executor.ntasks_per_node, executor.env_vars) == (2, {"A": "1"})


def test_replace_build_clone_copy_and_pickle_keep_working() -> None:
    executor = LocalExecutor(ntasks_per_node=2, env_vars={"A": "1"})
    assert dataclasses.replace(executor, nodes=3).nodes == 3
    with pytest.raises(UnknownFieldError, match="did you mean 'nodes'"):
        dataclasses.replace(executor, node=3)
    assert executor.clone() == executor
    assert nr_config.build(executor.to_config()) == executor
    assert copy.deepcopy(executor) == executor
    assert pickle.loads(pickle.dumps(executor)) == executor  # noqa: S301 - our own bytes
    with pytest.raises(nr_config.UnknownArgumentError, match="did you mean 'ntasks_per_node'"):
        nr_config.Config(LocalExecutor, ntasks_per_nod=2)


@dataclass(kw_only=True)
class CachingExecutor(LocalExecutor):
    """A user's subclass: a new field and private state set after construction."""

    label: str = "x"
    tags: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__post_init__()
        self._cache = {"label": self.label}


class HandWrittenInit(LocalExecutor):
    """A subclass with its own __init__: its keywords are its own business."""

    def __init__(self, size: int, **fields: object) -> None:
        super().__init__(ntasks_per_node=size, **fields)  # type: ignore[arg-type]


def test_subclasses() -> None:
    executor = CachingExecutor(label="y", ntasks_per_node=2)
    assert executor._cache == {"label": "y"}
    with pytest.raises(UnknownFieldError, match="did you mean 'label'"):
        CachingExecutor(lable="y")
    with pytest.raises(UnknownAttributeError):
        executor.labels = "z"  # type: ignore[attr-defined]
    assert HandWrittenInit(3).ntasks_per_node == 3
