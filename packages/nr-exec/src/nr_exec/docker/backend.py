"""``DockerBackend``: one container per task on a Docker engine (or Podman's Docker API).

Layout. The job directory on this host (``spec.backend_options["host_job_dir"]``) is
mounted at ``/nemo_run`` in each of the job's containers and holds::

    code/             the packaged code, extracted (the working directory), when shipped
    configs/ scripts/ the files of the specs
    logs/output.log   the output of every task (appended by each container)
    .exit-<i>.json    the exit marker of task i (runner or wrapper; else the backend)
    exit.json         the job's exit marker, written by the backend once every task ended
    docker.json       the engine and tasks of the job

Like the local backend, the backend's root (default ``$NEMORUN_HOME/jobs``) indexes job
directories by job id, so the handle ``docker://<engine>/<job-id>`` leads to the job from any
process. Containers carry labels (``nemo-run/managed``, ``nemo-run/job-id``,
``nemo-run/experiment-id``, ``nemo-run/task``, ...); ``status`` lists them all in one call,
records how ended ones ended and removes them, including those left by a launcher that died.
"""

import functools
import json
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import ClassVar

from nr_exec._fs import index_job_dir, nemorun_home, write_json_atomic, write_staged_files
from nr_exec._logs import read_lines
from nr_exec.backend import Backend, Capabilities, Request
from nr_exec.docker.cleanup import finalize, is_ended, stop_and_remove, sweep
from nr_exec.docker.client import ContainerInfo, EngineClient
from nr_exec.docker.naming import (
    LABEL_JOB,
    LABEL_TASK,
    MANAGED_FILTER,
    container_name,
    engine_name,
    job_filter,
)
from nr_exec.docker.request import DockerRequest, build_request
from nr_exec.docker.settings import LOG_FILE, STATE_FILE, task_marker
from nr_exec.docker.status import combine, engine_state, job_marker, task_status
from nr_exec.errors import BackendError, ExitMarkerError
from nr_exec.handle import Handle
from nr_exec.marker import ExitMarker, read_exit_marker, write_exit_marker
from nr_exec.spec import JobSpec
from nr_exec.states import JobState, JobStatus

__all__ = ["DockerBackend"]

_SIGTERM_EXIT = 143


def _read_marker(path: Path) -> ExitMarker | None:
    try:
        return read_exit_marker(path)
    except ExitMarkerError:
        return None


