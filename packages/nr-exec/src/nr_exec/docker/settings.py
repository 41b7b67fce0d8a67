"""The Docker settings a job spec carries from the executor to the backend, and the job layout.

``DockerExecutor.settings`` makes one :class:`DockerSettings` per job; ``make_job_spec``
stores it in ``JobSpec.backend_options`` as plain JSON data (the generic round trip of
:class:`~nr_exec.settings.BackendSettings`), so a request can be made, and re-made from a
saved spec, in any process, without the executor object.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from nr_exec.errors import BackendError
from nr_exec.settings import BackendSettings

__all__ = [
    "CONTAINER_JOB_DIR",
    "HOST_NETWORK",
    "LOG_FILE",
    "RUNTIME_DIR",
    "STATE_FILE",
    "ULIMIT_TYPES",
    "DockerSettings",
    "parse_ulimit",
    "task_marker",
]

#: Where the job directory is mounted in every container (``JobSpec.job_dir`` of Docker specs).
CONTAINER_JOB_DIR = "/nemo_run"
#: The network mode sharing the host's network (the default): nothing is published.
HOST_NETWORK = "host"
#: Where the runner's Python packages are mounted (read-only) when ``ship_runner`` is set.
RUNTIME_DIR = "/opt/nr-exec/site"
#: The job's combined output (every task appends to it), relative to the job directory.
LOG_FILE = "logs/output.log"
#: Where the backend records a job's engine and containers, relative to the head job directory.
STATE_FILE = "docker.json"

#: Resource names accepted in ``ulimits`` (those of ``setrlimit``, as the engine spells them).
ULIMIT_TYPES = frozenset(
    {
        "core",
        "cpu",
        "data",
        "fsize",
        "locks",
        "memlock",
        "msgqueue",
        "nice",
        "nofile",
        "nproc",
        "rss",
        "rtprio",
        "rttime",
        "sigpending",
        "stack",
    }
)
_ULIMIT = re.compile(r"(?P<type>[a-z]+)=(?P<soft>-?\d+)(?::(?P<hard>-?\d+))?")


def parse_ulimit(text: str) -> tuple[str, int, int]:
    """Parse ``type=soft[:hard]`` into ``(type, soft, hard)`` (hard defaults to soft).

    Raises:
        ValueError: The text is not a valid ulimit (an unknown type, soft above hard, ...).
    """
    match = _ULIMIT.fullmatch(text)
    if match is None or match["type"] not in ULIMIT_TYPES:
        raise ValueError(text)
    soft = int(match["soft"])
    hard = int(match["hard"]) if match["hard"] is not None else soft
    if soft < -1 or hard < -1 or (hard != -1 and (soft == -1 or soft > hard)):
        raise ValueError(text)
    return match["type"], soft, hard


def task_marker(index: int) -> str:
    """The exit marker task ``index`` writes, relative to its job directory.

    The job's own ``exit.json`` is written by the backend once every task has ended.
    """
    return f".exit-{index}.json"


@dataclass(frozen=True, kw_only=True)
class DockerSettings(BackendSettings):
    """Everything the backend needs about one spec beyond the spec itself.

    Which engine runs the job is not a setting of the job: it is the backend's connection
    (``DockerExecutor.connection``).

    Attributes:
        host_job_dir: The job directory on the launching host (mounted at ``/nemo_run``).
        num_gpus: GPUs to request (-1: all), or None.
        runtime: OCI runtime name (``"nvidia"``), or None for the engine default.
        shm_size: Size of ``/dev/shm`` (``"30g"``), or None.
        ulimits: ``type=soft[:hard]`` items.
        ipc_mode: IPC namespace mode (``"host"``), or None.
        healthcheck: The engine's healthcheck settings (``test``, ``interval``, ...).
        privileged: Run the container privileged.
        network: Network mode or network name.
        volumes: ``src:dst[:mode]`` items.
        ports: Published ports (``DockerExecutor.ports`` items).
        additional_kwargs: Further keyword arguments of the SDK's ``containers.create``.
        packager: The packager as nr-config JSON text.
        ships_code: Whether the packager ships an archive (extracted to ``<job dir>/code``).
        ship_runner: Mount the runner's packages into containers running a ``Partial``.
    """

    host_job_dir: str
    num_gpus: int | None = None
    runtime: str | None = None
    shm_size: str | None = None
    ulimits: tuple[str, ...] = ()
    ipc_mode: str | None = None
    healthcheck: Mapping[str, object] = field(default_factory=dict)
    privileged: bool = False
    network: str = HOST_NETWORK
    volumes: tuple[str, ...] = ()
    ports: tuple[int | str, ...] = ()
    additional_kwargs: Mapping[str, object] = field(default_factory=dict)
    packager: str = ""
    ships_code: bool = False
    ship_runner: bool = True

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> "DockerSettings":
        """Read the settings from a spec's ``backend_options``.

        Raises:
            BackendError: The spec was not made by a ``DockerExecutor`` (no ``host_job_dir``),
                or carries keys that are not Docker settings.
        """
        if "host_job_dir" not in options:
            raise BackendError(
                "the docker backend needs specs made by a DockerExecutor (their "
                "backend_options hold no Docker settings: no 'host_job_dir' in "
                f"{sorted(options)})"
            )
        return super().from_options(options)
