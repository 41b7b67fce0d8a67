"""Issue 14 without an engine: ``DockerExecutor(ports=[...])``, the shipped Python stack."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from nr_config import Partial, Script
from nr_exec import BackendContext, ExecutorConfigError, JobSpec, backend_for
from nr_exec.docker import DockerExecutor
from nr_package import Packager


def work() -> None:
    """A task (only dry-run here)."""


@pytest.fixture(autouse=True)
def _private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEMORUN_HOME", str(tmp_path / "home"))


def plan(executor: DockerExecutor, spec: JobSpec) -> dict[str, object]:
    backend = backend_for(executor, context=BackendContext.default())
    document: dict[str, object] = json.loads(backend.dryrun(spec).materialize())
    return document


def create_arguments(executor: DockerExecutor, task: object, tmp_path: Path) -> dict[str, object]:
    spec = executor.to_job_spec(task, name="job", job_dir=str(tmp_path))  # type: ignore[arg-type]
    containers = plan(executor, spec)["containers"]
    assert isinstance(containers, list)
    arguments: dict[str, object] = containers[0]["arguments"]
    return arguments


def test_ports_are_published_on_a_bridge_network(tmp_path: Path) -> None:
    executor = DockerExecutor(
        container_image="img",
        packager=Packager(),
        network="my-bridge",
        ports=[8080, "9000:90", "127.0.0.1:5353:53/udp"],
    )
    arguments = create_arguments(executor, Script(inline="true"), tmp_path)
    assert arguments["network_mode"] == "my-bridge"
    assert arguments["ports"] == {"8080/tcp": 8080, "90/tcp": 9000, "53/udp": ["127.0.0.1", 5353]}


def test_ports_with_the_host_network_publish_nothing(tmp_path: Path) -> None:
    executor = DockerExecutor(container_image="img", packager=Packager(), ports=[8080])
    assert "ports" not in create_arguments(executor, Script(inline="true"), tmp_path)


def test_ports_survive_the_spec_round_trip(tmp_path: Path) -> None:
    executor = DockerExecutor(
        container_image="img", packager=Packager(), network="br", ports=[8080, "1:2/sctp"]
    )
    spec = executor.to_job_spec(Script(inline="true"), job_dir=str(tmp_path))
    again = JobSpec.from_json(spec.to_json())
    containers = plan(executor, again)["containers"]
    assert isinstance(containers, list)
    assert containers[0]["arguments"]["ports"] == {"8080/tcp": 8080, "2/sctp": 1}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"ports": [0]}, "expected port numbers 1-65535"),
        ({"ports": [True]}, "expected list[int | str]"),
        ({"ports": ["80:80/icmp"], "network": "br"}, "expected port numbers 1-65535"),
        ({"ports": ["host:80:80"], "network": "br"}, "expected port numbers 1-65535"),
        ({"ports": ["8080:80"]}, "same-number ports with network='host'"),
        ({"ports": [8080], "network": "none"}, "no ports with network='none'"),
        ({"ports": [80, "81:80"], "network": "br"}, "container port 80/tcp is published twice"),
        ({"additional_kwargs": {"ports": {"80/tcp": 80}}}, "use ports"),
    ],
)
def test_invalid_ports_name_the_field(changes: dict[str, object], expected: str) -> None:
    with pytest.raises(ExecutorConfigError, match=r"DockerExecutor\.") as caught:
        DockerExecutor(container_image="img", **changes)  # type: ignore[arg-type]
    assert expected in str(caught.value)


def test_partial_ships_the_workspace_stack_and_names_the_python(tmp_path: Path) -> None:
    executor = DockerExecutor(container_image="img:1", packager=Packager())
    spec = executor.to_job_spec(Partial(work), name="job", job_dir=str(tmp_path))
    document = plan(executor, spec)
    containers = document["containers"]
    assert isinstance(containers, list)
    volumes = containers[0]["arguments"]["volumes"]
    shipped = {v.split(":")[1].rsplit("/", 1)[-1] for v in volumes if ":/opt/nr-exec/site/" in v}
    workspace = {"nemo_run", "nr_cli", "nr_config", "nr_exec", "nr_experiment"}
    assert workspace | {"nr_package", "nr_ray", "nr_tunnel", "pydantic_core"} <= shipped
    assert all(v.endswith(":ro") for v in volumes if ":/opt/nr-exec/site/" in v)
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert document["runner"] == {"images": ["img:1"], "python": python}


def test_scripts_and_ship_runner_false_need_no_python(tmp_path: Path) -> None:
    script = DockerExecutor(container_image="img", packager=Packager())
    spec = script.to_job_spec(Script(inline="true"), job_dir=str(tmp_path))
    assert plan(script, spec)["runner"] == {"images": [], "python": ""}
    own = DockerExecutor(container_image="img", packager=Packager(), ship_runner=False)
    spec = own.to_job_spec(Partial(work), job_dir=str(tmp_path))
    assert plan(own, spec)["runner"] == {"images": [], "python": ""}


def test_the_shipped_stack_imports_nemo_run_alone(tmp_path: Path) -> None:
    """What the container gets: only the mounted packages (``-S -I``: no site-packages)."""
    executor = DockerExecutor(container_image="img", packager=Packager())
    spec = executor.to_job_spec(Partial(work), name="job", job_dir=str(tmp_path))
    containers = plan(executor, spec)["containers"]
    assert isinstance(containers, list)
    site = tmp_path / "site"
    site.mkdir()
    for volume in containers[0]["arguments"]["volumes"]:
        source, target, _ = volume.split(":")
        if target.startswith("/opt/nr-exec/site/"):
            (site / target.rsplit("/", 1)[-1]).symlink_to(source)
    code = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(site)!r})
        import nemo_run as run
        import nr_exec.runner
        print(run.Partial.__module__, run.Experiment.__module__, run.cli.main.__module__)
        """
    )
    done = subprocess.run(
        [sys.executable, "-S", "-I", "-c", code], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[0].startswith("nr_config")
