"""``DockerRequest``: the exact ``containers.create`` arguments of every container of a job."""

import json
from dataclasses import dataclass

from nr_exec.backend import Request
from nr_exec.docker.client import accepted_create_kwargs
from nr_exec.docker.naming import is_path_safe, labels
from nr_exec.docker.ports import port_bindings
from nr_exec.docker.runtime import runner_mounts, runner_python
from nr_exec.docker.settings import (
    CONTAINER_JOB_DIR,
    HOST_NETWORK,
    LOG_FILE,
    RUNTIME_DIR,
    DockerSettings,
    parse_ulimit,
    task_marker,
)
from nr_exec.errors import BackendError, ExecutorConfigError
from nr_exec.marker import EXIT_MARKER_ENV
from nr_exec.spec import JobSpec, StagedFile

__all__ = [
    "LOG_ENTRYPOINT",
    "CodePackage",
    "ContainerTask",
    "DockerRequest",
    "build_request",
]

#: Entrypoint of every container: sends the job's output to the job log, then runs the command.
LOG_ENTRYPOINT = (
    "/bin/sh",
    "-c",
    'log=$1; shift; exec >>"$log" 2>&1; exec "$@"',
    "nr-exec-log",
    f"{CONTAINER_JOB_DIR}/{LOG_FILE}",
)
_RUNNER_MODULE = "nr_exec.runner"


@dataclass(frozen=True)
class ContainerTask:
    """One container of a job.

    Attributes:
        index: Task index within the job (0 for the first).
        name: Name of the task's spec.
        host_job_dir: The task's job directory on this host.
        arguments: Keyword arguments of ``containers.create`` (all but ``name``).
    """

    index: int
    name: str
    host_job_dir: str
    arguments: dict[str, object]


@dataclass(frozen=True)
class CodePackage:
    """Code to package and extract into ``<host_job_dir>/code`` before the containers start.

    Attributes:
        packager: The packager as nr-config JSON.
        host_job_dir: The job directory on this host.
    """

    packager: str
    host_job_dir: str


@dataclass(frozen=True)
class DockerRequest(Request):
    """What :meth:`DockerBackend.submit` does: package, write files, start the containers.

    Attributes:
        job_id: The job's id (the first spec's), in its handle and labels.
        host_job_dir: The first spec's job directory on this host (log, markers, state).
        containers: One entry per container, all started together.
        code: The code packages to extract (one per packager and job directory).
        files: The files to write.
        runner_images: The images that get the launcher's Python stack (``ship_runner``);
            submit checks that each one's ``python3`` is ``runner_python``.
        runner_python: The launcher's Python ``major.minor`` (what those images need).
    """

    job_id: str = ""
    host_job_dir: str = ""
    containers: tuple[ContainerTask, ...] = ()
    code: tuple[CodePackage, ...] = ()
    files: tuple[StagedFile, ...] = ()
    runner_images: tuple[str, ...] = ()
    runner_python: str = ""

    def materialize(self) -> str:
        """Return the plan as JSON: containers (``containers.create`` arguments), code, files.

        A container's name is ``nr-<job id>-<task>-<random>``, drawn at submit. ``runner``
        names the images that get the launcher's Python stack and the Python they need.
        """
        plan = {
            "job_id": self.job_id,
            "job_dir": self.host_job_dir,
            "containers": [
                {
                    "task": task.index,
                    "name": f"nr-{self.job_id}-{task.index}-<random>",
                    "job_dir": task.host_job_dir,
                    "arguments": task.arguments,
                }
                for task in self.containers
            ],
            "code": [
                {"packager": json.loads(c.packager), "target": f"{c.host_job_dir}/code"}
                for c in self.code
            ],
            "files": [f.path for f in self.files],
            "runner": {"images": list(self.runner_images), "python": self.runner_python},
        }
        return json.dumps(plan, sort_keys=True, indent=2)


def _ulimit(text: str) -> tuple[str, int, int]:
    try:
        return parse_ulimit(text)
    except ValueError:
        raise BackendError(
            f"invalid ulimit {text!r} in the Docker settings (expected 'type=soft[:hard]' with "
            f"soft <= hard)"
        ) from None


def _ports(settings: DockerSettings) -> dict[str, int | tuple[str, int]]:
    try:
        return port_bindings(settings.ports)
    except ValueError as exc:
        raise BackendError(
            f"invalid ports {list(settings.ports)!r} in the Docker settings (expected port "
            f"numbers or '[host_ip:]host_port:container_port[/protocol]', each container port "
            f"once): {exc}"
        ) from None


def _check_kwargs(settings: DockerSettings) -> None:
    accepted = accepted_create_kwargs()
    unknown = sorted(set(settings.additional_kwargs) - accepted)
    if unknown:
        raise ExecutorConfigError(
            "DockerExecutor.additional_kwargs",
            "keyword arguments of the docker SDK's containers.create",
            unknown,
        )


def ships_runner(spec: JobSpec, settings: DockerSettings) -> bool:
    """Whether the spec's containers get the launcher's Python stack (a ``Partial``)."""
    return settings.ship_runner and _RUNNER_MODULE in spec.argv


