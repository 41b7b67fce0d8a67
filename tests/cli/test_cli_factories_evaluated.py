"""CLI factories are evaluated while parsing, as NeMo-Run does (issue 15, item 1).

Each test runs the user's script in a fresh interpreter, the way a NeMo-Run user launches it.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

TRAIN = """
import sys
from dataclasses import dataclass
from pathlib import Path

import nemo_run as run


@dataclass
class Model:
    hidden_size: int = 256
    activation: str = "gelu"
    layers: int = 2


@run.cli.factory
@run.autoconvert
def my_model(hidden_size: int = 512) -> Model:
    return Model(hidden_size=hidden_size, activation="silu")


@run.cli.factory
@run.autoconvert
def local_exec() -> run.LocalExecutor:
    return run.LocalExecutor(ntasks_per_node=1)


def plain_model(layers: int = 4) -> Model:
    return Model(layers=layers)


def unannotated_model():
    return run.Config(Model, hidden_size=64)


def base_train():
    return run.Partial(train, epochs=7)


@run.cli.entrypoint(default_factory=base_train)
def train(model: Model, epochs: int = 1, out: str = "") -> None:
    text = f"{type(model).__name__} {model} epochs={epochs}"
    if out:
        Path(out).write_text(text)
    print(text)


@run.cli.factory(target=train)
def quick():
    return run.Partial(train, epochs=2)


if __name__ == "__main__":
    if sys.argv[1:] == ["resolve"]:
        print("default:", run.cli.resolve_factory(train, "default") is base_train)
        print("quick:", run.cli.resolve_factory(train, "quick") is quick)
        try:
            run.cli.factory(target_arg="model")(plain_model)
        except TypeError as error:
            print("refused:", error)
    else:
        run.cli.main(train)
"""


def launch(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "train.py"
    script.write_text(TRAIN)
    return subprocess.run(
        [sys.executable, str(script), *args],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
        env={**os.environ, "NEMORUN_HOME": str(tmp_path / "home")},
    )  # fmt: skip


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (["model=my_model(hidden_size=1024)", "model.activation=relu"],
         "Model Model(hidden_size=1024, activation='relu', layers=2)"),
        (["model=my_model"], "Model Model(hidden_size=512, activation='silu', layers=2)"),
        (["model=my_model", "model.layers=8"],
         "Model Model(hidden_size=512, activation='silu', layers=8)"),
    ],
)  # fmt: skip
def test_an_autoconverted_factory_gives_the_task_a_built_model_whose_fields_can_be_set(
    args: list[str], shown: str, tmp_path: Path
) -> None:
    done = launch(tmp_path, *args, "--yes")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == f"{shown} epochs=7"


def test_to_yaml_exports_the_model_class_as_the_target(tmp_path: Path) -> None:
    done = launch(tmp_path, "model=my_model(hidden_size=1024)", "--to-json", "task.json")
    assert done.returncode == 0, done.stderr
    model = json.loads((tmp_path / "task.json").read_text())["model"]
    assert model["_target_"].rsplit(":", 1)[-1].rsplit(".", 1)[-1] == "Model"
    assert model["hidden_size"] == 1024


def test_run_executor_takes_an_autoconverted_executor_factory(tmp_path: Path) -> None:
    out = tmp_path / "result.txt"
    done = launch(tmp_path, "model=my_model", f"out={out}", "run.executor=local_exec", "--yes")
    assert done.returncode == 0, done.stderr
    assert out.read_text() == "Model Model(hidden_size=512, activation='silu', layers=2) epochs=7"


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (["model=plain_model", "model.layers=3"], "Model(hidden_size=256, activation='gelu', layers=3)"),
        (["model=unannotated_model", "model.layers=5"], "Model(hidden_size=64, activation='gelu', layers=5)"),
    ],
)  # fmt: skip
def test_a_plain_function_of_the_launching_script_is_a_factory_value(
    args: list[str], shown: str, tmp_path: Path
) -> None:
    done = launch(tmp_path, *args, "--yes")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == f"Model {shown} epochs=7"


def test_default_factory_and_target_factories_are_found_and_target_arg_needs_a_target(
    tmp_path: Path,
) -> None:
    done = launch(tmp_path, "resolve")
    assert done.returncode == 0, done.stderr
    assert "default: True" in done.stdout
    assert "quick: True" in done.stdout
    assert "refused:" in done.stdout
    assert "target_arg='model' needs target=" in done.stdout
    started = launch(tmp_path, "--factory", "quick", "model=my_model", "--yes")
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip().endswith("epochs=2")


def test_an_unknown_factory_still_exits_2_with_a_suggestion(tmp_path: Path) -> None:
    done = launch(tmp_path, "model=my_modle", "--yes")
    assert done.returncode == 2
    assert "did you mean 'my_model'" in done.stderr
