"""``DockerBackend``: one container per task on a Docker engine (or Podman's Docker API).

Layout. The job directory on this host (``DockerSettings.host_job_dir``) is mounted at
``/nemo_run`` in each of the job's containers and holds::

    code/             the packaged code, extracted (the working directory), when shipped
    configs/ scripts/ the files of the specs
    logs/output.log   the output of every task (appended by each container)
    .exit-<i>.json    the exit marker of task i (runner or wrapper; else the backend)
    exit.json         the job's exit marker, written by the backend once every task ended
    docker.json       the engine and tasks of the job, then the names of its containers

The context's job root (``BackendContext.job_root``, ``<home>/jobs``) indexes job directories
by job id, so the handle ``docker://<engine>/<job-id>`` leads to the job from any process
built with the same home. Containers carry labels (``nemo-run/managed``, ``nemo-run/job-id``,
``nemo-run/experiment-id``, ``nemo-run/task``, ...); ``describe`` and ``find`` list them all
in one engine call, and ``describe`` records how ended ones ended and removes them, including
those left by a launcher that died.

A job is known to the backend (``describe`` is not None, ``find`` returns it) once the engine
received it: it has containers, or had them (its ``docker.json`` names them, or an exit marker
exists). A submit killed before its first container was created, or refused by the engine,
leaves a job nobody knows, which can be submitted again.
"""

import functools
import json
import os
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from nr_exec._fs import index_job_dir, write_staged_files
from nr_exec._logs import read_lines
from nr_exec.backend import Backend, Capabilities
from nr_exec.constants import EnvVar
from nr_exec.context import BackendContext
from nr_exec.docker.cleanup import finalize, is_ended, stop_and_remove, sweep
from nr_exec.docker.client import ContainerInfo, EngineClient
from nr_exec.docker.naming import (
    DEFAULT_ENGINE_URL,
    LABEL_JOB,
    LABEL_TASK,
    MANAGED_FILTER,
    container_name,
    engine_name,
    is_path_safe,
    job_filter,
)
from nr_exec.docker.request import DockerRequest, build_request
from nr_exec.docker.settings import LOG_FILE, STATE_FILE, DockerSettings, task_marker
from nr_exec.docker.status import combine, engine_state, job_marker, task_status
from nr_exec.durable import write_json_atomic
from nr_exec.errors import BackendError, ExitMarkerError
from nr_exec.handle import Handle
from nr_exec.marker import ExitMarker, read_exit_marker, write_exit_marker
from nr_exec.spec import JobSpec
from nr_exec.states import JobState, JobStatus

__all__ = ["DockerBackend"]

_SIGTERM_EXIT = 143
_CONNECTION_KEYS = frozenset({"docker_host"})
_LIVE = frozenset({JobState.RUNNING, JobState.PENDING, JobState.SUBMITTED})


def _read_marker(path: Path) -> ExitMarker | None:
    try:
        return read_exit_marker(path)
    except ExitMarkerError:
        return None


def _docker_host(connection: Mapping[str, Any]) -> str | None:
    unknown = sorted(set(connection) - _CONNECTION_KEYS)
    if unknown:
        raise BackendError(
            f"the docker backend's connection has no key {', '.join(map(repr, unknown))}; "
            "it takes only 'docker_host' (an engine URL, or null for $DOCKER_HOST)"
        )
    host = connection.get("docker_host")
    if host is not None and (not isinstance(host, str) or "://" not in host):
        raise BackendError(
            "the docker backend's connection 'docker_host' must be an engine URL "
            f"(unix://..., tcp://..., ssh://...) or null, got {host!r}"
        )
    return host


