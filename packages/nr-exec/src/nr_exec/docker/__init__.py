"""Docker (and Podman) execution: ``DockerExecutor`` and its backend.

The executor needs nothing beyond nr-exec; the backend imports the docker SDK (the ``docker``
extra) when it first talks to an engine.
"""

from nr_exec.docker.executor import DockerExecutor
from nr_exec.docker.settings import DockerSettings

__all__ = ["DockerBackend", "DockerExecutor", "DockerRequest", "DockerSettings"]


def __getattr__(name: str) -> object:
    if name == "DockerBackend":
        from nr_exec.docker.backend import DockerBackend  # noqa: PLC0415 - loaded on first use

        return DockerBackend
    if name == "DockerRequest":
        from nr_exec.docker.request import DockerRequest  # noqa: PLC0415 - loaded on first use

        return DockerRequest
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
