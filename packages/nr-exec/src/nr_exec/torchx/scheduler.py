"""nr-exec backends as TorchX schedulers.

App ids are the backend's job ids; the TorchX handle is ``<scheduler>://<session>/<job-id>``.
``list()`` returns nothing: backends keep no global registry of jobs.
"""

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from nr_exec.backend import Backend
from nr_exec.errors import ExecError
from nr_exec.extras import require_extra
from nr_exec.handle import Handle
from nr_exec.local.backend import LocalBackend
from nr_exec.states import JobState
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

__all__ = ["BackendScheduler", "create_local_scheduler"]

Cfg = Mapping[str, Any]


class BackendScheduler(Scheduler[Cfg]):  # type: ignore[misc]  # TorchX is untyped
    """A TorchX scheduler running apps on an nr-exec backend.

    Args:
        scheduler: TorchX scheduler name (the handles' scheme), e.g. ``"nr_local"``.
        session_name: TorchX session name.
        backend: The nr-exec backend.
        cluster: The cluster (or host) part of the backend's handles.
    """

    def __init__(self, scheduler: str, session_name: str, backend: Backend, cluster: str) -> None:
        super().__init__(scheduler, session_name)
        self.nr_backend = backend
        self.cluster = cluster

    def _handle(self, app_id: str) -> Handle:
        return Handle(self.nr_backend.name, self.cluster, app_id)

    def _run_opts(self) -> specs.runopts:
        opts = specs.runopts()
        opts.add("job_root", type_=str, help="directory of the job directories", default=None)
        return opts

    def _submit_dryrun(self, app: specs.AppDef, cfg: Cfg) -> specs.AppDryRunInfo[Any]:
        job_root = cfg.get("job_root")
        request = self.nr_backend.dryrun(
            appdef_to_specs(app, job_root=str(job_root) if job_root else None)
        )
        return specs.AppDryRunInfo(request, lambda r: str(r.materialize()))

    def schedule(self, dryrun_info: specs.AppDryRunInfo[Any]) -> str:
        """Submit the request made by the dry-run; returns the job id."""
        return self.nr_backend.submit(dryrun_info.request).job_id

    def describe(self, app_id: str) -> DescribeAppResponse | None:
        """Map the backend's status to TorchX's; None for a job the backend has no record of."""
        status = self.nr_backend.status([self._handle(app_id)])[self._handle(app_id)]
        if status.state is JobState.UNKNOWN and status.message.startswith("no record"):
            return None
        return DescribeAppResponse(
            app_id=app_id,
            state=specs.AppState[status.state.value],
            num_restarts=status.retries,
            msg=status.message,
        )

    def list(self) -> list[ListAppResponse]:
        """Return nothing: nr-exec keeps no global registry of jobs."""
        return []

    def _cancel_existing(self, app_id: str) -> None:
        self.nr_backend.cancel(self._handle(app_id))

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
        """Close the backend."""
        self.nr_backend.close()


def create_local_scheduler(session_name: str, **kwargs: Any) -> BackendScheduler:
    """Entry point of the ``nr_local`` TorchX scheduler (the local backend)."""
    if kwargs.get("root") is not None and not isinstance(kwargs["root"], str):
        raise ExecError("nr_local: 'root' must be a path")
    backend = LocalBackend(kwargs.get("root"))
    return BackendScheduler("nr_local", session_name, backend, backend.host)