class DockerBackend(Backend):
    """Runs jobs as containers (see the module documentation for the layout).

    Args:
        docker_host: Engine URL; None reads ``$DOCKER_HOST``, else the default socket.
        root: Directory indexing jobs by id (default ``$NEMORUN_HOME/jobs``, read now).
        grace_period: Seconds between SIGTERM and SIGKILL when cancelling.
    """

    name: ClassVar[str] = "docker"
    capabilities: ClassVar[Capabilities] = Capabilities(
        detach=True, job_groups=True, retries=True, follow_logs=True, gpus=True
    )

    def __init__(
        self,
        docker_host: str | None = None,
        *,
        root: str | Path | None = None,
        grace_period: float = 5.0,
    ) -> None:
        self.docker_host = docker_host
        self.root = Path(root) if root is not None else nemorun_home() / "jobs"
        self.grace_period = grace_period
        self._client: EngineClient | None = None

    @property
    def client(self) -> EngineClient:
        """The engine connection (made on first use)."""
        if self._client is None:
            self._client = EngineClient(self.docker_host)
        return self._client

    @property
    def engine(self) -> str:
        """The cluster part of this backend's handles (see :func:`naming.engine_name`)."""
        return engine_name(self.client.base_url)

    # -- dry-run and submit ---------------------------------------------------------------------

    def dryrun(self, specs: JobSpec | Sequence[JobSpec], *, detach: bool = False) -> DockerRequest:
        """Plan one job, or a group of jobs started together (one container per task).

        Nothing is written and the engine is not contacted.
        """
        group = (specs,) if isinstance(specs, JobSpec) else tuple(specs)
        self.check_supported(group, detach=detach)
        return build_request(group, backend=self.name, detach=detach)

    def submit(self, request: Request) -> Handle:
        """Package the code, write the files, then create and start every container.

        Returns ``docker://<engine>/<job-id>``. If a container cannot be created or started,
        those already made are removed and :class:`~nr_exec.errors.BackendError` is raised.
        """
        if not isinstance(request, DockerRequest):
            raise BackendError(f"the docker backend cannot submit a {type(request).__name__}")
        if request.docker_host not in (None, self.docker_host):
            raise BackendError(
                f"the job asks for engine {request.docker_host}, this backend uses "
                f"{self.docker_host or 'the default engine'}"
            )
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
        except BackendError:
            for name in names:
                self.client.remove(name)
            raise
        state = json.loads((Path(request.host_job_dir) / STATE_FILE).read_text(encoding="utf-8"))
        state["containers"] = names
        write_json_atomic(Path(request.host_job_dir) / STATE_FILE, state)
        return Handle(self.name, self.engine, request.job_id)

    def _prepare(self, request: DockerRequest) -> None:
        import nr_config  # noqa: PLC0415 - only needed to rebuild packagers
        from nr_package import extract_archive  # noqa: PLC0415 - only needed when submitting

        for job_dir in {task.host_job_dir for task in request.containers}:
            (Path(job_dir) / "logs").mkdir(parents=True, exist_ok=True)
        write_staged_files(request.files)
        for code in request.code:
            packager = nr_config.build(nr_config.loads_json(code.packager))
            result = packager.package(Path.cwd(), Path(code.host_job_dir), "code")
            if result.archive is not None:
                extract_archive(result.archive, Path(code.host_job_dir) / "code")
        head = Path(request.host_job_dir)
        state = {
            "job_id": request.job_id,
            "engine": self.engine,
            "docker_host": self.docker_host,
            "tasks": [
                {"index": t.index, "name": t.name, "job_dir": t.host_job_dir}
                for t in request.containers
            ],
            "containers": [],
        }
        write_json_atomic(head / STATE_FILE, state)
        index_job_dir(self.root, request.job_id, head)

    # -- status ---------------------------------------------------------------------------------

    def job_dir(self, handle: Handle) -> Path:
        """Return the (head) job directory of ``handle`` on this host."""
        return self.root / handle.job_id

    def _state(self, handle: Handle) -> dict[str, object] | None:
        try:
            text = (self.job_dir(handle) / STATE_FILE).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        state: dict[str, object] = json.loads(text)
        return state

    def status(self, handles: Sequence[Handle]) -> dict[Handle, JobStatus]:
        """Status of every job from one container listing plus the exit markers.

        Ended containers are recorded and removed on the way, those of other jobs too (left
        by a launcher that died before it saw them end).
        """
        by_job: dict[str, list[ContainerInfo]] = {}
        for info in self.client.list([MANAGED_FILTER]):
            by_job.setdefault(info.labels.get(LABEL_JOB, ""), []).append(info)
        result = {
            handle: self._job_status(handle, by_job.get(handle.job_id, [])) for handle in handles
        }
        asked = {handle.job_id for handle in handles}
        sweep(self.client, [i for job, infos in by_job.items() if job not in asked for i in infos])
        return result

    def _job_status(self, handle: Handle, containers: list[ContainerInfo]) -> JobStatus:
        if handle.backend != self.name or handle.cluster != self.engine:
            return JobStatus(
                JobState.UNKNOWN, message=f"not a job of docker engine {self.engine}: {handle}"
            )
        state = self._state(handle)
        if state is None:
            return JobStatus(
                JobState.UNKNOWN, message=f"no record of job {handle.job_id} in {self.root}"
            )
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
            recorded = finalize(self.client, info) if info is not None else None
            recorded = recorded or _read_marker(Path(task["job_dir"]) / task_marker(index))
            if info is not None and recorded is None:  # restarting after all
                statuses.append(JobStatus(JobState.RUNNING))
            else:
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

    # -- logs -----------------------------------------------------------------------------------

    def logs(self, handle: Handle, *, follow: bool = False, since: int = 0) -> Iterator[str]:
        """Yield lines of the job's log (every task's output) from byte offset ``since``.

        With ``follow``, keep yielding until the job has ended and the file is exhausted.
        """

        def live() -> bool:
            state = self.status([handle])[handle].state
            return state in (JobState.RUNNING, JobState.PENDING, JobState.SUBMITTED)

        return read_lines(self.job_dir(handle) / LOG_FILE, since=since, follow=follow, live=live)

    # -- cancel ---------------------------------------------------------------------------------

    def cancel(self, handle: Handle) -> None:
        """Stop and remove every container of the job, and mark it cancelled.

        Containers get SIGTERM, then SIGKILL after the grace period. A job that has ended keeps
        its outcome; cancelling it again does nothing.

        Raises:
            BackendError: ``handle`` is not a job of this engine.
        """
        if handle.backend != self.name or handle.cluster != self.engine:
            raise BackendError(f"cannot cancel {handle}: not a job of docker engine {self.engine}")
        status = self.status([handle])[handle]
        containers = self.client.list([MANAGED_FILTER, job_filter(handle.job_id)])
        if status.is_terminal:
            stop_and_remove(self.client, containers, 0)
            return
        started = time.monotonic()
        stop_and_remove(self.client, containers, self.grace_period)
        if self._state(handle) is None:
            return
        marker = ExitMarker.now(
            _SIGTERM_EXIT,
            started=None,
            writer="cancel",
            error=f"cancelled (containers stopped in {time.monotonic() - started:.1f}s)",
            cancelled=True,
        )
        write_exit_marker(self.job_dir(handle) / "exit.json", marker, exclusive=True)

    def close(self) -> None:
        """Close the engine connection; containers keep running."""
        if self._client is not None:
            self._client.close()
            self._client = None
