"""The backend contract: a template whose public methods do the common work once.

Every backend (local processes, Slurm, Docker, SkyPilot, Kubernetes, ...) subclasses
:class:`Backend` ``[Settings, Request]``. The public :meth:`Backend.dryrun` groups the specs,
checks the declared capabilities and decodes each spec's settings, then calls the one hook
:meth:`Backend._dryrun`, which builds the backend's own :class:`Request` type; its
:meth:`Request.materialize` is the exact artifact the backend submits. :meth:`Backend.cancel`
is idempotent in the base (it asks :meth:`Backend.describe` first), :meth:`Backend.status`
derives from :meth:`Backend.describe` (``None``, a job the backend does not know, becomes
``UNKNOWN``), and :meth:`Backend.find` finds jobs by the names we gave them, which is how a
submit interrupted half-way is reconciled.
"""

import abc
import dataclasses
import json
import time
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass, fields
from typing import Any, ClassVar, Generic, TypeVar

from nr_exec.context import BackendContext
from nr_exec.errors import BackendError, BatchSubmitError, ExecError, UnsupportedFeatureError
from nr_exec.handle import Handle
from nr_exec.settings import BackendSettings
from nr_exec.spec import JobSpec
from nr_exec.states import JobState, JobStatus

__all__ = [
    "Backend",
    "BatchEntry",
    "Capabilities",
    "Request",
    "as_group",
    "check_batch_order",
]

SettingsT = TypeVar("SettingsT", bound=BackendSettings)
RequestT = TypeVar("RequestT", bound="Request")


@dataclass(frozen=True)
class Capabilities:
    """What a backend can do; a test checks each declaration against behaviour.

    Attributes:
        detach: Jobs outlive the launching process and still record how they ended.
        dependencies: Jobs can wait for other jobs (``JobSpec.dependencies``) on the backend.
        job_groups: Several specs can run as one job in one allocation.
        arrays: A spec can be submitted as a job array (``JobSpec.array``).
        retries: The backend restarts failed jobs (``JobSpec.retries``).
        follow_logs: ``logs(..., follow=True)`` streams until the job ends.
        gpus: Jobs can ask for GPUs (``Resources.gpus_per_node``).
        exit_markers: The backend's own job script records each job's exit (``exit.json``),
            so commands need no exit-marker wrapper.
        launcher_transform: Launchers that rewrite the job into a script template
            (``SlurmTemplate``) may be used.
    """

    detach: bool = False
    dependencies: bool = False
    job_groups: bool = False
    arrays: bool = False
    retries: bool = False
    follow_logs: bool = False
    gpus: bool = False
    exit_markers: bool = False
    launcher_transform: bool = False

    def names(self) -> list[str]:
        """Return the names of the declared capabilities."""
        return [f.name for f in fields(self) if getattr(self, f.name)]


def as_group(specs: JobSpec | Sequence[JobSpec]) -> tuple[JobSpec, ...]:
    """Normalize ``dryrun``'s argument to a non-empty tuple of specs."""
    group = (specs,) if isinstance(specs, JobSpec) else tuple(specs)
    if not group:
        raise ValueError("dryrun needs at least one job spec")
    return group


@dataclass(frozen=True)
class Request(abc.ABC):
    """A backend's ready-to-submit form of one job (or one group of jobs).

    Abstract: each backend defines its own request type, a frozen dataclass whose fields are
    its typed payload, and ``Backend[Settings, ThatRequest]`` lets the type checker make sure
    the backend is only handed its own requests.

    Attributes:
        backend: Name of the backend that made it.
        specs: The job specs it runs (several for a group).
        detach: Whether the job must outlive the launching process.
    """

    backend: str
    specs: tuple[JobSpec, ...]
    detach: bool = False

    @abc.abstractmethod
    def materialize(self) -> str:
        """Return the exact artifact the backend submits (script, manifest, launch plan)."""

    def to_json(self) -> str:
        """Return the request as JSON: backend, detach flag, specs and the artifact."""
        document: dict[str, Any] = {
            "backend": self.backend,
            "detach": self.detach,
            "specs": [spec.to_dict() for spec in self.specs],
            "artifact": self.materialize(),
        }
        return json.dumps(document, sort_keys=True, indent=2)


@dataclass(frozen=True)
class BatchEntry:
    """One request of a batch (see :meth:`Backend.submit_batch`).

    Attributes:
        request: What to submit.
        after: Positions of earlier entries of the batch this one waits for (a native
            dependency; the backend must declare ``dependencies``).
    """

    request: Request
    after: tuple[int, ...] = ()