def _environment(
    spec: JobSpec, settings: DockerSettings, index: int, rank: int, count: int
) -> dict[str, str]:
    env = {
        "NR_EXEC_JOB_ID": spec.job_id,
        "NR_EXEC_JOB_DIR": CONTAINER_JOB_DIR,
        **spec.env,
        EXIT_MARKER_ENV: f"{CONTAINER_JOB_DIR}/{task_marker(index)}",
    }
    if count > 1:
        env.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(count))
    if ships_runner(spec, settings):
        path = spec.env.get("PYTHONPATH")
        env["PYTHONPATH"] = f"{path}:{RUNTIME_DIR}" if path else RUNTIME_DIR
    return env


def container_arguments(
    spec: JobSpec,
    settings: DockerSettings,
    *,
    job_id: str,
    index: int,
    rank: int,
    tasks: int,
    head_dir: str,
) -> dict[str, object]:
    """The ``containers.create`` arguments (but ``name``) of task ``index`` of a job.

    A group member whose job directory is not the head's (``head_dir``) gets the head's
    ``logs/`` mounted over its own, so that the job's log holds every task's output.
    """
    if not spec.image:
        raise BackendError(f"job {spec.name!r} has no container image")
    volumes = [f"{settings.host_job_dir}:{CONTAINER_JOB_DIR}:rw"]
    if settings.host_job_dir != head_dir:
        log_dir = LOG_FILE.rsplit("/", 1)[0]
        volumes.append(f"{head_dir}/{log_dir}:{CONTAINER_JOB_DIR}/{log_dir}:rw")
    volumes += settings.volumes
    if ships_runner(spec, settings):
        volumes += runner_mounts()
    arguments: dict[str, object] = {
        "image": spec.image,
        "entrypoint": list(LOG_ENTRYPOINT),
        "command": list(spec.argv),
        "environment": _environment(spec, settings, index, rank, spec.resources.ntasks_per_node),
        "working_dir": spec.workdir or CONTAINER_JOB_DIR,
        "labels": labels(
            job_id=job_id,
            experiment_id=spec.experiment_id,
            task=index,
            tasks=tasks,
            name=spec.name,
            host_job_dir=settings.host_job_dir,
        ),
        "volumes": volumes,
        "network_mode": settings.network,
        "auto_remove": False,
        "init": True,
    }
    optional: dict[str, object | None] = {
        "runtime": settings.runtime,
        "shm_size": settings.shm_size,
        "ipc_mode": settings.ipc_mode,
        "healthcheck": dict(settings.healthcheck) or None,
        "privileged": settings.privileged or None,
    }
    arguments.update({k: v for k, v in optional.items() if v is not None})
    if settings.ulimits:
        arguments["ulimits"] = [
            {"name": n, "soft": s, "hard": h} for n, s, h in map(_ulimit, settings.ulimits)
        ]
    if settings.ports and settings.network != HOST_NETWORK:
        arguments["ports"] = _ports(settings)
    if settings.num_gpus is not None:
        arguments["device_requests"] = [{"count": settings.num_gpus, "capabilities": [["gpu"]]}]
    if spec.retries:
        arguments["restart_policy"] = {"Name": "on-failure", "MaximumRetryCount": spec.retries}
    arguments.update(settings.additional_kwargs)
    return arguments


def _check_paths(job_id: str, settings: DockerSettings) -> None:
    if not is_path_safe(job_id):
        raise BackendError(f"job id {job_id!r} is not path-safe (it names a directory)")
    if not settings.host_job_dir.startswith("/"):
        raise BackendError(
            f"the host job directory of job {job_id!r} must be an absolute path, "
            f"got {settings.host_job_dir!r}"
        )


def build_request(
    group: tuple[JobSpec, ...],
    settings: tuple[DockerSettings, ...],
    *,
    backend: str,
    detach: bool,
) -> DockerRequest:
    """Make the request running ``group`` (a job or a group) as one container per task.

    Args:
        group: The specs (at least one); the first one's job id names the job.
        settings: Each spec's Docker settings, in order.
        backend: The backend's name.
        detach: Whether the job must outlive the launching process.

    Raises:
        BackendError: A spec has no image, an unsafe job id or host directory, or bad
            ulimits.
        ExecutorConfigError: ``additional_kwargs`` names an argument the SDK does not accept.
        MissingExtraError: The docker SDK is not installed.
    """
    head = group[0]
    tasks = sum(spec.resources.ntasks_per_node for spec in group)
    containers: list[ContainerTask] = []
    for spec, spec_settings in zip(group, settings, strict=True):
        _check_paths(head.job_id, spec_settings)
        _check_kwargs(spec_settings)
        for rank in range(spec.resources.ntasks_per_node):
            index = len(containers)
            arguments = container_arguments(
                spec,
                spec_settings,
                job_id=head.job_id,
                index=index,
                rank=rank,
                tasks=tasks,
                head_dir=settings[0].host_job_dir,
            )
            containers.append(
                ContainerTask(index, spec.name, spec_settings.host_job_dir, arguments)
            )
    code = {CodePackage(s.packager, s.host_job_dir): None for s in settings if s.ships_code}
    files = tuple(
        f.staged(s.host_job_dir)
        for spec, s in zip(group, settings, strict=True)
        for f in spec.files
    )
    images = {
        spec.image: None
        for spec, s in zip(group, settings, strict=True)
        if spec.image and ships_runner(spec, s)
    }
    return DockerRequest(
        backend=backend,
        specs=group,
        detach=detach,
        job_id=head.job_id,
        host_job_dir=settings[0].host_job_dir,
        containers=tuple(containers),
        code=tuple(code),
        files=files,
        runner_images=tuple(images),
        runner_python=runner_python() if images else "",
    )
