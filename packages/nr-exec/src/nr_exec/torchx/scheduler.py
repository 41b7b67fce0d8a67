"""nr-exec backends as TorchX schedulers: one generic scheduler over the backend registry.

:func:`scheduler_factory` turns any registered backend scheme into a TorchX scheduler
factory. The built-in backends are registered in the entry-point group ``torchx.schedulers``
as ``nr_local``, ``nr_docker`` and ``nr_slurm`` (TorchX's own schedulers are listed there
too, so they stay visible): ``torchx run -s nr_local utils.echo --msg hi``.

App ids are the backend handles' job ids; the TorchX handle is
``<scheduler>://<session>/<job-id>``, and the backend's handle is
``<scheme>://<backend cluster>/<job-id>``. The backend is built on first use, so listing
TorchX's schedulers or their run options contacts no service. ``list()`` returns nothing:
backends find jobs by name (``Backend.find``) but keep no list of them.
"""

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from nr_exec.backend import Backend
from nr_exec.context import BackendContext
from nr_exec.errors import ExecError
from nr_exec.executor import Executor
from nr_exec.extras import require_extra
from nr_exec.handle import Handle
from nr_exec.registry import backend_for, create_backend
from nr_exec.torchx.appdef import appdef_to_specs

require_extra("torchx", "torchx", feature="the TorchX adapter")

from torchx import specs  # type: ignore[import-untyped]  # noqa: E402 - after the extra check
from torchx.schedulers.api import (  # type: ignore[import-untyped]  # noqa: E402
    DescribeAppResponse,
    ListAppResponse,
    Scheduler,
    Stream,
    filter_regex,
)

__all__ = [
    "BackendScheduler",
    "create_docker_scheduler",
    "create_local_scheduler",
    "create_slurm_scheduler",
    "scheduler_factory",
]

Cfg = Mapping[str, Any]
SchedulerFactory = Callable[..., "BackendScheduler"]


class BackendScheduler(Scheduler[Cfg]):  # type: ignore[misc]  # TorchX is untyped
    """A TorchX scheduler running apps on an nr-exec backend.

    Args:
        scheduler: TorchX scheduler name (the TorchX handles' scheme), e.g. ``"nr_local"``.
        session_name: TorchX session name.
        make_backend: Builds the backend, on first use.
        executor: Places the apps' jobs and gives their backend settings (see
            :func:`~nr_exec.torchx.appdef_to_specs`); None to use the job specs as made
            from the ``AppDef``.
    """

    def __init__(
        self,
        scheduler: str,
        session_name: str,
        make_backend: Callable[[], Backend[Any, Any]],
        *,
        executor: Executor | None = None,
    ) -> None:
        super().__init__(scheduler, session_name)
        self._make_backend = make_backend
        self._backend: Backend[Any, Any] | None = None
        self.executor = executor

    @property
    def nr_backend(self) -> Backend[Any, Any]:
        """The nr-exec backend (built on first use)."""
        if self._backend is None:
            self._backend = self._make_backend()
        return self._backend

    def _handle(self, app_id: str) -> Handle:
        backend = self.nr_backend
        return Handle(backend.name, backend.cluster, app_id)

    def _run_opts(self) -> specs.runopts:
        opts = specs.runopts()
        opts.add("job_root", type_=str, help="directory of the job directories", default=None)
        return opts

    def _submit_dryrun(self, app: specs.AppDef, cfg: Cfg) -> specs.AppDryRunInfo[Any]:
        backend = self.nr_backend
        job_root = cfg.get("job_root") or str(backend.context.job_root)
        group = appdef_to_specs(app, job_root=str(job_root), executor=self.executor)
        request = backend.dryrun(group)
        return specs.AppDryRunInfo(request, lambda r: str(r.materialize()))

    def schedule(self, dryrun_info: specs.AppDryRunInfo[Any]) -> str:
        """Submit the request made by the dry-run; returns the job id."""
        return self.nr_backend.submit(dryrun_info.request).job_id

    def describe(self, app_id: str) -> DescribeAppResponse | None:
        """Map the backend's status to TorchX's; None for a job the backend does not know.

        The response has one role with one replica, named after the job (the app id without
        its time stamp and random suffix): the backend keeps one combined log of all roles
        and replicas, which ``torchx log <handle>`` then prints once.
        """
        handle = self._handle(app_id)
        status = self.nr_backend.describe([handle]).get(handle)
        if status is None:
            return None
        state = specs.AppState[status.state.value]
        role = _job_name(app_id)
        return DescribeAppResponse(
            app_id=app_id,
            state=state,
            num_restarts=status.retries,
            msg=status.message,
            roles=[specs.Role(name=role, image="", num_replicas=1)],
            roles_statuses=[
                specs.RoleStatus(role, [specs.ReplicaStatus(0, state, role, "localhost")])
            ],
        )

    def list(self) -> list[ListAppResponse]:
        """Return nothing: backends find jobs by name but keep no list of them."""
        return []

    def _cancel_existing(self, app_id: str) -> None:
        self.nr_backend.cancel([self._handle(app_id)])

    def log_iter(  # noqa: PLR0917 - TorchX's signature
        self,
        app_id: str,
        role_name: str,
        k: int = 0,
        regex: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        should_tail: bool = False,
        streams: Stream | None = None,
    ) -> Iterable[str]:
        """The job's combined output (all roles and replicas share it); time bounds are ignored."""
        del role_name, k, since, until, streams
        lines: Iterable[str] = self.nr_backend.logs(self._handle(app_id), follow=should_tail)
        return filter_regex(regex, lines) if regex else lines

    def close(self) -> None:
        """Close the backend, if it was built."""
        if self._backend is not None:
            self._backend.close()


