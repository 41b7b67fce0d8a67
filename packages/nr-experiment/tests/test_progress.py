"""An attached run says what it does as it happens: the id first, then each job's changes."""

import subprocess
import sys
from pathlib import Path

SCRIPT = """
import sys
from nr_config import Script
from nr_exec import LocalExecutor
from nr_experiment import Experiment

count, clean = int(sys.argv[1]), sys.argv[2] == "clean"
with Experiment("progress", executor=LocalExecutor(), clean_mode=clean) as exp:
    for i in range(count):
        exp.add(Script(inline="exit 3" if i == 1 else "true"), name=f"j{i}")
    exp.run()
"""


def _run(tmp_path: Path, count: int, mode: str = "talk") -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(count), mode],
        env={"NEMORUN_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stderr.splitlines()


def test_the_id_comes_first_then_each_change_once(tmp_path: Path) -> None:
    lines = _run(tmp_path, 2)
    assert lines[0].startswith("Experiment progress_")
    assert lines[0].endswith(": launching 2 jobs")
    submitted = [line for line in lines if line.startswith("  j0  SUBMITTED  local://")]
    assert len(submitted) == 1
    assert "  j0  SUCCEEDED  exit 0" in lines
    assert "  j1  FAILED (USER_ERROR)  exit 3" in lines
    assert lines.index(submitted[0]) < lines.index("  j0  SUCCEEDED  exit 0")
    j0 = [line for line in lines if line.startswith("  j0  ")]
    assert len(j0) == len(set(j0))  # a state is reported once, not at every poll


def test_a_large_run_reports_counts_and_ends_with_the_final_ones(tmp_path: Path) -> None:
    lines = _run(tmp_path, 25)
    counts = [line for line in lines if line.startswith("  25 jobs: ")]
    assert counts, lines
    assert counts[-1] == "  25 jobs: 1 FAILED, 24 SUCCEEDED"
    assert not any(line.startswith("  j0  ") for line in lines)


def test_clean_mode_prints_no_progress(tmp_path: Path) -> None:
    lines = _run(tmp_path, 2, "clean")
    assert not any("launching" in line or "SUBMITTED" in line for line in lines)
