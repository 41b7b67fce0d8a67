"""The documentation's scripts run as files, each in a fresh interpreter, as a reader runs them.

A block fenced ```` ```py title="<path>.py" ```` is a whole file a reader saves and runs. It is
written to that path in a temporary directory and run there with a private NEMORUN_HOME:
``python <path>``, or ``python -m pytest <path>`` for a test file (``test_*.py``). It must exit
with 0, and every job of the experiments it ran must have succeeded (``nemorun experiment
list``). A script may import ``my_backend``, the stand-in for the reader's own backend package:
here it is the toy backend of tests/experiment/toy_backend, registered by its own entry point.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path, PurePosixPath

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOY_BACKEND = ROOT / "tests" / "experiment" / "toy_backend"
SCRIPT = re.compile(r'^```py title="([^"]+\.py)"[^\n]*\n(.*?)^```', re.DOTALL | re.MULTILINE)
# Modules a script imports in place of the reader's own code -> their text here.
STAND_INS = {
    "my_backend": "from toy_backend import ToyBackend as MyBackend, ToyExecutor as MyExecutor\n",
}


def scripts() -> list[tuple[str, str, str]]:
    """Every script of the documentation: (page, file name, code)."""
    return [
        (str(page.relative_to(ROOT / "docs")), name, code)
        for page in sorted((ROOT / "docs").rglob("*.md"))
        for name, code in SCRIPT.findall(page.read_text(encoding="utf-8"))
    ]


def test_every_stand_in_is_imported_by_a_script() -> None:
    for module in STAND_INS:
        importing = [name for _, name, code in scripts() if f"from {module} import" in code]
        assert importing, f"no script imports {module}: remove it from STAND_INS"


@pytest.mark.parametrize(
    ("page", "name", "code"), scripts(), ids=[f"{page}:{name}" for page, name, _ in scripts()]
)
def test_script_runs(page: str, name: str, code: str, tmp_path: Path) -> None:
    relative = PurePosixPath(name)
    assert not relative.is_absolute(), f"{page}: {name} must be a relative path"
    assert ".." not in relative.parts, f"{page}: {name} must stay in its directory"
    work = tmp_path / "work"
    script = work / relative
    script.parent.mkdir(parents=True)
    script.write_text(code, encoding="utf-8")
    stand_ins = tmp_path / "stand-ins"
    stand_ins.mkdir()
    for module, text in STAND_INS.items():
        (stand_ins / f"{module}.py").write_text(text, encoding="utf-8")
    command = (
        ["-m", "pytest", "-q", "-p", "no:cacheprovider"]
        if relative.name.startswith("test_")
        else []
    )
    env = {
        **os.environ,
        "NEMORUN_HOME": str(tmp_path / "nemorun-home"),
        "PYTHONPATH": os.pathsep.join([str(TOY_BACKEND), str(stand_ins)]),
    }
    done = subprocess.run(
        [sys.executable, *command, str(relative)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, (
        f"{page}: {name} exited {done.returncode}\n{done.stdout}{done.stderr}"
    )
    listed = subprocess.run(
        [str(Path(sys.executable).parent / "nemorun"), "experiment", "list", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    for experiment in json.loads(listed.stdout):
        assert set(experiment["states"]) == {"SUCCEEDED"}, f"{page}: {name} ran {experiment}"
