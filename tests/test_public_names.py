"""Every exported name is the documented object, never a module that shadows it.

A lazily exported name equal to a submodule's name is replaced by that submodule once any
other import pulls the submodule in; ``run.cli.entrypoint`` was the module ``nr_cli.entrypoint``
that way, and every ``@run.cli.entrypoint`` script crashed. These tests run in fresh
interpreters, as a user's script does.
"""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PACKAGES = [
    "nr_config",
    "nr_package",
    "nr_tunnel",
    "nr_exec",
    "nr_experiment",
    "nr_ray",
    "nr_cli",
    "nemo_run",
]
# Names documented as namespaces: `run.cli.entrypoint` is reached through the module `run.cli`.
MODULE_NAMESPACES = {("nemo_run", "cli")}
# A name that is also a subpackage on purpose: `nemo_run.run` holds NeMo-Run's `nemo_run.run.ray`
# path, and the façade's module type keeps `run.run` the function (checked: not a module).
SUBPACKAGE_NAMES = {("nemo_run", "run")}

WALK = """
import importlib, json, pkgutil, sys, types
name = sys.argv[1]
package = importlib.import_module(name)
submodules = sorted(m.name for m in pkgutil.iter_modules(package.__path__))
for sub in submodules:  # pull every submodule in first: that is when a clash shows
    try:
        importlib.import_module(f"{name}.{sub}")
    except ImportError:
        pass  # a submodule of an optional extra
report = {"clashes": [], "modules": [], "missing": []}
for exported in package.__all__:
    if exported in submodules:
        report["clashes"].append(exported)
    try:
        value = getattr(package, exported)
    except AttributeError:
        report["missing"].append(exported)
        continue
    if isinstance(value, types.ModuleType):
        report["modules"].append(exported)
print(json.dumps(report))
"""


@pytest.mark.parametrize("package", PACKAGES)
def test_exported_names_are_objects_not_submodules(package: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", WALK, package], capture_output=True, text=True, check=True
    )
    report = json.loads(result.stdout)
    allowed = {name for owner, name in MODULE_NAMESPACES if owner == package}
    shadowed = {name for owner, name in SUBPACKAGE_NAMES if owner == package}
    assert [n for n in report["clashes"] if n not in allowed | shadowed] == []
    assert [n for n in report["modules"] if n not in allowed] == []
    assert report["missing"] == []


SCRIPT = """
import nemo_run as run
import nr_cli.entrypoints  # the submodule loaded first, as any other import may do


@run.cli.factory
@run.autoconvert
def small_model() -> dict:
    return {"layers": 2}


@run.cli.entrypoint
def train(epochs: int = 1, lr: float = 0.1) -> None:
    print(f"train epochs={epochs} lr={lr}")


if __name__ == "__main__":
    assert callable(run.cli.entrypoint) and not isinstance(run.cli.entrypoint, type(run))
    run.cli.main(train)
"""


def test_entrypoint_decorator_and_main_from_the_facade(tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(SCRIPT), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(script), "--yes", "--direct", "epochs=3", "lr=0.5"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env={"NEMORUN_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert "train epochs=3 lr=0.5" in result.stdout
