"""Issue 14 item 2: ``LocalExecutor(working_dir=...)`` runs the task from that directory."""

import subprocess
import sys
from pathlib import Path

from nr_exec import LocalExecutor

SCRIPT = """
import nemo_run as run

if __name__ == "__main__":
    local_exec = run.LocalExecutor(env_vars={"CUDA_VISIBLE_DEVICES": "0,1"}, working_dir="project")
    run.run(run.Script(inline="pwd > where.txt; echo $CUDA_VISIBLE_DEVICES >> where.txt"),
            executor=local_exec)
"""


def test_task_runs_from_working_dir(tmp_path: Path) -> None:
    (tmp_path / "project").mkdir()
    (tmp_path / "launch.py").write_text(SCRIPT, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "launch.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={"NEMORUN_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    where = (tmp_path / "project" / "where.txt").read_text(encoding="utf-8").split()
    assert where == [str((tmp_path / "project").resolve()), "0,1"]
    assert not (tmp_path / "where.txt").exists()


def test_working_dir_is_made_absolute_and_defaults_to_cwd(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert LocalExecutor(working_dir="sub").placement("j", "/jobs/j").workdir == str(
        tmp_path / "sub"
    )
    assert LocalExecutor(working_dir="~").placement("j", "/jobs/j").workdir == str(Path.home())
    assert LocalExecutor().placement("j", "/jobs/j").workdir == str(tmp_path)
