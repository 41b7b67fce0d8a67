"""``FakeBackend``: an in-memory backend with switchable capabilities, for tests.

Jobs live in a per-process cluster (shared by every ``FakeBackend`` of the same cluster name,
as a real service is shared by its clients). Nothing runs: a job moves from ``PENDING`` to
``RUNNING`` to its end as :meth:`FakeBackend.describe` is called, and its spec's environment
says how it ends:

- ``NR_FAKE_EXIT_CODE``: the exit code of each attempt (default 0);
- ``NR_FAKE_FAIL_ATTEMPTS``: how many first attempts fail with code 1 (retries are honoured);
- ``NR_FAKE_OUTPUT``: the job's output (``logs`` yields it line by line);
- ``NR_FAKE_STEPS``: how many status queries the job stays ``RUNNING`` (default 1);
- ``NR_FAKE_REASON``: the failure reason of a failed job (a ``FailureReason`` name).

Use it as ``FakeExecutor(...)`` in an experiment, or build ``FakeBackend`` directly.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from nr_exec.backend import Backend, Capabilities, Request
from nr_exec.context import BackendContext
from nr_exec.errors import BackendError
from nr_exec.executor import Executor
from nr_exec.handle import Handle
from nr_exec.settings import NoSettings
from nr_exec.spec import JobSpec
from nr_exec.states import FailureReason, JobState, JobStatus

__all__ = ["FakeBackend", "FakeCluster", "FakeExecutor", "FakeJob", "FakeRequest"]

#: Every capability a ``FakeBackend`` can switch on.
ALL_CAPABILITIES = Capabilities(
    detach=True,
    dependencies=True,
    job_groups=True,
    arrays=True,
    retries=True,
    follow_logs=True,
    gpus=True,
)


@dataclass(frozen=True)
class FakeRequest(Request):
    """What a ``FakeBackend`` submits: the group's specs, plus the cluster it goes to.

    Attributes:
        cluster: The fake cluster's name.
    """

    cluster: str = "fake"

    def materialize(self) -> str:
        """Return one line per spec: the job id and its command."""
        return "\n".join(f"{s.job_id}: {' '.join(s.argv)}" for s in self.specs) + "\n"


@dataclass
class FakeJob:
    """One job in a fake cluster.

    Attributes:
        id: The cluster's id of the job.
        request: What was submitted.
        state: Its state now.
        queries: Status queries seen so far.
        attempts: Attempts started so far.
        exit_code: The exit code, once ended.
        reason: The failure reason, once failed.
    """

    id: str
    request: FakeRequest
    state: JobState = JobState.PENDING
    queries: int = 0
    attempts: int = 0
    exit_code: int | None = None
    reason: FailureReason | None = None

    @property
    def spec(self) -> JobSpec:
        """The head spec of the job."""
        return self.request.specs[0]


@dataclass
class FakeCluster:
    """The jobs of one fake cluster, and switches to simulate failures.

    Attributes:
        jobs: Jobs by the cluster's id.
        names: Cluster id by backend job name (``JobSpec.job_id``).
        fail_submits: Raise on the next submits; ``True`` items keep the job (the service
            received it, the answer was lost), ``False`` items drop it (never received).
        calls: Counts of service calls by operation (``describe``, ``find``, ``cancel``).
    """

    jobs: dict[str, FakeJob] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    fail_submits: list[bool] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def count(self, operation: str) -> None:
        """Count one call of ``operation``."""
        self.calls[operation] = self.calls.get(operation, 0) + 1


_CLUSTERS: dict[str, FakeCluster] = {}


class FakeBackend(Backend[NoSettings, FakeRequest]):
    """An in-memory backend (see the module documentation).

    Args:
        cluster: The fake cluster's name (jobs are shared by every backend of that name in
            this process).
        context: As for every backend.
    """

    name: ClassVar[str] = "fake"
    capabilities: ClassVar[Capabilities] = ALL_CAPABILITIES
    settings_type = NoSettings

    def __init__(self, cluster: str = "fake", *, context: BackendContext | None = None) -> None:
        super().__init__(context=context)
        self._cluster = cluster or "fake"

    @classmethod
    def create(cls, cluster: str, *, context: BackendContext) -> FakeBackend:
        """Build a fake backend; ``context.connection["capabilities"]`` switches features."""
        names = context.connection.get("capabilities")
        variant = cls if names is None else cls.variant(tuple(sorted(names)))
        return variant(cluster or str(context.connection.get("cluster", "fake")), context=context)

    @classmethod
    @functools.cache
    def variant(cls, capabilities: tuple[str, ...]) -> type[FakeBackend]:
        """A ``FakeBackend`` class declaring only the named capabilities.

        Raises:
            BackendError: A name is not a capability.
        """
        known = {f.name for f in dataclasses.fields(Capabilities)}
        unknown = sorted(set(capabilities) - known)
        if unknown:
            raise BackendError(f"unknown capabilities {unknown}; known: {sorted(known)}")
        caps = Capabilities(**dict.fromkeys(capabilities, True))
        return type(f"FakeBackend[{','.join(capabilities)}]", (cls,), {"capabilities": caps})

    @classmethod
    def reset(cls) -> None:
        """Forget every fake cluster of this process."""
        _CLUSTERS.clear()

    @property
    def cluster(self) -> str:
        """The fake cluster's name."""
        return self._cluster

    @property
    def service(self) -> FakeCluster:
        """The fake cluster this backend talks to."""
        return _CLUSTERS.setdefault(self._cluster, FakeCluster())

    def connection(self) -> dict[str, Any]:
        """The cluster name and the declared capabilities."""
        return {"cluster": self._cluster, "capabilities": self.capabilities.names()}

    # -- hooks ----------------------------------------------------------------------------------

    def _dryrun(
        self, group: tuple[JobSpec, ...], settings: tuple[NoSettings, ...], *, detach: bool
    ) -> FakeRequest:
        del settings
        return FakeRequest(backend=self.name, specs=group, detach=detach, cluster=self._cluster)

    def dryrun_array(self, specs: Sequence[JobSpec]) -> list[FakeRequest]:
        """One request per spec (the fake's arrays are plain jobs)."""
        if not self.capabilities.arrays:
            return list(super().dryrun_array(specs))
        return [self.dryrun(spec) for spec in specs]

    def submit(self, request: FakeRequest) -> Handle:
        """Record the job in the fake cluster; returns ``fake://<cluster>/<n>``."""
        service = self.service
        with service.lock:
            job_id = str(next(service.counter))
            received = service.fail_submits.pop(0) if service.fail_submits else None
            if received is not False:
                service.jobs[job_id] = FakeJob(job_id, request)
                service.names[request.specs[0].job_id] = job_id
        if received is not None:
            raise BackendError(
                f"fake submit failure ({'answer lost' if received else 'never received'})"
            )
        return Handle(self.name, self._cluster, job_id)

    def describe(self, handles: Sequence[Handle]) -> dict[Handle, JobStatus | None]:
        """Advance and report each job; jobs of other clusters or ids are ``None``."""
        service = self.service
        result: dict[Handle, JobStatus | None] = {}
        with service.lock:
            service.count("describe")
            for ticking in list(service.jobs.values()):  # one tick of the fake's clock
                self._advance(service, ticking)
            for handle in handles:
                job = service.jobs.get(handle.job_id) if handle.cluster == self._cluster else None
                result[handle] = None if job is None else self._report(job)
        return result

    def _advance(self, service: FakeCluster, job: FakeJob) -> None:
        if not job.state.is_terminal:
            job.queries += 1
            env = job.spec.env
            if job.state is JobState.PENDING and self._parents_done(service, job):
                job.state, job.queries, job.attempts = JobState.RUNNING, 0, job.attempts + 1
            elif job.state is JobState.RUNNING and job.queries > int(env.get("NR_FAKE_STEPS", "1")):
                failing = job.attempts <= int(env.get("NR_FAKE_FAIL_ATTEMPTS", "0"))
                code = 1 if failing else int(env.get("NR_FAKE_EXIT_CODE", "0"))
                if code and job.attempts <= job.spec.retries:
                    job.queries, job.attempts = 0, job.attempts + 1
                else:
                    job.exit_code = code
                    job.state = JobState.SUCCEEDED if code == 0 else JobState.FAILED
                    reason = env.get("NR_FAKE_REASON")
                    if code:
                        job.reason = FailureReason[reason] if reason else FailureReason.USER_ERROR

    @staticmethod
    def _report(job: FakeJob) -> JobStatus:
        return JobStatus(
            job.state,
            reason=job.reason,
            exit_code=job.exit_code,
            retries=max(job.attempts - 1, 0),
            message="cancelled" if job.state is JobState.CANCELLED else "",
        )

    def _parents_done(self, service: FakeCluster, job: FakeJob) -> bool:
        for text in job.spec.dependencies:
            parent = service.jobs.get(Handle.parse(text).job_id)
            if parent is None or parent.state is not JobState.SUCCEEDED:
                if parent is not None and parent.state.is_terminal:
                    job.state, job.exit_code = JobState.CANCELLED, None
                return False
        return True

    def find(self, names: Sequence[str]) -> dict[str, Handle]:
        """Jobs by backend job name, from the fake cluster's name index."""
        service = self.service
        with service.lock:
            service.count("find")
            return {
                n: Handle(self.name, self._cluster, service.names[n])
                for n in names
                if n in service.names
            }

    def logs(self, handle: Handle, *, follow: bool = False, since: int = 0) -> Iterator[str]:
        """The job's ``NR_FAKE_OUTPUT``, from byte offset ``since``.

        With ``follow``, the fake's clock runs until the job has ended first.
        """
        job = self.service.jobs.get(handle.job_id)
        while follow and job is not None and not job.state.is_terminal:
            self.describe([handle])
        specs = job.request.specs if job is not None else ()
        text = "".join(
            f"{out}\n" for out in (s.env.get("NR_FAKE_OUTPUT", "") for s in specs) if out
        )
        data = text.encode()[since:].decode(errors="replace")
        return iter(data.splitlines(keepends=True))

    def _cancel_existing(self, handles: Sequence[Handle]) -> None:
        service = self.service
        with service.lock:
            service.count("cancel")
            for handle in handles:
                job = service.jobs[handle.job_id]
                if not job.state.is_terminal:
                    job.state, job.exit_code = JobState.CANCELLED, None


@dataclass(kw_only=True)
class FakeExecutor(Executor):
    """Run jobs on a :class:`FakeBackend` (nothing runs; see the module documentation).

    Attributes:
        cluster: The fake cluster's name.
        features: The capabilities the fake backend declares (names of ``Capabilities``
            fields); None for all.
    """

    backend_scheme: ClassVar[str] = "fake"

    cluster: str = "fake"
    features: tuple[str, ...] | None = None

    def capabilities(self) -> Capabilities:
        """The declared capabilities (all of them, or :attr:`features`)."""
        if self.features is None:
            return ALL_CAPABILITIES
        return FakeBackend.variant(tuple(sorted(self.features))).capabilities

    def connection(self) -> dict[str, Any]:
        """The cluster name and the capabilities, for :meth:`FakeBackend.create`."""
        data: dict[str, Any] = {"cluster": self.cluster}
        if self.features is not None:
            data["capabilities"] = sorted(self.features)
        return data
