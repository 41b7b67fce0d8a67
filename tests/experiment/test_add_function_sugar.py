"""``exp.add(fn, model_size=512, executor=..., name=...)`` is ``Partial(fn, ...)`` (issue 14, 2)."""

import subprocess
import sys
from pathlib import Path

SCRIPT = """
import nemo_run as run


def train(model_size: int = 1) -> None:
    print("model_size", model_size)


if __name__ == "__main__":
    with run.Experiment("sugar", clean_mode=True) as exp:
        exp.add(train, model_size=512, executor=run.LocalExecutor(), name="train")
        exp.run()
    exp.logs("train")
    print(exp.status(return_dict=True)[exp.jobs[0].id]["status"])
"""


def test_add_builds_the_partial_from_a_function_and_its_arguments(
    home: Path, tmp_path: Path
) -> None:
    script = tmp_path / "sugar.py"
    script.write_text(SCRIPT)
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert "model_size 512" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "SUCCEEDED"
