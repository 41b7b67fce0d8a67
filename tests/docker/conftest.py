"""Fixtures of the real-engine tests: a task repository, executors, container cleanup by label."""

import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from nr_exec.docker.client import EngineClient
from nr_exec.docker.naming import LABEL_JOB_DIR, MANAGED_FILTER

TASKS = textwrap.dedent(
    """
    import sys
    import time


    def work(code: int = 0, text: str = "") -> None:
        print("work", text, flush=True)
        if code:
            sys.exit(code)


    def sleep(seconds: float = 60.0) -> None:
        print("sleeping", flush=True)
        time.sleep(seconds)
    """
)


@pytest.fixture
def task_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A committed git repository holding ``dockertasks.py``, as the working directory."""
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "dockertasks.py").write_text(TASKS)
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run([*git, "add", "."], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "tasks"], cwd=repo, check=True)
    monkeypatch.chdir(repo)
    monkeypatch.syspath_prepend(str(repo))
    monkeypatch.setenv("NEMORUN_HOME", str(tmp_path / "home"))
    return repo


def _cleanup(host: str | None, root: Path) -> None:
    client = EngineClient(host)
    try:
        for info in client.list([MANAGED_FILTER]):
            if info.labels.get(LABEL_JOB_DIR, "").startswith(str(root)):
                client.remove(info.id)
    finally:
        client.close()


@pytest.fixture
def engine(testbed: object, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """``(docker_host, python image)`` of the testbed's Docker engine; removes our containers."""
    host = testbed.docker_host  # type: ignore[attr-defined]
    yield host, testbed.docker_python_image  # type: ignore[attr-defined]
    _cleanup(host, tmp_path)


@pytest.fixture
def podman(testbed: object, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """``(docker_host, python image)`` of the testbed's Podman service; removes our containers."""
    host = testbed.get("NR_TESTBED_PODMAN_HOST")  # type: ignore[attr-defined]
    image = testbed.get(  # type: ignore[attr-defined]
        "NR_TESTBED_PODMAN_PYTHON_IMAGE", "localhost/nr-testbed/python:3"
    )
    yield host, image
    _cleanup(host, tmp_path)
