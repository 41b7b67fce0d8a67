"""Issue 15, item 7 and ``run.dryrun_fn``: ``run.run`` as NeMo-Run's users call it.

``tail_logs`` is on by default; ``dryrun=True`` prints the resolved task as a table; a
function that is not wrapped in a configuration is a ``TypeError``; a failed job still raises
``JobFailedError`` unless ``raise_on_failure=False``. ``run.dryrun_fn`` prints the same table.
"""

import subprocess
import sys
from pathlib import Path

TASKS = """
import dataclasses


@dataclasses.dataclass
class Model:
    hidden: int = 8

    def __post_init__(self) -> None:
        if self.hidden < 1:
            raise ValueError("hidden must be positive")


def train(model: Model, lr: float = 0.1) -> None:
    print(f"trained {model.hidden} at {lr}")
"""

RUN = """
import nemo_run as run
import nr_experiment
from tasks import Model, train

task = run.Partial(train, model=run.Config(Model, hidden=1024), lr=0.5)
run.run(run.Script(inline="echo tailed-line"), executor=run.LocalExecutor(), name="tail")
print("---dryrun")
dry = run.run(task, executor=run.LocalExecutor(), dryrun=True)
print("---result", dry.dryrun, dry.jobs[0].state.value)
for wrong in (train, run.Config(Model)):
    try:
        run.run(wrong)
    except TypeError as error:
        print("TypeError", type(wrong).__name__)
try:
    run.run(run.Script(inline="exit 3"), executor=run.LocalExecutor(), name="bad")
except nr_experiment.JobFailedError as error:
    print("raised", error.result.exit_code)
quiet = run.run(
    run.Script(inline="exit 3"), executor=run.LocalExecutor(), name="bad",
    raise_on_failure=False,
)
print("returned", quiet.exit_code)
"""

DRYRUN_FN = """
import nemo_run as run
from tasks import Model, train

run.dryrun_fn(run.Partial(train, model=run.Config(Model, hidden=1024)), build=True)
run.dryrun_fn(run.Partial(train, model=run.Config(Model), lr=0.5), executor=run.LocalExecutor())
run.dryrun_fn(run.Config(Model, hidden=-1))  # not built: no error
try:
    run.dryrun_fn(run.Config(Model, hidden=-1), build=True)
except Exception as error:
    print("refused", type(error).__name__)
"""


def _python(code: str, cwd: Path) -> str:
    (cwd / "tasks.py").write_text(TASKS)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=cwd
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _table(text: str) -> dict[str, str]:
    """``{path: value}`` of the indented ``path  value`` rows of a dry-run table."""
    rows = (line.split(None, 1) for line in text.splitlines() if line.startswith("  "))
    return {cells[0]: cells[1] for cells in rows if len(cells) == 2}


def test_run_tails_logs_shows_a_dryrun_table_and_refuses_bare_functions(
    home: Path, tmp_path: Path
) -> None:
    out = _python(RUN, tmp_path)
    tailed, rest = out.split("---dryrun\n")
    assert "[tail] tailed-line" in tailed.splitlines()
    dryrun, result = rest.split("---result ")
    assert dryrun.splitlines()[0] == "Dry run for tasks.train:"
    table = _table(dryrun)
    assert table["_target_"] == "'tasks:train'"
    assert table["model.hidden"] == "1024"
    assert table["lr"] == "0.5"
    assert table["executor._target_"].endswith(":LocalExecutor'")
    assert result.splitlines() == [
        "True UNSUBMITTED",
        "TypeError function",
        "TypeError Config",
        "raised 3",
        "returned 3",
    ]


def test_dryrun_fn_prints_the_task_and_builds_it_on_request(home: Path, tmp_path: Path) -> None:
    out = _python(DRYRUN_FN, tmp_path)
    first, second = out.split("Dry run for tasks.Model:\n")[0].split("Dry run for tasks.train:\n")[
        1:
    ]
    assert _table(first)["model.hidden"] == "1024"
    assert _table(first)["executor"] == "this process"
    assert _table(second)["lr"] == "0.5"
    assert "executor._target_" in _table(second)
    assert out.count("Dry run for tasks.Model:") == 2
    assert out.splitlines()[-1] == "refused ValueError"  # the target's own error
    assert "trained" not in out  # nothing ran
