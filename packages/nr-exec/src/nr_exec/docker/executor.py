"""``DockerExecutor``: run a task in a container of a Docker (or Podman) engine."""

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from nr_package import GitArchivePackager, Packager

from nr_exec.docker.ports import parse_port, port_bindings
from nr_exec.docker.settings import (
    CONTAINER_JOB_DIR,
    HOST_NETWORK,
    ULIMIT_TYPES,
    DockerSettings,
    parse_ulimit,
)
from nr_exec.errors import ExecutorConfigError
from nr_exec.executor import Executor
from nr_exec.launchers import LaunchContext
from nr_exec.placement import Placement
from nr_exec.spec import Resources

__all__ = ["RESERVED_KWARGS", "DockerExecutor"]

#: ``additional_kwargs`` keys the backend sets itself, mapped to what to use instead.
RESERVED_KWARGS = {
    "image": "container_image",
    "command": "the task",
    "entrypoint": "the task (the backend sets the entrypoint that writes the job log)",
    "name": "nothing (names are generated so that they never clash)",
    "labels": "nothing (the backend's labels find the job's containers)",
    "detach": "nothing",
    "auto_remove": "nothing (the backend removes containers once it has read their exit code)",
    "remove": "nothing (the backend removes containers once it has read their exit code)",
    "environment": "env_vars",
    "working_dir": "the packager (the job runs in /nemo_run/code or /nemo_run)",
    "volumes": "volumes",
    "network": "network",
    "network_mode": "network",
    "ports": "ports",
    "runtime": "runtime",
    "shm_size": "shm_size",
    "ulimits": "ulimits",
    "ipc_mode": "ipc_mode",
    "healthcheck": "healthcheck",
    "privileged": "privileged",
    "restart_policy": "retries",
}

_VOLUME_MODES = frozenset(
    {"ro", "rw", "z", "Z", "shared", "slave", "private", "rshared", "rslave", "rprivate", "nocopy"}
)
_VOLUME_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")


def _valid_volume(text: str) -> bool:
    parts = text.split(":")
    if len(parts) not in (2, 3) or not parts[0] or not parts[1].startswith("/"):
        return False
    source, target = parts[0], parts[1].rstrip("/") or "/"
    if not (source.startswith("/") or _VOLUME_NAME.fullmatch(source)):
        return False
    if target == CONTAINER_JOB_DIR or target.startswith(f"{CONTAINER_JOB_DIR}/"):
        return False
    return len(parts) == 2 or all(mode in _VOLUME_MODES for mode in parts[2].split(","))


