"""status, logs and cancel from a process that cannot import the user's executor or tasks.

The launcher uses an executor class and a task from the user's module ``team_code``; a later
process, where that module is not importable, manages the experiment from the store alone:
each job's backend comes from the registry, with the connection saved in ``job.json``.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

TEAM_CODE = '''
import time
from dataclasses import dataclass

import nemo_run as run


@dataclass(kw_only=True)
class TeamExecutor(run.LocalExecutor):
    """The team's executor: the local backend, with the team's name in every job."""

    team: str = "vision"

    def info(self) -> str:
        return f"TeamExecutor({self.team})"


def train(steps: int = 3) -> None:
    print(f"training {steps} steps", flush=True)
    time.sleep(600)
'''

LAUNCHER = """
import nemo_run as run
import team_code

with run.Experiment("foreign", executor=team_code.TeamExecutor(), clean_mode=True) as exp:
    exp.add(run.Partial(team_code.train, steps=5), name="train")
    exp.add(run.Script(inline="echo script-done"), name="script")
    exp.run(detach=True)
print(exp.id)
"""

MANAGER = """
import json
import sys

import nemo_run as run

try:
    import team_code  # noqa: F401
except ImportError:
    pass
else:
    raise SystemExit("team_code must not be importable in this process")
exp = run.Experiment.from_id(sys.argv[1])
before = exp.status(return_dict=True)
exp.logs("train")
exp.logs("script")
cancelled = exp.cancel("train")
after = exp.status(return_dict=True)
assert "team_code" not in sys.modules, "the user's module was imported"
print(json.dumps({"before": before, "cancelled": cancelled, "after": after}))
"""


def _wait_for(path: Path, text: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if path.is_file() and text in path.read_text():
            return
        time.sleep(0.02)
    pytest.fail(f"{text!r} never appeared in {path}")


def test_status_logs_and_cancel_without_the_users_code(home: Path, tmp_path: Path) -> None:
    user = tmp_path / "user"
    user.mkdir()
    (user / "team_code.py").write_text(TEAM_CODE)
    (user / "launch.py").write_text(LAUNCHER)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    launched = subprocess.run(
        [sys.executable, "launch.py"],
        cwd=user,
        env={**env, "PYTHONPATH": str(user)},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    eid = launched.stdout.split()[-1]
    experiment = next((home / "experiments" / "foreign").iterdir())
    _wait_for(experiment / "train" / "logs" / "output.log", "training 5 steps")
    _wait_for(experiment / "script" / "exit.json", "exit_code")

    (tmp_path / "manage.py").write_text(MANAGER)
    managed = subprocess.run(
        [sys.executable, str(tmp_path / "manage.py"), eid],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert managed.returncode == 0, managed.stderr
    *log_lines, last = managed.stdout.splitlines()
    result = json.loads(last)
    assert "training 5 steps" in log_lines
    assert "script-done" in log_lines
    before, after = result["before"], result["after"]
    assert before["train"]["status"] == "RUNNING"
    assert before["train"]["executor"] == "TeamExecutor(vision)"
    assert before["script"]["status"] == "SUCCEEDED"
    assert result["cancelled"] == ["train"]
    assert (after["train"]["status"], after["script"]["status"]) == ("CANCELLED", "SUCCEEDED")
