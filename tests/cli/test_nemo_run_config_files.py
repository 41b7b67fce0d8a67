"""Config files NeMo-Run wrote (dotted ``_target_``) work on the command line (issue 15, item 5).

``--yaml``, ``--factory @file`` and ``model=@file`` read files through ``nr_config.load``, so the
dotted ``_target_: package.module.Name`` form is accepted wherever files are read.
"""

import subprocess
import sys
from pathlib import Path

import pytest

MODELS = """
import dataclasses


@dataclasses.dataclass
class Model:
    hidden: int = 8
    layers: int = 1
"""

TRAIN = """
import nemo_run as run
from models import Model


@run.cli.entrypoint
def train(model: Model, lr: float = 0.1) -> None:
    print(f"model={model} lr={lr}")


if __name__ == "__main__":
    run.cli.main(train)
"""

FILES = {
    "model.yaml": "_target_: models.Model\nhidden: 32\n",
    "task.yaml": (
        "_target_: __main__.train\n_partial_: true\nlr: 0.5\n"
        "model:\n  _target_: models.Model\n  hidden: 64\n"
    ),
    "args.toml": 'lr = 0.25\n\n[model]\n_target_ = "models.Model"\nlayers = 3\n',
}


@pytest.mark.parametrize(
    ("arguments", "shown"),
    [
        (["model=@model.yaml"], "model=Model(hidden=32, layers=1) lr=0.1"),
        (["--factory", "@task.yaml"], "model=Model(hidden=64, layers=1) lr=0.5"),
        (["--yaml", "task.yaml"], "model=Model(hidden=64, layers=1) lr=0.5"),
        (["--yaml", "args.toml", "lr=1.0"], "model=Model(hidden=8, layers=3) lr=1.0"),
    ],
)
def test_nemo_run_exported_files_with_dotted_targets_configure_the_task(
    arguments: list[str], shown: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEMORUN_HOME", str(tmp_path / "home"))
    (tmp_path / "models.py").write_text(MODELS)
    (tmp_path / "train.py").write_text(TRAIN)
    for name, text in FILES.items():
        (tmp_path / name).write_text(text)
    done = subprocess.run(
        [sys.executable, "train.py", *arguments, "--yes"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == shown
