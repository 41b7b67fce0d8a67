"""Error polish of issue 14, item 11: ``from_id`` with a title; ``run.run`` of a lambda."""

import subprocess
import sys
from pathlib import Path

FROM_ID = """
import nemo_run as run

with run.Experiment("a-title", clean_mode=True) as exp:
    exp.add(run.Script(inline="true"), name="x")
    exp.run()
for query in ("a-title", "a-titel"):
    try:
        run.Experiment.from_id(query)
    except LookupError as error:
        print(type(error).__name__, error)
print(exp.id)
"""

LAMBDA = """
import nemo_run as run

seen = []
result = run.run(run.Partial(lambda x: seen.append(x), x=21))
print(result.ok, seen)
try:
    run.run(run.Partial(lambda: 1 / 0))
except Exception as error:
    print(type(error).__name__, type(error.__cause__).__name__)
"""


def _python(code: str, cwd: Path) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=cwd
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()


def test_from_id_with_a_title_points_to_from_title(home: Path, tmp_path: Path) -> None:
    title, typo, eid = _python(FROM_ID, tmp_path)
    assert title == (
        "NotAnIdError 'a-title' is an experiment title, not an id (ids are <title>_<19 digits>);"
        f" use Experiment.from_title('a-title') for its newest experiment, {eid!r}"
    )
    assert typo.startswith("NotAnIdError 'a-titel' is not an experiment id")
    assert typo.endswith("did you mean 'a-title'?")


def test_run_without_an_executor_calls_a_lambda_here(home: Path, tmp_path: Path) -> None:
    assert _python(LAMBDA, tmp_path) == ["True [21]", "JobFailedError ZeroDivisionError"]
