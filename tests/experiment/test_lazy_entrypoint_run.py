"""``run.run(lazy)`` and ``exp.add(lazy)`` take a ``run.LazyEntrypoint`` (issue 15, item 2).

The entrypoint is recorded without importing its module, and resolved into its task when it is
given to ``run.run`` or ``Experiment.add``, before anything launches. The user's script runs in
a fresh interpreter; the jobs run on the local executor.
"""

import subprocess
import sys
from pathlib import Path

TASKS = """
from pathlib import Path

import nemo_run as run


@run.cli.entrypoint
def train(epochs: int = 1, lr: float = 0.1, out: str = "") -> None:
    Path(out).write_text(f"epochs={epochs} lr={lr}")


@run.cli.factory(target=train)
def quick() -> run.Partial[train]:
    return run.Partial(train, epochs=2, lr=0.5)
"""

USER = """
import sys

import nemo_run as run

lazy = run.LazyEntrypoint("tasks:train", factory="quick")
lazy.epochs = 3
lazy.lr *= 2
lazy.out = "run.txt"
print("imported before resolving:", "tasks" in sys.modules)
result = run.run(lazy, executor=run.LocalExecutor())
print("run exit code:", result.exit_code)

with run.Experiment("lazy") as exp:
    exp.add(run.LazyEntrypoint("tasks:train epochs=5 out=add.txt"), executor=run.LocalExecutor())
    exp.add([run.LazyEntrypoint("tasks:train out=group.txt")], name="group")
    exp.run(sequential=True)
print("jobs:", [job.id for job in exp.jobs])
"""


def test_run_and_add_resolve_a_lazy_entrypoint_before_launching(tmp_path: Path, home: Path) -> None:
    (tmp_path / "tasks.py").write_text(TASKS)
    done = subprocess.run(
        [sys.executable, "-c", USER], capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert "imported before resolving: False" in done.stdout
    assert "run exit code: 0" in done.stdout
    assert "jobs: ['tasks.train', 'group']" in done.stdout
    assert (tmp_path / "run.txt").read_text() == "epochs=3 lr=1.0"
    assert (tmp_path / "add.txt").read_text() == "epochs=5 lr=0.1"
    assert (tmp_path / "group.txt").read_text() == "epochs=1 lr=0.1"
