"""A supervisor still reading its launch plan is told apart from one running its job."""

import subprocess
import sys
import time
from pathlib import Path

from nr_exec.local.proc import is_waiting_supervisor
from nr_exec.local.supervisor import INCOMPLETE_PLAN_EXIT


def test_supervisor_waiting_for_its_plan_then_cut_short(tmp_path: Path) -> None:
    supervisor = subprocess.Popen(
        [sys.executable, "-m", "nr_exec.local.supervisor"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + 30
        while not is_waiting_supervisor(supervisor.pid) and time.monotonic() < deadline:
            time.sleep(0.01)  # the interpreter is starting
        assert is_waiting_supervisor(supervisor.pid)
        assert supervisor.stdin is not None
        supervisor.stdin.write(b'{"tasks": [')  # the launcher dies mid-plan
        supervisor.stdin.close()
        assert supervisor.wait(timeout=30) == INCOMPLETE_PLAN_EXIT
    finally:
        supervisor.kill()
        supervisor.wait()
    assert not is_waiting_supervisor(supervisor.pid)
    assert "launch plan was incomplete" in (tmp_path / "exit.json").read_text()


def test_a_process_that_is_not_a_supervisor_is_not_waiting() -> None:
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]) as other:
        try:
            assert not is_waiting_supervisor(other.pid)
        finally:
            other.kill()
