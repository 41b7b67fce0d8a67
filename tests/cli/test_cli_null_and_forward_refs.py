"""``a=null`` and ``model: "Model"`` on the command line, as NeMo-Run reads them (issue 15, item 8).

Each test runs the user's script in a fresh interpreter, the way a NeMo-Run user launches it.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

MODELS = """
from dataclasses import dataclass


@dataclass
class Model:
    hidden_size: int = 256


@dataclass
class BigModel(Model):
    hidden_size: int = 4096
"""

TRAIN = """
from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Optional

import nemo_run as run

from models import BigModel, Model as _Model

if TYPE_CHECKING:
    from models import Model


@run.cli.factory
@run.autoconvert
def small_model(hidden_size: int = 128) -> _Model:
    return _Model(hidden_size=hidden_size)


@run.cli.factory
@run.autoconvert
def big_model() -> BigModel:
    return BigModel()


@run.cli.entrypoint
def train(
    model: "Model" = None,
    anything: Any = 1,
    unannotated=2,
    optional: Optional[int] = 3,
    text: str = "x",
) -> None:
    print(f"model={model!r} anything={anything!r} unannotated={unannotated!r} "
          f"optional={optional!r} text={text!r}")


if __name__ == "__main__":
    run.cli.main(train)
"""


def launch(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "models.py").write_text(MODELS)
    script = tmp_path / "train.py"
    script.write_text(TRAIN)
    return subprocess.run(
        [sys.executable, str(script), *args, "--yes"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
        env={**os.environ, "NEMORUN_HOME": str(tmp_path / "home"), "PYTHONPATH": str(tmp_path)},
    )  # fmt: skip


def shown(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize("word", ["null", "none", "None", "NULL"])
def test_null_is_none_for_any_unannotated_and_optional_parameters(
    word: str, tmp_path: Path
) -> None:
    done = launch(tmp_path, f"anything={word}", f"unannotated={word}", f"optional={word}")
    assert " anything=None unannotated=None optional=None " in shown(done)


def test_null_stays_text_for_a_str_parameter_and_quoted_null_stays_text_for_any(
    tmp_path: Path,
) -> None:
    done = launch(tmp_path, "text=null", "anything='null'")
    line = shown(done)
    assert "text='null'" in line
    assert "anything='null'" in line


@pytest.mark.parametrize(
    ("value", "model"),
    [
        ("small_model", "Model(hidden_size=128)"),
        ("small_model(hidden_size=64)", "Model(hidden_size=64)"),
        ("big_model", "BigModel(hidden_size=4096)"),
    ],
)
def test_a_forward_ref_annotation_takes_factories_building_that_class(
    value: str, model: str, tmp_path: Path
) -> None:
    done = launch(tmp_path, f"model={value}")
    assert shown(done).startswith(f"model={model} ")


def test_a_forward_ref_field_of_a_factory_result_can_be_set(tmp_path: Path) -> None:
    done = launch(tmp_path, "model=small_model", "model.hidden_size=32")
    assert shown(done).startswith("model=Model(hidden_size=32) ")


def test_a_misspelt_factory_for_a_forward_ref_is_refused_with_a_suggestion(
    tmp_path: Path,
) -> None:
    done = launch(tmp_path, "model=smal_model")
    assert done.returncode == 2
    assert "did you mean 'small_model'" in done.stderr


def test_a_forward_ref_takes_a_file_naming_a_factory(tmp_path: Path) -> None:
    (tmp_path / "model.yaml").write_text("_factory_: small_model\nhidden_size: 16\n")
    done = launch(tmp_path, "model=@model.yaml")
    assert shown(done).startswith("model=Model(hidden_size=16) ")
