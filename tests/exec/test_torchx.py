"""The TorchX adapter: AppDef conversions, one generic scheduler over the backend registry, and
the ``nr_local`` scheduler through the torchx CLI."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from nr_exec import (
    BackendContext,
    ExecError,
    Handle,
    JobSpec,
    JobState,
    LocalBackend,
    LocalExecutor,
    Mount,
    Resources,
    read_exit_marker,
)
from nr_exec.testing import FakeBackend, FakeExecutor

pytest.importorskip("torchx", reason="needs the torchx extra")

from nr_exec.torchx import BackendScheduler, appdef_to_specs, scheduler_factory, spec_to_appdef
from nr_exec.wrapper import WRAPPER_SCRIPT, wrap_command
from torchx import specs
from torchx.schedulers import get_scheduler_factories

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
    backend = LocalBackend(context=BackendContext.default(home))
    handle = Handle("local", backend.host, match[1])
    assert backend.status([handle])[handle].state is JobState.SUCCEEDED
    assert list(backend.logs(handle)) == ["hi\n"]
    marker = read_exit_marker(backend.job_dir(handle) / "exit.json")
    assert marker is not None
    assert marker.writer == "wrapper"
    status = _torchx("status", f"nr_local://torchx/{match[1]}", home=home)
    assert "SUCCEEDED" in status.stdout + status.stderr
    unknown = _torchx("status", "nr_local://torchx/never-submitted-1", home=home)
    assert "does not exist" in unknown.stdout + unknown.stderr


def test_every_builtin_backend_is_a_torchx_scheduler_next_to_torchxs_own() -> None:
    factories = get_scheduler_factories()
    assert {"nr_local", "nr_docker", "nr_slurm"} <= set(factories)
    assert {"local_cwd", "local_docker", "slurm", "kubernetes"} <= set(factories)
    for name in ("nr_local", "nr_docker", "nr_slurm"):
        # The backend is built on first use: making the scheduler and listing its run
        # options needs no service (torchx runopts does this for every scheduler).
        scheduler = factories[name](session_name="s")
        assert isinstance(scheduler, BackendScheduler)
        assert scheduler.backend == name
        assert scheduler.run_opts().get("job_root") is not None
    assert isinstance(factories["nr_local"](session_name="s").nr_backend, LocalBackend)


@pytest.fixture
def fake_scheduler(tmp_path: Path) -> BackendScheduler:
    FakeBackend.reset()
    executor = FakeExecutor(cluster="tx", env_vars={"FROM_EXECUTOR": "1"})
    return scheduler_factory("fake")("s", executor=executor, home=str(tmp_path))


def test_a_scheduler_over_any_registered_backend(fake_scheduler: BackendScheduler) -> None:
    app = specs.AppDef(
        name="app",
        roles=[
            specs.Role(
                name="r", image="", entrypoint="echo", args=["x"], env={"NR_FAKE_OUTPUT": "out"}
            )
        ],
    )
    info = fake_scheduler.submit_dryrun(app, {})
    (spec,) = info.request.specs
    assert spec.env == {"FROM_EXECUTOR": "1", "NR_FAKE_OUTPUT": "out"}  # placed by the executor
    app_id = fake_scheduler.schedule(info)
    backend = fake_scheduler.nr_backend
    assert isinstance(backend, FakeBackend)
    assert backend.cluster == "tx"
    described = fake_scheduler.describe(app_id)
    assert described is not None
    assert described.state in {specs.AppState.PENDING, specs.AppState.RUNNING}
    assert list(fake_scheduler.log_iter(app_id, "r", should_tail=True)) == ["out\n"]
    final = fake_scheduler.describe(app_id)
    assert final is not None
    assert final.state is specs.AppState.SUCCEEDED
    fake_scheduler.cancel(app_id)  # ended: nothing to do
    assert backend.service.calls.get("cancel") is None
    assert fake_scheduler.list() == []


def test_unknown_app_is_none_and_cancel_does_nothing(fake_scheduler: BackendScheduler) -> None:
    assert fake_scheduler.describe("424242") is None
    assert not fake_scheduler.exists("424242")
    fake_scheduler.cancel("424242")
    assert fake_scheduler.nr_backend.service.calls.get("cancel") is None  # type: ignore[attr-defined]


def test_cancel_reaches_the_backend(tmp_path: Path) -> None:
    FakeBackend.reset()
    scheduler = scheduler_factory("fake")("s", cluster="tx2", home=str(tmp_path))
    role = specs.Role(
        name="r", image="", entrypoint="sleep", args=["1"], env={"NR_FAKE_STEPS": "99"}
    )
    app_id = scheduler.schedule(scheduler.submit_dryrun(specs.AppDef(name="a", roles=[role]), {}))
    scheduler.cancel(app_id)
    described = scheduler.describe(app_id)
    assert described is not None
    assert described.state is specs.AppState.CANCELLED


def test_exit_marking_backends_get_unwrapped_commands(tmp_path: Path) -> None:
    role = specs.Role(name="r", image="", entrypoint="echo", args=["x"])
    app = specs.AppDef(name="a", roles=[role])
    marking = FakeExecutor(features=("exit_markers",))
    (spec,) = appdef_to_specs(app, job_root=str(tmp_path), executor=marking)
    assert spec.argv == ("echo", "x")
    (plain,) = appdef_to_specs(app, job_root=str(tmp_path), executor=LocalExecutor())
    assert plain.argv[2] == WRAPPER_SCRIPT


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"executor": "local"}, "nr_local: 'executor' must be an nr-exec Executor, got str"),
        ({"home": 3}, "'home' must be a path, got int"),
        ({"connection": "ssh"}, "'connection' must be a mapping"),
    ],
)
def test_bad_scheduler_options_are_refused_and_unknown_ones_ignored(
    options: dict[str, object], message: str
) -> None:
    with pytest.raises(ExecError, match=re.escape(message)):
        scheduler_factory("local")("s", **options)
    # TorchX passes one option per TORCHX_* environment variable, with names it mangles, and a
    # runner hands the same options to every scheduler (another backend's executor included).
    scheduler = scheduler_factory("local")("s", ntext_name="x", executor=FakeExecutor())
    assert scheduler.executor is None
    assert isinstance(scheduler.nr_backend, LocalBackend)


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