def _job_name(job_id: str) -> str:
    """The name part of a ``<name>-<yyyymmddHHMMSS>-<8 hex>`` job id (else the id itself)."""
    parts = job_id.rsplit("-", 2)
    if len(parts) == 3 and len(parts[1]) == 14 and parts[1].isdigit() and len(parts[2]) == 8:
        return parts[0]
    return job_id


def _backend_maker(
    scheme: str, executor: Executor | None, options: Mapping[str, Any]
) -> Callable[[], Backend[Any, Any]]:
    job_root = options.get("job_root")
    context = BackendContext(
        home=BackendContext.default(options.get("home")).home,
        job_root=Path(job_root) if job_root is not None else Path(),
    )
    if executor is not None:
        return lambda: backend_for(executor, context=context)
    connection = options.get("connection") or {}
    cluster = str(options.get("cluster") or "")
    return lambda: create_backend(scheme, cluster, context=context.with_connection(connection))


def _executor(name: str, scheme: str, options: Mapping[str, Any]) -> Executor | None:
    executor = options.get("executor")
    if executor is None:
        return None
    if not isinstance(executor, Executor):
        raise ExecError(
            f"{name}: 'executor' must be an nr-exec Executor, got {type(executor).__name__}"
        )
    # A runner hands its options to every scheduler it makes: another backend's executor
    # is meant for another scheduler.
    return executor if executor.backend_scheme == scheme else None


def _check_options(name: str, options: Mapping[str, Any]) -> None:
    for key in ("home", "job_root"):
        value = options.get(key)
        if value is not None and not isinstance(value, (str, Path)):
            raise ExecError(f"{name}: {key!r} must be a path, got {type(value).__name__}")
    connection = options.get("connection")
    if connection is not None and not isinstance(connection, Mapping):
        raise ExecError(
            f"{name}: 'connection' must be a mapping (Executor.connection() data), got "
            f"{type(connection).__name__}"
        )


def scheduler_factory(scheme: str, name: str | None = None) -> SchedulerFactory:
    """Return the TorchX scheduler factory of the backend registered under ``scheme``.

    The factory is called by TorchX as ``factory(session_name, **options)``. Options (all
    optional): ``executor`` (an executor of that backend: builds the backend from its
    connection and places the jobs; an executor of another backend is ignored, since a
    TorchX runner hands the same options to every scheduler), ``cluster`` and
    ``connection`` (the handle's cluster part and ``Executor.connection()`` data, when no
    executor is given), ``home`` and ``job_root`` (the backend's context; default
    ``$NEMORUN_HOME``). Other options are ignored, as TorchX's own schedulers do: TorchX
    passes one per ``TORCHX_*`` environment variable.

    Args:
        scheme: The backend's scheme in the ``nr_exec.backends`` registry.
        name: The TorchX scheduler name (default ``nr_<scheme>``).

    Returns:
        The factory; it raises :class:`~nr_exec.ExecError` for an option of the wrong type.
    """
    scheduler = name or f"nr_{scheme}"

    def create(session_name: str, **options: Any) -> BackendScheduler:
        executor = _executor(scheduler, scheme, options)
        _check_options(scheduler, options)
        return BackendScheduler(
            scheduler, session_name, _backend_maker(scheme, executor, options), executor=executor
        )

    create.__name__ = f"create_{scheme}_scheduler"
    create.__doc__ = f"Entry point of the ``{scheduler}`` TorchX scheduler (the {scheme} backend)."
    return create


#: The ``nr_local`` TorchX scheduler (the local backend).
create_local_scheduler = scheduler_factory("local")
#: The ``nr_docker`` TorchX scheduler (the Docker backend).
create_docker_scheduler = scheduler_factory("docker")
#: The ``nr_slurm`` TorchX scheduler (the Slurm backend).
create_slurm_scheduler = scheduler_factory("slurm")
