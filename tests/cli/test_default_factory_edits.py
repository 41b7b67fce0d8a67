"""In-place CLI edits of ``default_factory`` fields and of configured defaults (issue 14, 11)."""

import subprocess
import sys
from pathlib import Path

import pytest

TRAIN = """
from dataclasses import dataclass, field

import nemo_run as run


@dataclass
class Optim:
    lr: float = 1e-3
    betas: list[float] = field(default_factory=lambda: [0.9, 0.99])


@dataclass
class Training:
    batch_size: int = 32
    optim: Optim = field(default_factory=Optim)


DEFAULT = run.Config(Training)


@run.cli.entrypoint
def train(training: Training = DEFAULT) -> None:
    print(training)
    print("default unchanged:", DEFAULT == run.Config(Training))


if __name__ == "__main__":
    run.cli.main(train)
"""


@pytest.mark.parametrize(
    ("argument", "shown"),
    [
        ("training.optim.betas[0]=0.5", "Training(batch_size=32, optim=Optim(lr=0.001, betas=[0.5, 0.99]))"),
        ("training.optim.lr*=2", "Training(batch_size=32, optim=Optim(lr=0.002, betas=[0.9, 0.99]))"),
        ("training.optim.betas+=[1.0]", "Training(batch_size=32, optim=Optim(lr=0.001, betas=[0.9, 0.99, 1.0]))"),
        ("training.batch_size+=16", "Training(batch_size=48, optim=Optim(lr=0.001, betas=[0.9, 0.99]))"),
    ],
)  # fmt: skip
def test_an_in_place_edit_of_a_default_factory_field_works(
    argument: str, shown: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEMORUN_HOME", str(tmp_path / "home"))
    script = tmp_path / "train.py"
    script.write_text(TRAIN)
    done = subprocess.run(
        [sys.executable, str(script), argument, "--yes"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-2:] == [shown, "default unchanged: True"]
