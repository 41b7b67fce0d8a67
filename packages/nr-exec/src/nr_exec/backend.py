"""The backend interface: dry-run, submit, status, logs, cancel, close.

Every backend (local processes, Slurm, Docker, SkyPilot, Kubernetes, ...) implements
:class:`Backend`. ``dryrun`` turns one job spec, or a group of specs sharing one allocation,
into a :class:`Request` whose :meth:`Request.materialize` is the exact artifact the backend
submits; ``submit`` hands it over and returns a :class:`~nr_exec.Handle`.
"""

import abc
import dataclasses
import json
import time
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass, fields
from typing import Any, ClassVar

from nr_exec.errors import BackendError, BatchSubmitError, ExecError, UnsupportedFeatureError
from nr_exec.handle import Handle
from nr_exec.spec import JobSpec
from nr_exec.states import JobStatus

__all__ = ["Backend", "BatchEntry", "Capabilities", "Request", "as_group", "check_batch_order"]


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
    """

    detach: bool = False
    dependencies: bool = False
    job_groups: bool = False
    arrays: bool = False
    retries: bool = False
    follow_logs: bool = False
    gpus: bool = False

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
class Request:
    """A backend's ready-to-submit form of one job (or one group of jobs).

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


class Backend(abc.ABC):
    """Runs jobs somewhere; one instance may serve many jobs.

    Implementations set :attr:`name` and :attr:`capabilities` and implement the abstract
    methods. ``status`` takes many handles at once so that a backend can answer with one query.
    """

    #: Backend name, the scheme of its handles (``local`` in ``local://host/id``).
    name: ClassVar[str]
    #: What the backend supports.
    capabilities: ClassVar[Capabilities]

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

    @abc.abstractmethod
    def dryrun(self, specs: JobSpec | Sequence[JobSpec], *, detach: bool = False) -> Request:
        """Turn one spec, or a group of specs sharing one allocation, into a request.

        Has no side effect: nothing is written or submitted.

        Raises:
            UnsupportedFeatureError: The specs use a feature the backend lacks.
        """

    @abc.abstractmethod
    def submit(self, request: Request) -> Handle:
        """Submit a request made by :meth:`dryrun` and return the job's handle."""

    @abc.abstractmethod
    def status(self, handles: Sequence[Handle]) -> dict[Handle, JobStatus]:
        """Return the status of every handle, querying the backend once for all of them.

        A job the backend no longer knows is ``UNKNOWN`` unless its exit marker says how it
        ended.
        """

    @abc.abstractmethod
    def logs(self, handle: Handle, *, follow: bool = False, since: int = 0) -> Iterator[str]:
        """Yield the job's output as lines, starting at byte offset ``since``.

        With ``follow``, keep yielding until the job has ended and its output is exhausted.
        """

    @abc.abstractmethod
    def cancel(self, handle: Handle) -> None:
        """Stop the job; cancelling an ended or already cancelled job does nothing."""

    def batch_key(self) -> Hashable | None:
        """Backends with equal keys accept each other's requests (one batch, one instance).

        None (the default) means only this instance. A backend that serves every executor
        of one cluster (Slurm through one tunnel) returns the cluster, so an experiment
        submits all its jobs there in one :meth:`submit_batch`.
        """
        return None

    def dryrun_array(self, specs: Sequence[JobSpec]) -> Sequence[Request]:
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
            request = entry.request
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

    def cancel_many(self, handles: Sequence[Handle]) -> None:
        """Cancel several jobs (idempotent); the default cancels them one by one."""
        for handle in handles:
            self.cancel(handle)

    def close(self) -> None:  # noqa: B027 - optional hook, most backends hold nothing
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

    def __enter__(self) -> "Backend":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