@dataclass(kw_only=True)
class DockerExecutor(Executor):
    """Run the task in one container per task on a Docker engine (or Podman's Docker API).

    The job directory is mounted at ``/nemo_run`` in the container; shipped code is extracted
    to ``<job dir>/code`` and is the working directory (see :meth:`placement`). Specs made by
    this executor therefore name in-container paths (``JobSpec.job_dir == "/nemo_run"``) and
    carry the host's job directory in their Docker settings (``JobSpec.backend_options``).
    The backend is :class:`~nr_exec.docker.DockerBackend`: build it with
    ``nr_exec.backend_for(executor)``.

    Attributes:
        container_image: Image to run (required). It needs ``/bin/sh``; for a ``Partial``, also
            ``python3`` of the launcher's minor version (see ``ship_runner``).
        num_gpus: GPUs to request (-1 for all), or None for none.
        runtime: OCI runtime (``"nvidia"``), or None for the engine's default.
        shm_size: Size of ``/dev/shm`` (``"30g"``), or None for the engine's default.
        ulimits: Resource limits as ``type=soft[:hard]`` (``"nofile=1024:2048"``); -1 is
            unlimited.
        ipc_mode: IPC mode (``"host"``), or None.
        healthcheck: The engine's healthcheck settings (``test``, ``interval``, ``timeout``,
            ``retries``, ``start_period``; durations in nanoseconds).
        privileged: Run the container privileged.
        network: Network mode (``"host"``, ``"none"``) or the name of an existing network.
            The default ``"host"`` needs no network to be created.
        volumes: Extra mounts as ``src:dst[:mode]`` (``src`` a host path or a volume name);
            ``/nemo_run`` is reserved for the job directory.
        ports: Ports to publish: a port number (``8080``: the container's 8080/tcp on the
            host's 8080) or ``"[host_ip:]host_port:container_port[/protocol]"``. Publishing
            needs a bridge network (``network=<name>``); with ``"host"`` the container's
            ports are the host's already (only same-number items are accepted, and nothing is
            published); with ``"none"`` nothing can be published.
        additional_kwargs: Further keyword arguments of the docker SDK's
            ``containers.create`` (e.g. ``mem_limit``, ``cpu_count``, ``user``, ``init``),
            checked against the SDK's names when the job is dry-run.
        ntasks_per_node: Containers started per task, with ``RANK``, ``LOCAL_RANK`` and
            ``WORLD_SIZE`` set.
        docker_host: Engine URL (``unix:///run/podman/podman.sock``); None reads
            ``$DOCKER_HOST``, else the default socket.
        ship_runner: For a ``Partial``, mount the launcher's ``nr_exec``/``nr_config`` and
            their dependencies read-only into the container and put them on ``PYTHONPATH``;
            the image's Python must then have the launcher's minor version. Set it to False
            when the image has nr-exec installed.
    """

    backend_scheme: ClassVar[str] = "docker"

    container_image: str
    num_gpus: int | None = None
    runtime: str | None = None
    shm_size: str | None = None
    ulimits: list[str] = field(default_factory=list)
    ipc_mode: str | None = None
    healthcheck: dict[str, object] = field(default_factory=dict)
    privileged: bool = False
    network: str = HOST_NETWORK
    volumes: list[str] = field(default_factory=list)
    ports: list[int | str] = field(default_factory=list)
    additional_kwargs: dict[str, object] = field(default_factory=dict)
    ntasks_per_node: int = 1
    packager: Packager = field(default_factory=GitArchivePackager)
    docker_host: str | None = None
    ship_runner: bool = True

    def validate(self) -> None:
        """Check every field.

        Raises:
            ExecutorConfigError: A field has a wrong type or value; the error names it.
        """
        super().validate()
        self._require(
            bool(self.container_image.strip()),
            "container_image",
            "an image name",
            self.container_image,
        )
        gpus = self.num_gpus
        self._require(
            gpus is None or gpus == -1 or gpus >= 1, "num_gpus", "None, -1 (all) or >= 1", gpus
        )
        for item in self.ulimits:
            try:
                parse_ulimit(item)
            except ValueError:
                self._require(
                    False,
                    "ulimits",
                    f"items 'type=soft[:hard]' with type in {sorted(ULIMIT_TYPES)}, soft <= hard",
                    item,
                )
        for item in self.volumes:
            self._require(
                _valid_volume(item),
                "volumes",
                "items 'src:dst[:mode]' (absolute dst other than /nemo_run)",
                item,
            )
        self._require(bool(self.network), "network", "a network mode or name", self.network)
        self._validate_ports()
        for key in self.additional_kwargs:
            self._require(
                bool(_IDENTIFIER.fullmatch(key)), "additional_kwargs", "keyword names", key
            )
            if key in RESERVED_KWARGS:
                self._require(
                    False,
                    "additional_kwargs",
                    f"no {key!r} (set by the backend; use {RESERVED_KWARGS[key]})",
                    key,
                )
        if "device_requests" in self.additional_kwargs:
            self._require(
                self.num_gpus is None,
                "additional_kwargs",
                "no 'device_requests' together with num_gpus",
                "device_requests",
            )
        self._require(
            self.ntasks_per_node >= 1, "ntasks_per_node", "an int >= 1", self.ntasks_per_node
        )
        if self.docker_host is not None:
            self._require(
                "://" in self.docker_host,
                "docker_host",
                "an engine URL (unix://..., tcp://..., ssh://...) or None",
                self.docker_host,
            )

    def _validate_ports(self) -> None:
        expected = "port numbers 1-65535 or '[host_ip:]host_port:container_port[/tcp|udp|sctp]'"
        for item in self.ports:
            try:
                mapping = parse_port(item)
            except ValueError:
                raise ExecutorConfigError(f"{type(self).__name__}.ports", expected, item) from None
            if self.network == HOST_NETWORK:
                self._require(
                    mapping.host_port == mapping.container_port and not mapping.host_ip,
                    "ports",
                    "same-number ports with network='host' (the container's ports are the "
                    "host's; use a bridge network, network=<name>, to map or bind them)",
                    item,
                )
        if self.ports:
            self._require(
                self.network != "none",
                "ports",
                "no ports with network='none' (nothing can be published; use a bridge "
                "network, network=<name>)",
                self.ports,
            )
            try:
                port_bindings(tuple(self.ports))
            except ValueError as exc:
                self._require(False, "ports", f"each container port once ({exc})", self.ports)

    def nproc_per_node(self) -> int:
        """Containers per task (``ntasks_per_node``)."""
        return self.ntasks_per_node

    def resources(self) -> Resources:
        """One node, ``ntasks_per_node`` tasks, ``num_gpus`` GPUs (None for "all" or none)."""
        gpus = self.num_gpus if self.num_gpus is not None and self.num_gpus > 0 else None
        return Resources(nodes=1, ntasks_per_node=self.ntasks_per_node, gpus_per_node=gpus)

    def ships_code(self) -> bool:
        """Whether the packager ships an archive (anything but the passthrough ``Packager``)."""
        return type(self.packager) is not Packager

    def connection(self) -> dict[str, Any]:
        """``{"docker_host": <url>}``, or nothing for the environment's engine.

        With no ``docker_host``, any process reaches the engine of its own ``$DOCKER_HOST``
        (else the default socket).
        """
        return {} if self.docker_host is None else {"docker_host": self.docker_host}

    def placement(self, job_id: str, job_dir: str) -> Placement:
        """The job directory is mounted at ``/nemo_run``; the image's ``python3`` runs tasks.

        The working directory is ``/nemo_run/code`` when code is shipped, else ``/nemo_run``.
        """
        del job_id, job_dir
        return Placement(
            job_dir=CONTAINER_JOB_DIR,
            workdir=f"{CONTAINER_JOB_DIR}/code" if self.ships_code() else CONTAINER_JOB_DIR,
            python="python3",
            launch_context=LaunchContext(
                nnodes=self.nnodes(),
                nproc_per_node=self.nproc_per_node(),
                job_dir=CONTAINER_JOB_DIR,
            ),
            image=self.container_image,
        )

    def settings(self, job_dir: str) -> DockerSettings:
        """The Docker settings of the job whose directory on this host is ``job_dir``."""
        import nr_config  # noqa: PLC0415 - only needed when making specs

        return DockerSettings(
            host_job_dir=str(Path(job_dir).absolute()),
            num_gpus=self.num_gpus,
            runtime=self.runtime,
            shm_size=self.shm_size,
            ulimits=tuple(self.ulimits),
            ipc_mode=self.ipc_mode,
            healthcheck=dict(self.healthcheck),
            privileged=self.privileged,
            network=self.network,
            volumes=tuple(self.volumes),
            ports=tuple(self.ports),
            additional_kwargs=dict(self.additional_kwargs),
            packager=nr_config.dumps_json(
                nr_config.dataclass_to_config(self.packager), indent=None
            ),
            ships_code=self.ships_code(),
            ship_runner=self.ship_runner,
        )
