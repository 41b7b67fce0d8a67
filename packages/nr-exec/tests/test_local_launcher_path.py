"""A launcher run as ``python proj/launch.py`` imports ``proj/*.py``; its local jobs cannot.

The job's ``sys.path`` stays what ``python -m nr_exec.runner`` gives (its working directory
first); when the task's module is only in the launching script's directory, the job fails
saying where the module is and how to make it importable. Real launcher processes, both the
forked and the spawned path.
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from nr_exec import EXIT_MARKER_ENV, EnvVar
from nr_exec.local.forkmode import FORK_SERVER_ENV
from nr_exec.runner import LAUNCHER_PATH_ENV

LAUNCH = textwrap.dedent(
    """
    import json, sys
    import nr_config
    import mylib
    from nr_exec import LocalBackend, LocalExecutor, make_job_spec

    backend = LocalBackend()
    request = backend.dryrun(make_job_spec(nr_config.Partial(mylib.hello), LocalExecutor()))
    handle = backend.submit(request)
    status = backend.wait([handle])[handle]
    marker = json.loads((backend.job_dir(handle) / "exit.json").read_text())
    log = (backend.job_dir(handle) / "logs" / "output.log").read_text()
    env = request.plan.tasks[0].env
    print(json.dumps({"state": status.state.value, "marker": marker, "log": log, "env": env}))
    """
)

MYLIB = textwrap.dedent(
    """
    import os


    def hello() -> None:
        print("hello", os.environ.get("NR_EXEC_LAUNCHER_PATH"))
    """
)


def _project(tmp_path: Path) -> Path:
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "launch.py").write_text(LAUNCH)
    (proj / "mylib.py").write_text(MYLIB)
    return proj


def _launch(script: Path, cwd: Path, home: Path, fork: str) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", EXIT_MARKER_ENV}}
    env.update(NEMORUN_HOME=str(home), **{FORK_SERVER_ENV: fork})
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize("fork", ["1", "0"])
def test_a_module_only_beside_the_launching_script_fails_saying_how_to_fix_it(
    tmp_path: Path, fork: str
) -> None:
    proj = _project(tmp_path)
    result = _launch(proj / "launch.py", tmp_path, tmp_path / "home", fork)
    assert result["state"] == "FAILED"
    error = result["marker"]["error"]  # type: ignore[index]
    assert "No module named 'mylib'" in error
    assert f"module 'mylib' is in the launching script's directory {proj}" in error
    assert f"the job runs in {tmp_path}" in error
    assert "PYTHONPATH" in error
    assert "install the package" in error
    assert error in result["log"]  # type: ignore[operator]
    assert result["env"][LAUNCHER_PATH_ENV] == str(proj)  # type: ignore[index]


@pytest.mark.parametrize("fork", ["1", "0"])
def test_launched_from_the_scripts_directory_the_job_runs_without_the_variable(
    tmp_path: Path, fork: str
) -> None:
    proj = _project(tmp_path)
    result = _launch(proj / "launch.py", proj, tmp_path / "home", fork)
    assert result["state"] == "SUCCEEDED"
    assert result["log"] == "hello None\n"
    assert LAUNCHER_PATH_ENV not in result["env"]  # type: ignore[operator]


def test_the_runner_hints_only_at_a_module_that_is_in_the_named_directory(
    tmp_path: Path,
) -> None:
    """A missing module found nowhere near the launcher gets the plain error."""
    task = tmp_path / "task.json"
    task.write_text(json.dumps({"_target_": "nrx_absent_module:f", "_partial_": True}))
    marker = tmp_path / "exit.json"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update({LAUNCHER_PATH_ENV: str(tmp_path), EXIT_MARKER_ENV: str(marker)})
    done = subprocess.run(
        [sys.executable, "-m", "nr_exec.runner", str(task)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    error = json.loads(marker.read_text())["error"]
    assert "No module named 'nrx_absent_module'" in error
    assert "launching script" not in error


def test_the_runner_spells_the_variable_as_envvar_names_it() -> None:
    assert EnvVar.LAUNCHER_PATH.value == LAUNCHER_PATH_ENV
