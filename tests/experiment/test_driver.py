"""``resume()`` leaves an experiment to the process that drives it, and only while it does."""

import subprocess
import sys
import time
from pathlib import Path

import pytest
from nr_config import Script
from nr_experiment import Experiment, ExperimentStateError

LINGERING_LAUNCHER = """
import sys
import time

import nemo_run as run

with run.Experiment("lingering", clean_mode=True) as exp:
    exp.add(run.Script(inline="true"), name="only")
    exp.run(detach=True)
print(exp.id, flush=True)
time.sleep(600)  # a notebook, say: alive, but with nothing left to submit
"""


def test_resume_waits_for_a_live_supervisor(home: Path) -> None:
    with Experiment("supervised", clean_mode=True) as exp:
        parent = exp.add(Script(inline="exec sleep 600"), name="parent")
        exp.add(Script(inline="true"), name="child", dependencies=[parent])
        exp.run(detach=True)  # the local backend has no native dependencies: a supervisor
    again = Experiment.from_id(exp.id)
    with pytest.raises(ExperimentStateError, match="still runs"):
        again.resume(detach=True)
    again.cancel()  # the supervisor then records the child cancelled and exits
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            assert Experiment.from_id(exp.id).resume(detach=True) == []
            break
        except ExperimentStateError:
            time.sleep(0.05)
    else:
        pytest.fail("the supervisor never let go of the experiment")
    assert [j.state for j in Experiment.from_id(exp.id).jobs] == ["CANCELLED", "CANCELLED"]


def test_a_live_launcher_with_nothing_to_submit_does_not_block_resume(
    home: Path, tmp_path: Path
) -> None:
    script = tmp_path / "lingering.py"
    script.write_text(LINGERING_LAUNCHER)
    with subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None
        try:
            eid = proc.stdout.readline().strip()
            assert Experiment.from_id(eid).resume(detach=True) == []
        finally:
            proc.kill()
