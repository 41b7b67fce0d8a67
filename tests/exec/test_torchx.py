"""The TorchX adapter: AppDef conversions and the ``nr_local`` scheduler through the torchx CLI."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from nr_exec import Handle, JobSpec, JobState, LocalBackend, Mount, Resources, read_exit_marker

pytest.importorskip("torchx", reason="needs the torchx extra")

from nr_exec.torchx import appdef_to_specs, spec_to_appdef
from nr_exec.wrapper import wrap_command
from torchx import specs

TORCHX = Path(sys.executable).parent / "torchx"


def test_spec_to_appdef() -> None:
    spec = JobSpec(
        name="train",
        job_id="train-1",
        argv=("python", "-m", "pkg", "--lr", "0.1"),
        job_dir="/j",
        env={"A": "1"},
        resources=Resources(nodes=2, ntasks_per_node=4, gpus_per_node=8, cpus_per_task=6),
        mounts=(Mount("/data", "/mnt/data", readonly=True),),
        retries=3,
        image="img:1",
        metadata={"team": "x", "ignored": 1},
    )
    app = spec_to_appdef(spec)
    (role,) = app.roles
    assert (role.entrypoint, role.args) == ("python", ["-m", "pkg", "--lr", "0.1"])
    assert (role.num_replicas, role.max_retries, role.image) == (8, 3, "img:1")
    assert (role.resource.gpu, role.resource.cpu) == (8, 6)
    assert role.env == {"A": "1"}
    assert role.mounts == [specs.BindMount("/data", "/mnt/data", True)]
    assert app.metadata == {"team": "x"}


def test_appdef_to_specs(tmp_path: Path) -> None:
    app = specs.AppDef(
        name="app",
        roles=[
            specs.Role(
                name="trainer",
                image="img",
                entrypoint="echo",
                args=["a b"],
                num_replicas=2,
                env={"E": "1"},
                max_retries=1,
            ),
            specs.Role(
                name="reader",
                image="",
                entrypoint="cat",
                args=[],
                resource=specs.Resource(cpu=1, gpu=2, memMB=10),
            ),
        ],
    )
    trainer, reader = appdef_to_specs(app, job_root=str(tmp_path), env={"G": "g"})
    assert trainer.argv == tuple(wrap_command(["echo", "a b"]))
    assert trainer.job_dir == f"{tmp_path}/{trainer.job_id}"
    assert trainer.job_id.startswith("app-trainer-")
    assert trainer.env == {"G": "g", "E": "1"}
    assert (trainer.resources.ntasks_per_node, trainer.retries, trainer.image) == (2, 1, "img")
    assert (reader.resources.gpus_per_node, reader.image) == (2, None)


def _torchx(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NEMORUN_HOME": str(home)}
    return subprocess.run(
        [str(TORCHX), *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.skipif(not TORCHX.exists(), reason="no torchx console script next to this interpreter")
def test_torchx_run_echo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    home = tmp_path / "home"
    result = _torchx(
        "run", "--wait", "--log", "-s", "nr_local", "utils.echo", "--msg", "hi", home=home
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Job finished: SUCCEEDED" in output
    match = re.search(r"nr_local://torchx/(\S+)", output)
    assert match is not None, output
    handle = Handle("local", LocalBackend(home / "jobs").host, match[1])
    backend = LocalBackend(home / "jobs")
    assert backend.status([handle])[handle].state is JobState.SUCCEEDED
    assert list(backend.logs(handle)) == ["hi\n"]
    marker = read_exit_marker(backend.job_dir(handle) / "exit.json")
    assert marker is not None
    assert marker.writer == "wrapper"
    status = _torchx("status", f"nr_local://torchx/{match[1]}", home=home)
    assert "SUCCEEDED" in status.stdout + status.stderr


def test_import_nr_exec_is_light() -> None:
    program = (
        "import sys, nr_exec; nr_exec.LocalExecutor; nr_exec.JobSpec; "
        "heavy = [m for m in ('torchx', 'jinja2', 'docker', 'kubernetes', 'sky') if m in sys.modules]; "
        "print(heavy)"
    )
    out = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
