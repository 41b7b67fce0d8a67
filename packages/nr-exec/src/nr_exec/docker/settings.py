"""The Docker settings a job spec carries from the executor to the backend.

``DockerExecutor.to_job_spec`` stores them in ``JobSpec.backend_options`` as plain JSON data, so
a request can be made (and re-made from a saved spec) without the executor object.
"""

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from nr_exec.errors import BackendError

__all__ = [
    "CONTAINER_JOB_DIR",
    "LOG_FILE",
    "RUNTIME_DIR",
    "STATE_FILE",
    "DockerSettings",
    "task_marker",
]

#: Where the job directory is mounted in every container (``JobSpec.job_dir`` of Docker specs).
CONTAINER_JOB_DIR = "/nemo_run"
#: Where the runner's Python packages are mounted (read-only) when ``ship_runner`` is set.
RUNTIME_DIR = "/opt/nr-exec/site"


@dataclass(frozen=True, kw_only=True)
class DockerSettings:
    """Everything the backend needs about one spec beyond the spec itself.

    Attributes:
        host_job_dir: The job directory on the launching host (mounted at ``/nemo_run``).
        docker_host: Engine URL the executor asked for (None: ``$DOCKER_HOST`` or the default).
        num_gpus: GPUs to request (-1: all), or None.
        runtime: OCI runtime name (``"nvidia"``), or None for the engine default.
        shm_size: Size of ``/dev/shm`` (``"30g"``), or None.
        ulimits: ``type=soft[:hard]`` items.
        ipc_mode: IPC namespace mode (``"host"``), or None.
        healthcheck: The engine's healthcheck settings (``test``, ``interval``, ...).
        privileged: Run the container privileged.
        network: Network mode or network name.
        volumes: ``src:dst[:mode]`` items.
        additional_kwargs: Further keyword arguments of the SDK's ``containers.create``.
        packager: The packager as nr-config JSON text.
        ships_code: Whether the packager ships an archive (extracted to ``<job dir>/code``).
        ship_runner: Mount the runner's packages into containers running a ``Partial``.
    """

    host_job_dir: str
    docker_host: str | None = None
    num_gpus: int | None = None
    runtime: str | None = None
    shm_size: str | None = None
    ulimits: tuple[str, ...] = ()
    ipc_mode: str | None = None
    healthcheck: Mapping[str, object] = field(default_factory=dict)
    privileged: bool = False
    network: str = "host"
    volumes: tuple[str, ...] = ()
    additional_kwargs: Mapping[str, object] = field(default_factory=dict)
    packager: str = ""
    ships_code: bool = False
    ship_runner: bool = True

    def to_options(self) -> dict[str, object]:
        """Return the settings as JSON-compatible data."""
        data = asdict(self)
        data["ulimits"] = list(self.ulimits)
        data["volumes"] = list(self.volumes)
        data["healthcheck"] = dict(self.healthcheck)
        data["additional_kwargs"] = dict(self.additional_kwargs)
        return data

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> "DockerSettings":
        """Read the settings from a spec's ``backend_options``.

        Raises:
            BackendError: The spec was not made by a ``DockerExecutor``.
        """
        if "host_job_dir" not in options:
            raise BackendError(
                "the docker backend needs specs made by DockerExecutor.to_job_spec "
                "(their backend_options hold no Docker settings)"
            )
        values = {k: v for k, v in options.items() if k in cls.__dataclass_fields__}
        for name in ("ulimits", "volumes"):
            values[name] = tuple(values.get(name, ()))
        return cls(**values)


#: The job's combined output (every task appends to it), relative to the job directory.
LOG_FILE = "logs/output.log"
#: Where the backend records a job's engine and containers, relative to the head job directory.
STATE_FILE = "docker.json"


def task_marker(index: int) -> str:
    """The exit marker task ``index`` writes, relative to its job directory.

    The job's own ``exit.json`` is written by the backend once every task has ended.
    """
    return f".exit-{index}.json"
