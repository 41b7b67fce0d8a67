"""Issue 14 item 12: our TorchX schedulers sit next to TorchX's own, and ``torchx log`` works.

TorchX lists only the entry points of ``torchx.schedulers`` once any package declares one, so
nr-exec declares TorchX's own schedulers there too. These tests run the ``torchx`` command as
a user does, in the user's directory.
"""

import os
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

pytest.importorskip("torchx", reason="needs the torchx extra")

from torchx.schedulers import DEFAULT_SCHEDULER_MODULES, get_scheduler_factories

TORCHX = Path(sys.executable).parent / "torchx"
needs_cli = pytest.mark.skipif(not TORCHX.exists(), reason="no torchx console script here")
# Backends that are test doubles, not services a TorchX user would pick.
TEST_DOUBLES = {"fake"}


def _torchx(*args: str, cwd: Path) -> str:
    result = subprocess.run(
        [str(TORCHX), *args],
        env={**os.environ, "NEMORUN_HOME": str(cwd / "home")},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    return output


def test_every_torchx_scheduler_stays_registered_as_torchx_defines_it() -> None:
    points = {ep.name: ep.value for ep in metadata.entry_points(group="torchx.schedulers")}
    for name, module in DEFAULT_SCHEDULER_MODULES.items():
        assert points.get(name) == f"{module}:create_scheduler", name
    assert set(DEFAULT_SCHEDULER_MODULES) <= set(get_scheduler_factories())


def test_every_backend_in_the_registry_is_a_torchx_scheduler() -> None:
    schemes = {ep.name for ep in metadata.entry_points(group="nr_exec.backends")} - TEST_DOUBLES
    assert {"local", "docker", "slurm"} <= schemes
    factories = get_scheduler_factories()
    assert sorted(s for s in schemes if f"nr_{s}" not in factories) == []


@needs_cli
def test_torchx_own_local_cwd_scheduler_runs(tmp_path: Path) -> None:
    # (TorchX's own ``--log`` of a job this short may miss its output: only the state is checked)
    output = _torchx("run", "--wait", "-s", "local_cwd", "utils.echo", "--msg", "hi", cwd=tmp_path)
    assert "local_cwd://torchx/" in output
    assert "Job finished: SUCCEEDED" in output


@needs_cli
def test_torchx_log_prints_an_nr_local_job(tmp_path: Path) -> None:
    output = _torchx(
        "run", "--wait", "-s", "nr_local", "utils.echo", "--msg", "hello", cwd=tmp_path
    )
    match = re.search(r"nr_local://torchx/\S+", output)
    assert match is not None, output
    logs = _torchx("log", match[0], cwd=tmp_path)
    assert re.search(r"echo-echo/0 hello", logs), logs
    described = _torchx("describe", match[0], cwd=tmp_path)
    assert "echo-echo" in described


@needs_cli
def test_torchxconfig_chooses_the_default_scheduler(tmp_path: Path) -> None:
    # The documented way to pick `torchx run`'s default once several packages add schedulers.
    (tmp_path / ".torchxconfig").write_text("[cli:run]\nscheduler = local_cwd\n", encoding="utf-8")
    output = _torchx("run", "--wait", "utils.echo", "--msg", "dflt", cwd=tmp_path)
    assert re.search(r"^local_cwd://torchx/", output, re.MULTILINE), output
    assert "Job finished: SUCCEEDED" in output
