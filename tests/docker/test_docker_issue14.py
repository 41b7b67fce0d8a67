"""Issue 14 on the real engines: a Partial from the launching script, the image's Python, OOM.

Items 5 and 10: the launching script is run as a user runs it (``python script.py`` in a fresh
interpreter, ``import nemo_run as run``, the function defined in the script).
"""

import io
import json
import os
import subprocess
import sys
import tarfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from nr_config import Partial
from nr_exec import BackendContext, BackendError, backend_for
from nr_exec.docker import DockerBackend, DockerExecutor
from nr_exec.docker.client import PROBE_LABEL
from nr_package import Packager

TIMEOUT = 120

#: A launching script as a user writes it; prints the experiment's status rows as JSON.
LAUNCHER = textwrap.dedent(
    """
    import json
    import sys

    import nemo_run as run


    def greet(name: str = "nobody", times: int = 1) -> None:
        for _ in range(times):
            print(f"hello {name} from {run.__name__}", flush=True)


    if __name__ == "__main__":
        host, image, base = sys.argv[1], sys.argv[2], sys.argv[3]
        executor = run.DockerExecutor(
            container_image=image, docker_host=host, network="none", packager=run.Packager()
        )
        with run.Experiment("issue14-docker", base_dir=base) as exp:
            exp.add(run.Partial(greet, name="docker", times=2), executor=executor, name="greet")
            exp.run()
            exp.wait(timeout=120)
        print("ROWS=" + json.dumps(exp.status(return_dict=True)))
    """
)

#: A Script that allocates more than its container's memory limit (through additional_kwargs).
OOM_LAUNCHER = textwrap.dedent(
    """
    import json
    import sys

    import nemo_run as run

    if __name__ == "__main__":
        host, image, base = sys.argv[1], sys.argv[2], sys.argv[3]
        executor = run.DockerExecutor(
            container_image=image,
            docker_host=host,
            network="none",
            packager=run.Packager(),
            additional_kwargs={"mem_limit": "64m", "memswap_limit": "64m"},
        )
        hog = "python3 -c 'data = bytearray(512 * 1024 * 1024); print(len(data))'"
        with run.Experiment("issue14-oom", base_dir=base) as exp:
            exp.add(run.Script(inline=hog), executor=executor, name="hog")
            exp.run()
            exp.wait(timeout=120)
        print("ROWS=" + json.dumps(exp.status(return_dict=True)))
    """
)


def launch(script: str, tmp_path: Path, *args: str) -> dict[str, dict[str, object]]:
    """Run ``script`` as ``python script.py <args> <base dir>``; return its status rows."""
    path = tmp_path / "launch" / "script.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(script)
    env = {**os.environ, "NEMORUN_HOME": str(tmp_path / "home")}
    done = subprocess.run(
        [sys.executable, str(path), *args, str(tmp_path / "base")],
        cwd=path.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT * 2,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("ROWS="))
    rows: dict[str, dict[str, object]] = json.loads(line.removeprefix("ROWS="))
    return rows


def job_log(row: dict[str, object]) -> str:
    """The job's combined output (``logs/output.log`` of its directory)."""
    return (Path(str(row["local_dir"])) / "logs" / "output.log").read_text()


@pytest.mark.docker
def test_partial_defined_in_the_launching_script_runs(
    engine: tuple[str, str], tmp_path: Path
) -> None:
    rows = launch(LAUNCHER, tmp_path, *engine)
    row = rows["greet"]
    assert (row["status"], row["exit_code"]) == ("SUCCEEDED", 0), row
    assert job_log(row).splitlines() == ["hello docker from nemo_run"] * 2


@pytest.mark.docker
def test_oom_script_is_failed_with_reason_oom(engine: tuple[str, str], tmp_path: Path) -> None:
    rows = launch(OOM_LAUNCHER, tmp_path, *engine)
    row = rows["hog"]
    assert (row["status"], row["reason"], row["exit_code"]) == ("FAILED", "OOM", 137), row


@pytest.mark.podman
def test_oom_script_on_podman_is_failed(podman: tuple[str, str], tmp_path: Path) -> None:
    """Podman 4.3 does not record OOMKilled: the job is FAILED with the kill's exit code."""
    rows = launch(OOM_LAUNCHER, tmp_path, *podman)
    row = rows["hog"]
    assert (row["status"], row["exit_code"]) == ("FAILED", 137), row
    assert row["reason"] in ("OOM", None), row


def work() -> None:
    """A task for the Python check (never runs: submit refuses first)."""


@pytest.fixture
def fake_python_image(engine: tuple[str, str], testbed: object) -> Iterator[str]:
    """An image whose ``python3`` says it is Python 3.9 (busybox plus a shell script)."""
    import docker  # type: ignore[import-untyped]

    host = engine[0]
    busybox = testbed.get("NR_TESTBED_DOCKER_BUSYBOX_IMAGE")  # type: ignore[attr-defined]
    client = docker.DockerClient(base_url=host)
    container = client.containers.create(busybox, ["true"], network_mode="none")
    archive = io.BytesIO()
    body = b"#!/bin/sh\necho 3.9\n"
    with tarfile.open(fileobj=archive, mode="w") as tar:
        info = tarfile.TarInfo("python3")
        info.size, info.mode = len(body), 0o755
        tar.addfile(info, io.BytesIO(body))
    container.put_archive("/bin", archive.getvalue())
    repository, version = "nr-issue14-python39", str(os.getpid())
    tag = f"{repository}:{version}"
    container.commit(repository=repository, tag=version)
    container.remove(force=True)
    try:
        yield tag
    finally:
        client.images.remove(tag, force=True)
        client.close()


def submit_partial(host: str, image: str, home: Path) -> tuple[DockerBackend, BackendError]:
    executor = DockerExecutor(
        container_image=image, docker_host=host, network="none", packager=Packager()
    )
    backend = backend_for(executor, context=BackendContext.default(home))
    assert isinstance(backend, DockerBackend)
    request = backend.dryrun(executor.to_job_spec(Partial(work), name="py"))
    with pytest.raises(BackendError) as caught:
        backend.submit(request)
    assert not (Path(request.host_job_dir) / "docker.json").exists()
    assert backend.find([request.job_id]) == {}
    assert backend.client.list([PROBE_LABEL]) == []  # the probe container was removed
    return backend, caught.value


@pytest.mark.docker
def test_image_with_another_python_is_refused_at_submit(
    engine: tuple[str, str], fake_python_image: str, tmp_path: Path
) -> None:
    launcher = f"{sys.version_info.major}.{sys.version_info.minor}"
    backend, error = submit_partial(engine[0], fake_python_image, tmp_path / "home")
    backend.close()
    message = str(error)
    assert f"image {fake_python_image!r} has Python 3.9" in message
    assert f"use an image with Python {launcher}" in message
    assert "ship_runner=False" in message


@pytest.mark.docker
def test_image_without_python_is_refused_at_submit(
    engine: tuple[str, str], testbed: object, tmp_path: Path
) -> None:
    busybox = testbed.get("NR_TESTBED_DOCKER_BUSYBOX_IMAGE")  # type: ignore[attr-defined]
    backend, error = submit_partial(engine[0], busybox, tmp_path / "home")
    backend.close()
    assert f"image {busybox!r} cannot run python3" in str(error)
