"""Docker (and Podman) execution: ``DockerExecutor`` and its backend.

The executor needs nothing beyond nr-exec; the backend imports the docker SDK (the ``docker``
extra) when it first talks to an engine.
"""

from nr_exec._lazy import lazy_exports
from nr_exec.docker.executor import DockerExecutor
from nr_exec.docker.settings import DockerSettings

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from nr_exec.docker.backend import DockerBackend
    from nr_exec.docker.request import DockerRequest

__all__ = ["DockerBackend", "DockerExecutor", "DockerRequest", "DockerSettings"]

_LAZY = {
    "DockerBackend": "nr_exec.docker.backend",
    "DockerRequest": "nr_exec.docker.request",
}

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__)