class DockerBackend(Backend[DockerSettings, DockerRequest]):
    """Runs jobs as containers (see the module documentation for the layout).

    The engine is ``context.connection["docker_host"]`` (what
    :meth:`DockerExecutor.connection <nr_exec.docker.DockerExecutor.connection>` saves), else
    ``$DOCKER_HOST`` read now, else the default socket. Build it with
    ``nr_exec.backend_for(executor, context=...)``, or from a handle with
    ``nr_exec.backend_for_handle(handle, context=...)``.

    Args:
        context: The store's home, its job root and the engine connection.
        grace_period: Seconds between SIGTERM and SIGKILL when cancelling.

    Raises:
        BackendError: The connection data is not ``{"docker_host": <engine URL or null>}``.
    """

    name: ClassVar[str] = "docker"
    capabilities: ClassVar[Capabilities] = Capabilities(
        detach=True, job_groups=True, retries=True, follow_logs=True, gpus=True
    )
    settings_type = DockerSettings

    def __init__(self, *, context: BackendContext | None = None, grace_period: float = 5.0) -> None:
        super().__init__(context=context)
        self.docker_host = _docker_host(self.context.connection)
        self.grace_period = grace_period
        url = self.docker_host or os.environ.get(EnvVar.DOCKER_HOST.value) or DEFAULT_ENGINE_URL
        self._cluster = engine_name(url)
        self._client: EngineClient | None = None
        self._client_lock = threading.Lock()
        self._pythons: dict[str, str] = {}  # image -> the major.minor of its python3

    @property
    def cluster(self) -> str:
        """The engine's name in handles (see :func:`~nr_exec.docker.naming.engine_name`)."""
        return self._cluster

    @property
    def client(self) -> EngineClient:
        """The engine connection (made on first use)."""
        with self._client_lock:
            if self._client is None:
                self._client = EngineClient(self.docker_host)
            return self._client

    def job_dir(self, handle: Handle) -> Path:
        """The (head) job directory of ``handle``, through the job root."""
        return self.context.job_root / handle.job_id

    # -- dry-run and submit ---------------------------------------------------------------------

    def _dryrun(
        self, group: tuple[JobSpec, ...], settings: tuple[DockerSettings, ...], *, detach: bool
    ) -> DockerRequest:
        """Plan the containers of a job or group; nothing is written, no engine is contacted."""
        return build_request(group, settings, backend=self.name, detach=detach)

    def submit(self, request: DockerRequest) -> Handle:
        """Package the code, write the files, then create and start every container.

        Returns ``docker://<engine>/<job-id>``. If the engine refuses a container (a missing
        image, a bad option), those already made are removed, the job's record and job-root
        entry are taken back, and the job stays unknown (it can be submitted again).

        Before anything is written, each image that gets the launcher's Python stack
        (``request.runner_images``) must have the launcher's ``major.minor`` Python.

        Raises:
            BackendError: The engine refused to create or start a container (the message
                names the engine, the container and the engine's reason), the engine has
                this job already, or an image's Python cannot run the shipped stack.
        """
        self._refuse_known(request.job_id)
        self._check_runner_python(request)
        self._prepare(request)
        names: list[str] = []
        try:
            for task in request.containers:
                names.append(
                    self.client.create(
                        task.arguments,
                        name=container_name(request.job_id, task.index),
                        rename=functools.partial(container_name, request.job_id, task.index),
                    )
                )
            for name in names:
                self.client.start(name)
        except BackendError as exc:
            for name in names:
                self.client.remove(name)
            self._forget(request)
            raise BackendError(f"job {request.job_id} was not submitted: {exc}") from exc
        path = Path(request.host_job_dir) / STATE_FILE
        state = json.loads(path.read_text(encoding="utf-8"))
        state["containers"] = names
        write_json_atomic(path, state)
        return Handle(self.name, self.cluster, request.job_id)

    def _refuse_known(self, job_id: str) -> None:
        state = self._state(job_id)
        if state is None:
            return
        containers = self.client.list([MANAGED_FILTER, job_filter(job_id)])
        if self._received(job_id, state, containers):
            raise BackendError(
                f"job {job_id} was submitted to docker engine {self.cluster} already (find() "
                "returns it); submit a new job under another job id"
            )

    def _check_runner_python(self, request: DockerRequest) -> None:
        """Refuse images whose ``python3`` is not the launcher's ``major.minor``."""
        for image in request.runner_images:
            with self._client_lock:
                found = self._pythons.get(image)
            if found is None:
                found = self.client.python_version(image)
                with self._client_lock:
                    self._pythons[image] = found
            if found != request.runner_python:
                raise BackendError(
                    f"image {image!r} has Python {found or '(unknown)'}, but a Partial there "
                    f"runs on the launcher's Python stack, built for Python "
                    f"{request.runner_python} (ship_runner=True): use an image with Python "
                    f"{request.runner_python}, or install nemo-run in the image and set "
                    "DockerExecutor(ship_runner=False)"
                )

    def _forget(self, request: DockerRequest) -> None:
        """Take back the record and job-root entry of a job the engine refused."""
        head = Path(request.host_job_dir)
        (head / STATE_FILE).unlink(missing_ok=True)
        entry = self.context.job_root / request.job_id
        if entry.is_symlink() and entry.resolve() == head.resolve():
            entry.unlink()

    def _prepare(self, request: DockerRequest) -> None:
        import nr_config  # noqa: PLC0415 - only needed to rebuild packagers
        from nr_package import extract_archive  # noqa: PLC0415 - only needed when submitting

        for job_dir in {task.host_job_dir for task in request.containers}:
            (Path(job_dir) / "logs").mkdir(parents=True, exist_ok=True)
        write_staged_files(request.files)
        for code in request.code:
            packager = nr_config.build(nr_config.loads_json(code.packager))
            result = packager.package(Path.cwd(), Path(code.host_job_dir), "code")
            if result is not None:
                extract_archive(result.archive, Path(code.host_job_dir) / "code")
        head = Path(request.host_job_dir)
        state = {
            "job_id": request.job_id,
            "engine": self.cluster,
            "docker_host": self.docker_host,
            "tasks": [
                {"index": t.index, "name": t.name, "job_dir": t.host_job_dir}
                for t in request.containers
            ],
            "containers": [],
        }
        write_json_atomic(head / STATE_FILE, state)
        index_job_dir(self.context.job_root, request.job_id, head)

    # -- what the backend knows -----------------------------------------------------------------

    def _state(self, job_id: str) -> dict[str, Any] | None:
        """The job's ``docker.json``, if the job root indexes a job of this engine by that id."""
        if not is_path_safe(job_id):
            return None
        try:
            text = (self.context.job_root / job_id / STATE_FILE).read_text(encoding="utf-8")
            state = json.loads(text)
        except (OSError, ValueError):
            return None
        if not isinstance(state, dict) or state.get("engine") != self.cluster:
            return None
        return state

    def _received(
        self, job_id: str, state: Mapping[str, Any], containers: list[ContainerInfo]
    ) -> bool:
        """Whether the engine received the job: it has, or had, containers."""
        if containers or state.get("containers"):
            return True
        if (self.context.job_root / job_id / "exit.json").exists():
            return True
        tasks = state.get("tasks")
        return isinstance(tasks, list) and any(
            (Path(t["job_dir"]) / task_marker(int(t["index"]))).exists() for t in tasks
        )

    def _containers_by_job(self) -> dict[str, list[ContainerInfo]]:
        """Every managed container of the engine, by job id (one engine call)."""
        by_job: dict[str, list[ContainerInfo]] = {}
        for info in self.client.list([MANAGED_FILTER]):
            by_job.setdefault(info.labels.get(LABEL_JOB, ""), []).append(info)
        return by_job

    def _ours(self, handle: Handle) -> bool:
        return handle.backend == self.name and handle.cluster == self.cluster

    def describe(self, handles: Sequence[Handle]) -> dict[Handle, JobStatus | None]:
        """Status of every job from one container listing plus the exit markers.

        Jobs of another engine or backend, and jobs the engine never received, are None.
        Ended containers are recorded and removed on the way, those of other jobs too (left
        by a launcher that died before it saw them end).
        """
        if not any(self._ours(h) for h in handles):
            return dict.fromkeys(handles)
        by_job = self._containers_by_job()
        result: dict[Handle, JobStatus | None] = {}
        for handle in handles:
            result[handle] = self._describe(handle, by_job.get(handle.job_id, []))
        asked = {handle.job_id for handle in handles}
        sweep(self.client, [i for job, infos in by_job.items() if job not in asked for i in infos])
        return result

    def _describe(self, handle: Handle, containers: list[ContainerInfo]) -> JobStatus | None:
        if not self._ours(handle):
            return None
        state = self._state(handle.job_id)
        if state is None or not self._received(handle.job_id, state, containers):
            return None
        done = self.job_dir(handle) / "exit.json"
        marker = _read_marker(done)
        if marker is not None:
            stop_and_remove(self.client, containers, 0)
            return task_status(marker)
        tasks = state.get("tasks")
        if not isinstance(tasks, list):
            return JobStatus(JobState.UNKNOWN, message=f"invalid {STATE_FILE} of {handle.job_id}")
        by_task = {info.labels.get(LABEL_TASK): info for info in containers}
        statuses: list[JobStatus] = []
        markers: list[ExitMarker | None] = []
        for task in tasks:
            index = int(task["index"])
            info = by_task.get(str(index))
            live = engine_state(info.state) if info is not None else None
            if info is not None and live is not None:
                statuses.append(JobStatus(live))
                markers.append(None)
                continue
            if info is None:
                recorded = _read_marker(Path(task["job_dir"]) / task_marker(index))
            else:
                recorded = finalize(self.client, info)
                if recorded is None:  # the engine restarts it: its last marker is not the end
                    statuses.append(JobStatus(JobState.RUNNING))
                    markers.append(None)
                    continue
            statuses.append(task_status(recorded))
            markers.append(recorded)
        combined = combine(statuses)
        if combined.state is JobState.FAILED:
            stop_and_remove(self.client, [i for i in containers if not is_ended(i)], 0)
        if not combined.is_terminal:
            return combined
        write_exit_marker(done, job_marker(combined, markers), exclusive=True)
        final = _read_marker(done)
        return task_status(final) if final is not None else combined

    def find(self, names: Sequence[str]) -> dict[str, Handle]:
        """Jobs of this engine by job id: one container listing plus the job index.

        A name is found when the job root indexes a job of this engine by that id and the
        engine received it (it has containers, or had them and recorded how they ended).
        """
        by_job = self._containers_by_job()
        found: dict[str, Handle] = {}
        for name in dict.fromkeys(names):
            state = self._state(name)
            if state is not None and self._received(name, state, by_job.get(name, [])):
                found[name] = Handle(self.name, self.cluster, name)
        return found

    # -- logs -----------------------------------------------------------------------------------

    def logs(self, handle: Handle, *, follow: bool = False, since: int = 0) -> Iterator[str]:
        """Yield lines of the job's log (every task's output) from byte offset ``since``.

        With ``follow``, keep yielding until the job has ended and the file is exhausted.
        """

        def live() -> bool:
            status = self.describe([handle])[handle]
            return status is not None and status.state in _LIVE

        return read_lines(self.job_dir(handle) / LOG_FILE, since=since, follow=follow, live=live)

    # -- cancel ---------------------------------------------------------------------------------

    def _cancel_existing(self, handles: Sequence[Handle]) -> None:
        """Stop and remove every container of the jobs together, and mark them cancelled.

        Containers get SIGTERM, then SIGKILL after the grace period. A job that ended in the
        meantime keeps its own ``exit.json``.
        """
        wanted = {handle.job_id for handle in handles}
        containers = [
            info
            for job, infos in self._containers_by_job().items()
            if job in wanted
            for info in infos
        ]
        started = time.monotonic()
        stop_and_remove(self.client, containers, self.grace_period)
        marker = ExitMarker.now(
            _SIGTERM_EXIT,
            started=None,
            writer="cancel",
            error=f"cancelled (containers stopped in {time.monotonic() - started:.1f}s)",
            cancelled=True,
        )
        for handle in handles:
            write_exit_marker(self.job_dir(handle) / "exit.json", marker, exclusive=True)

    def close(self) -> None:
        """Close the engine connection; containers keep running."""
        with self._client_lock:
            if self._client is not None:
                self._client.close()
                self._client = None
