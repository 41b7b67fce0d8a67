"""``--dotted-targets``: exports in NeMo-Run's and Hydra's ``_target_`` form (issue 15, item 5).

Exports keep the unambiguous ``module:Name`` by default; the switch writes ``module.Name``, and
such a file is read back by ``--yaml``. The user's script runs in a fresh interpreter.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

MODELS = """
from dataclasses import dataclass


@dataclass
class Model:
    hidden_size: int = 256
"""

TRAIN = """
import nemo_run as run

from models import Model


@run.cli.entrypoint
def train(model: Model, epochs: int = 1) -> None:
    print(f"{model} epochs={epochs}")


if __name__ == "__main__":
    run.cli.main(train)
"""


def launch(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "models.py").write_text(MODELS)
    (tmp_path / "train.py").write_text(TRAIN)
    return subprocess.run(
        [sys.executable, "train.py", *args],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
        env={**os.environ, "NEMORUN_HOME": str(tmp_path / "home"), "PYTHONPATH": str(tmp_path)},
    )  # fmt: skip


def read(path: Path) -> dict[str, object]:
    text = path.read_text()
    data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize(
    ("switch", "target"), [((), "models:Model"), (("--dotted-targets",), "models.Model")]
)
@pytest.mark.parametrize("option", ["--to-yaml", "--to-json"])
def test_exports_write_module_colon_name_unless_dotted_targets_is_given(
    switch: tuple[str, ...], target: str, option: str, tmp_path: Path
) -> None:
    path = tmp_path / ("task.json" if option == "--to-json" else "task.yaml")
    done = launch(tmp_path, "model=Model(hidden_size=8)", option, str(path), *switch)
    assert done.returncode == 0, done.stderr
    model = read(path)["model"]
    assert isinstance(model, dict)
    assert model["_target_"] == target


def test_a_dotted_export_runs_again_with_yaml(tmp_path: Path) -> None:
    path = tmp_path / "task.yaml"
    exported = launch(
        tmp_path, "model=Model(hidden_size=8)", "epochs=3", "--to-yaml", str(path),
        "--dotted-targets",
    )  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    done = launch(tmp_path, "--yaml", str(path), "--yes")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "Model(hidden_size=8) epochs=3"
