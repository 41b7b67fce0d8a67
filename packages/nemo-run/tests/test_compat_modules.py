"""Issue 15: NeMo-Run's module paths (``nemo_run.config``, ``nemo_run.run.*``) work in old code.

Each test runs the user's lines in a fresh interpreter, as a script would.
"""

import subprocess
import sys
from pathlib import Path


def python(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, env=env
    )


def test_set_nemorun_home_moves_where_experiments_are_stored(tmp_path: Path) -> None:
    home = tmp_path / "elsewhere"
    result = python(
        "import nemo_run as run\n"
        f"run.config.set_nemorun_home({str(home)!r})\n"
        "print(run.config.get_nemorun_home())\n"
        "def hello() -> str:\n"
        "    return 'hi'\n"
        "with run.Experiment('moved') as exp:\n"
        "    exp.add(run.Partial(hello), executor=run.LocalExecutor())\n"
        "    exp.run(sequential=True, tail_logs=False)\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == str(home)
    assert list((home / "experiments").glob("moved*")), sorted(p.name for p in home.rglob("*"))


def test_config_module_names_resolve() -> None:
    result = python(
        "from nemo_run.config import get_type_namespace, set_value, from_dict, RUNDIR_NAME\n"
        "import nemo_run as run\n"
        "class Model:\n"
        "    def __init__(self, width: int = 1) -> None:\n"
        "        self.width = width\n"
        "print(get_type_namespace(Model), RUNDIR_NAME)\n"
        "cfg = run.Config(Model)\n"
        "set_value(cfg, 'width', 8)\n"
        "print(run.build(cfg).width)\n"
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "__main__.Model nemo_run"
    assert lines[1] == "8"


def test_type_namespace_refuses_an_instance() -> None:
    result = python("from nemo_run.config import get_type_namespace\nget_type_namespace(3)\n")
    assert result.returncode == 1
    assert "needs a class or a function, got 3" in result.stderr


def test_run_package_module_paths() -> None:
    result = python(
        "import nemo_run as run\n"
        "from nemo_run.run.experiment import Experiment\n"
        "from nemo_run.run.job import Job, JobGroup\n"
        "from nemo_run.run.plugin import ExperimentPlugin\n"
        "assert Experiment is run.Experiment and ExperimentPlugin is run.Plugin\n"
        "print(callable(run.run), Job.__name__, JobGroup.__name__)\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True Job JobGroup"