def check_batch_order(entries: Sequence[BatchEntry]) -> None:
    """Refuse a batch whose entries wait for themselves or for later entries.

    Raises:
        BackendError: The message names the first bad entry.
    """
    for position, entry in enumerate(entries):
        if any(p < 0 or p >= position for p in entry.after):
            raise BackendError(f"batch entry {position} may only wait for earlier entries")


class Backend(abc.ABC, Generic[SettingsT, RequestT]):
    """Runs jobs somewhere; one instance may serve many jobs.

    Subclasses set :attr:`name`, :attr:`capabilities` and :attr:`settings_type`, and
    implement the hooks: :meth:`_dryrun`, :meth:`submit`, :meth:`describe`, :meth:`find`,
    :meth:`logs` and :meth:`_cancel_existing`. The public :meth:`dryrun`, :meth:`status` and
    :meth:`cancel` are final: they do what every backend must do the same way.

    Args:
        context: The store's home and job root, and how to reach the service (default:
            :meth:`BackendContext.default`, read now).
    """

    #: Backend name, the scheme of its handles (``local`` in ``local://host/id``).
    name: ClassVar[str]
    #: What the backend supports (``nr_exec.testing.BackendContract`` checks each claim).
    capabilities: ClassVar[Capabilities]
    #: The settings record a spec carries for this backend (``JobSpec.backend_options``).
    settings_type: type[SettingsT]

    def __init__(self, *, context: BackendContext | None = None) -> None:
        self.context = context if context is not None else BackendContext.default()

    @classmethod
    def create(cls, cluster: str, *, context: BackendContext) -> "Backend[Any, Any]":
        """Build the backend serving ``cluster`` (the handle's cluster part; may be "").

        The registry calls this for a handle's scheme. ``context.connection`` holds what
        :meth:`~nr_exec.Executor.connection` saved; backends that need it override this.
        """
        del cluster
        return cls(context=context)

    @property
    @abc.abstractmethod
    def cluster(self) -> str:
        """The cluster (or host, or engine) part of this backend's handles."""

    def connection(self) -> dict[str, Any]:
        """JSON data from which :meth:`create` rebuilds this backend (``context.connection``)."""
        return dict(self.context.connection)

    # -- dry-run: the template ------------------------------------------------------------------

    def check_supported(self, specs: Sequence[JobSpec], *, detach: bool) -> None:
        """Refuse a request using a feature this backend does not declare.

        Raises:
            UnsupportedFeatureError: The message names the backend and the feature.
        """
        caps = self.capabilities
        wanted = {
            "detach": detach,
            "job_groups": len(specs) > 1,
            "dependencies": any(s.dependencies for s in specs),
            "arrays": any(s.array is not None for s in specs),
            "retries": any(s.retries > 0 for s in specs),
            "gpus": any(s.resources.gpus_per_node for s in specs),
        }
        missing = [name for name, used in wanted.items() if used and not getattr(caps, name)]
        if missing:
            raise UnsupportedFeatureError(
                f"the {self.name} backend does not support {', '.join(missing)} "
                f"(it supports: {', '.join(caps.names()) or 'none of the optional features'})"
            )

    def decode_settings(self, spec: JobSpec) -> SettingsT:
        """Read this backend's settings from a spec (``settings_type.from_options``).

        Raises:
            BackendError: The spec carries settings of another backend.
        """
        return self.settings_type.from_options(spec.backend_options)

    def dryrun(self, specs: JobSpec | Sequence[JobSpec], *, detach: bool = False) -> RequestT:
        """Turn one spec, or a group of specs sharing one allocation, into a request.

        Groups the specs, refuses undeclared features, decodes each spec's settings, then
        calls :meth:`_dryrun`. Nothing is written or submitted, and nothing but a declared
        read-only probe reaches the service.

        Raises:
            UnsupportedFeatureError: The specs use a feature the backend lacks.
            BackendError: A spec carries settings of another backend, or cannot be
                expressed safely.
        """
        group = as_group(specs)
        self.check_supported(group, detach=detach)
        settings = tuple(self.decode_settings(spec) for spec in group)
        return self._dryrun(group, settings, detach=detach)

    @abc.abstractmethod
    def _dryrun(
        self, group: tuple[JobSpec, ...], settings: tuple[SettingsT, ...], *, detach: bool
    ) -> RequestT:
        """Build the request of a checked group (one settings record per spec)."""

    # -- the other hooks ------------------------------------------------------------------------

    @abc.abstractmethod
    def submit(self, request: RequestT) -> Handle:
        """Submit a request made by :meth:`dryrun` and return the job's handle.

        Raises:
            BackendError: The service refused the job, or starting it failed (a job whose
                start failed is never reported as submitted).
        """

    @abc.abstractmethod
    def describe(self, handles: Sequence[Handle]) -> dict[Handle, JobStatus | None]:
        """Return what the backend knows of each job, asking the service once for all.

        A job the backend does not know is ``None``. A job it knows whose fate it cannot
        tell (gone from the scheduler, no exit marker) is ``UNKNOWN``, never silently
        ``RUNNING`` or ``SUCCEEDED``.
        """

    @abc.abstractmethod
    def find(self, names: Sequence[str]) -> dict[str, Handle]:
        """Find jobs by the backend job names we gave them (``JobSpec.job_id``).

        Asks the service once (``squeue``/``sacct --name``, a label selector, ...). Names
        the service has never seen are absent from the result.
        """

    @abc.abstractmethod
    def logs(self, handle: Handle, *, follow: bool = False, since: int = 0) -> Iterator[str]:
        """Yield the job's output as lines, starting at byte offset ``since``.

        With ``follow``, keep yielding until the job has ended and its output is exhausted.
        """

    @abc.abstractmethod
    def _cancel_existing(self, handles: Sequence[Handle]) -> None:
        """Stop jobs the backend knows and that have not ended (one round trip if possible)."""

    # -- derived, final -------------------------------------------------------------------------

    def status(self, handles: Sequence[Handle]) -> dict[Handle, JobStatus]:
        """Return the status of every handle (one query); unknown jobs are ``UNKNOWN``."""
        described = self.describe(handles)
        return {
            handle: described.get(handle)
            or JobStatus(
                JobState.UNKNOWN, message=f"the {self.name} backend does not know {handle}"
            )
            for handle in handles
        }

    def exists(self, handle: Handle) -> bool:
        """Whether the backend knows the job."""
        return self.describe([handle]).get(handle) is not None

    def cancel(self, handles: Handle | Sequence[Handle]) -> list[Handle]:
        """Stop jobs; cancelling an ended, cancelled or unknown job does nothing.

        Returns:
            The handles that were running or pending and were asked to stop.
        """
        group = [handles] if isinstance(handles, Handle) else list(handles)
        if not group:
            return []
        described = self.describe(group)
        live = [h for h in group if (s := described.get(h)) is not None and not s.is_terminal]
        if live:
            self._cancel_existing(live)
        return live

    def batch_key(self) -> Hashable | None:
        """Backends with equal keys accept each other's requests (one batch, one instance).

        None (the default) means only this instance. A backend that serves every executor
        of one cluster (Slurm through one tunnel) returns the cluster, so an experiment
        submits all its jobs there in one :meth:`submit_batch`.
        """
        return None

    def dryrun_array(self, specs: Sequence[JobSpec]) -> Sequence[RequestT]:
        """Turn specs of one shape into job-array requests (one element per spec).

        Backends declaring ``arrays`` override this; their :meth:`submit_batch` returns one
        handle per element, in spec order.

        Raises:
            UnsupportedFeatureError: The backend has no job arrays.
        """
        del specs
        raise UnsupportedFeatureError(f"the {self.name} backend does not support job arrays")

    def submit_batch(self, entries: Sequence[BatchEntry]) -> list[list[Handle]]:
        """Submit several requests; an entry may wait for earlier entries (``after``).

        The default submits the entries one by one, re-making an entry with ``after`` with
        its parents' handles as dependencies. Backends override this to submit a batch in
        fewer round trips.

        Returns:
            The handles of each entry, in order (one, or one per element of an array).

        Raises:
            BatchSubmitError: An entry failed; ``submitted`` holds the handles so far.
        """
        check_batch_order(entries)
        submitted: list[list[Handle]] = []
        for position, entry in enumerate(entries):
            request: Any = entry.request
            try:
                if entry.after:
                    parents = tuple(str(h) for p in entry.after for h in submitted[p])
                    specs = [
                        dataclasses.replace(s, dependencies=(*s.dependencies, *parents))
                        for s in request.specs
                    ]
                    request = self.dryrun(specs, detach=request.detach)
                submitted.append([self.submit(request)])
            except (ExecError, OSError) as exc:
                raise BatchSubmitError(f"batch entry {position} failed: {exc}", submitted) from exc
        return submitted

    def close(self) -> None:
        """Release what the backend holds (connections, clients); jobs keep running."""

    def wait(
        self, handles: Sequence[Handle], *, timeout: float | None = None, interval: float = 0.05
    ) -> dict[Handle, JobStatus]:
        """Poll :meth:`status` until every job is terminal or ``timeout`` seconds have passed.

        Returns:
            The last status of every handle (some may not be terminal after a timeout).
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            statuses = self.status(handles)
            if all(s.is_terminal for s in statuses.values()):
                return statuses
            if deadline is not None and time.monotonic() >= deadline:
                return statuses
            time.sleep(interval)

    def __enter__(self) -> "Backend[SettingsT, RequestT]":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
