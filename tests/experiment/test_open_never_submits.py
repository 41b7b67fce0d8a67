"""Opening a reconstructed experiment never submits anything (issue 14, item 3).

A launcher is killed while job ``b`` waits for its parent ``a``; ``a`` then ends. Opening the
experiment in a fresh interpreter (``with Experiment.from_id(id) as exp: exp.status()``) and a
``run()`` refused with "already launched; use reset()" must leave ``b`` unsubmitted, with no
supervisor started; only an explicit ``resume()`` launches it.
"""

import signal
import subprocess
import sys
import time
from pathlib import Path

from nr_exec import JobState
from nr_experiment import Experiment

LAUNCH = """
import sys
import nemo_run as run

gate, runs = sys.argv[1], sys.argv[2]
with run.Experiment("gated", clean_mode=True) as exp:
    a = exp.add(
        run.Script(inline=f"while [ ! -e {gate} ]; do sleep 0.05; done; echo a >> {runs}"),
        name="a",
    )
    exp.add(run.Script(inline=f"echo b >> {runs}"), name="b", dependencies=[a])
    print(exp.id, flush=True)
    exp.run()  # attached: this launcher would submit b once a ends; it is killed first
"""

OPEN = """
import sys
import nemo_run as run

with run.Experiment.from_id(sys.argv[1]) as exp:
    exp.status()
"""

REFUSED = """
import sys
import nemo_run as run

with run.Experiment.from_id(sys.argv[1]) as exp:
    try:
        exp.run()
    except RuntimeError as error:  # ExperimentStateError
        print(error)
"""

RESUME = """
import sys
import nemo_run as run

run.Experiment.from_id(sys.argv[1]).resume()
"""


def _python(code: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _state(eid: str, name: str) -> JobState:
    rows = Experiment.from_id(eid).status(return_dict=True) or {}
    return JobState(next(row["status"] for row in rows.values() if row["name"] == name))


def _until(what: str, check: "object") -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _killed_launch(home: Path, tmp_path: Path) -> tuple[str, Path, Path]:
    """Launch ``a`` and ``b`` (after ``a``) attached, and SIGKILL the launcher once ``a`` runs."""
    gate, runs = tmp_path / "gate", tmp_path / "runs.txt"
    with subprocess.Popen(
        [sys.executable, "-c", LAUNCH, str(gate), str(runs)], stdout=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stdout is not None
        eid = proc.stdout.readline().split()[0]
        _until("job a to start", lambda: _state(eid, "a") is JobState.RUNNING)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    gate.touch()
    _until("job a to succeed", lambda: _state(eid, "a") is JobState.SUCCEEDED)
    return eid, runs, home / "experiments"


def test_opening_and_a_refused_run_submit_nothing_until_resume(home: Path, tmp_path: Path) -> None:
    eid, runs, _ = _killed_launch(home, tmp_path)
    _python(OPEN, eid)
    said = _python(REFUSED, eid)
    assert "already launched; use reset()" in said
    exp = Experiment.from_id(eid)
    assert not (exp.path / "supervisor.log").exists()  # no supervisor was started
    assert _state(eid, "b") is JobState.UNSUBMITTED
    assert runs.read_text().split() == ["a"]
    _python(RESUME, eid)  # the explicit call launches b (and waits for it)
    assert _state(eid, "b") is JobState.SUCCEEDED
    assert runs.read_text().split() == ["a", "b"]
