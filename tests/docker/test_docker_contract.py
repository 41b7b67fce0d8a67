"""The docker backend passes the backend contract on the testbed's real engines."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from nr_exec import BackendContext
from nr_exec.docker import DockerBackend, DockerExecutor
from nr_exec.testing import BackendContract
from nr_package import Packager


def contract_backend(host: str, home: Path) -> DockerBackend:
    return DockerBackend(
        context=BackendContext.default(home, connection={"docker_host": host}), grace_period=2
    )


def contract_executor(host: str, image: str) -> DockerExecutor:
    return DockerExecutor(
        container_image=image, docker_host=host, network="none", packager=Packager()
    )


@pytest.mark.docker
class TestDockerContract(BackendContract):
    backend_type = DockerBackend

    @pytest.fixture
    def backend(self, engine: tuple[str, str], tmp_path: Path) -> Iterator[DockerBackend]:
        backend = contract_backend(engine[0], tmp_path / "home")
        yield backend
        backend.close()

    @pytest.fixture
    def executor(self, engine: tuple[str, str]) -> DockerExecutor:
        return contract_executor(*engine)


@pytest.mark.podman
class TestPodmanContract(BackendContract):
    backend_type = DockerBackend

    @pytest.fixture
    def backend(self, podman: tuple[str, str], tmp_path: Path) -> Iterator[DockerBackend]:
        backend = contract_backend(podman[0], tmp_path / "home")
        yield backend
        backend.close()

    @pytest.fixture
    def executor(self, podman: tuple[str, str]) -> DockerExecutor:
        return contract_executor(*podman)
