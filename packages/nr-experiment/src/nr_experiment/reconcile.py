"""Resolving submits in doubt: a job with an intent record and no handle.

Before it submits, the driver writes an intent naming each unit's backend job name, the
backend's scheme and connection, and the launching process (:func:`intent_details`). A
launcher killed mid-submit, or a connection dropped during the submit, leaves such intents.
:class:`Reconciler` asks each backend once (``Backend.find``) for the names and decides:

- found: the handles are recorded; the job is submitted, its real state is polled, and it can
  be cancelled (a cancel asked for meanwhile reaches it now);
- not found, and the launching process is gone (or this process has no submit of it in
  flight): the backend never received it; the job is ``UNSUBMITTED`` and
  ``Experiment.resume()`` launches it;
- otherwise (the launcher still runs, runs on another host, or the backend cannot be asked):
  it stays in doubt (``UNKNOWN``), and the next ``status()`` asks again.
"""

import contextlib
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from nr_exec import Backend, ExecError, Handle, JobSpec, JobState
from nr_tunnel import TunnelError

from nr_experiment.job import BaseJob
from nr_experiment.pool import BackendPool, BackendRef
from nr_experiment.store import Intent, Store

__all__ = [
    "NEVER_RECEIVED",
    "Reconciler",
    "UnitPlan",
    "in_flight",
    "intent_details",
    "still_in_flight",
]

#: How a job that its backend never received reads (``message``); ``resume()`` launches it.
NEVER_RECEIVED = (
    "not submitted: the {scheme} backend never received it ({why}); "
    "launch it with Experiment.resume()"
)

# Submits this process has in flight, as (experiment id, job id): their intents are not in
# doubt for this process, which is still waiting for the backend's answer.
_IN_FLIGHT: set[tuple[str, str]] = set()


@contextlib.contextmanager
def in_flight(experiment_id: str, job_ids: Iterable[str]) -> Iterator[None]:
    """Mark the submits of ``job_ids`` in flight in this process while the block runs."""
    keys = {(experiment_id, job_id) for job_id in job_ids}
    _IN_FLIGHT.update(keys)
    try:
        yield
    finally:
        _IN_FLIGHT.difference_update(keys)


def still_in_flight(experiment_id: str, job_ids: Iterable[str]) -> None:
    """Keep the submits of ``job_ids`` in flight for the rest of this process.

    For a submit whose connection dropped while its command may still run on the backend:
    this process cannot tell that it never arrives, so its jobs stay in doubt here; another
    process decides once this one is gone.
    """
    _IN_FLIGHT.update((experiment_id, job_id) for job_id in job_ids)


@dataclass(frozen=True)
class UnitPlan:
    """One unit a job submits: its backend and its specs (several for a group in one request).

    Attributes:
        backend: The backend it goes to.
        specs: Its specs; the first one's ``job_id`` is the unit's backend job name.
    """

    backend: "Backend[Any, Any]"
    specs: Sequence[JobSpec]

    @property
    def name(self) -> str:
        """The backend job name ``find`` looks for."""
        return self.specs[0].job_id


def intent_details(units: Sequence[UnitPlan]) -> dict[str, Any]:
    """The facts an intent records about a submit, so any process can resolve it.

    The store adds the launching process (host, pid, start time) itself.

    Returns:
        ``backend_job_ids`` and ``backends`` (one per unit), and ``commands`` (one per spec).
    """
    return {
        "backend_job_ids": [unit.name for unit in units],
        "backends": [BackendRef.of(unit.backend).to_record() for unit in units],
        "commands": [list(spec.argv) for unit in units for spec in unit.specs],
    }


@dataclass(frozen=True)
class _Units:
    """The units an intent names: backend job names and their backends."""

    names: list[str]
    backends: list[BackendRef]

    @classmethod
    def read(cls, intent: Intent) -> "_Units":
        details = intent.details
        names = [str(n) for n in details.get("backend_job_ids") or [intent.backend_job_name]]
        saved = list(details.get("backends") or [])
        backends = [
            BackendRef.from_record(
                saved[i] if i < len(saved) else None, default_scheme=intent.backend
            )
            for i in range(len(names))
        ]
        return cls(names, backends)


@dataclass
class _Lookup:
    """What the backends answered: handles by (backend, name), and why a backend could not."""

    found: dict[tuple[int, str], Handle] = field(default_factory=dict)
    failures: dict[int, str] = field(default_factory=dict)


class Reconciler:
    """Resolves the submits in doubt of one experiment (see the module documentation).

    Args:
        store: The experiment store.
        experiment_id: The experiment's id.
        pool: The backends.
    """

    def __init__(self, store: Store, experiment_id: str, pool: BackendPool) -> None:
        self.store = store
        self.experiment_id = experiment_id
        self.pool = pool

    def resolve(self, jobs: Iterable[BaseJob], *, submit_error: str = "") -> list[BaseJob]:
        """Resolve every job of ``jobs`` whose submit is unresolved; one ``find`` per backend.

        Args:
            jobs: The jobs to look at (those without an unresolved submit are skipped).
            submit_error: Why this process's own submit of them failed, if it did.

        Returns:
            The jobs whose state changed (already written to the store).
        """
        doubtful = [
            (job, job.intent, _Units.read(job.intent))
            for job in jobs
            if job.submit_unresolved and job.intent is not None
        ]
        if not doubtful:
            return []
        lookup = self._find(units for _, _, units in doubtful)
        changed = []
        for job, intent, units in doubtful:
            before = (job.state, job.message, tuple(job.handles))
            self._decide(job, intent, units, lookup, submit_error)
            if (job.state, job.message, tuple(job.handles)) != before:
                changed.append(job)
        return changed

    def _find(self, planned: Iterable[_Units]) -> "_Lookup":
        """Ask each backend once for the names of every unit."""
        asks: dict[int, tuple[Backend[Any, Any], set[str]]] = {}
        for units in planned:
            for ref, name in zip(units.backends, units.names, strict=True):
                backend = self.pool.for_ref(ref)
                asks.setdefault(id(backend), (backend, set()))[1].add(name)
        lookup = _Lookup()
        for key, (backend, names) in asks.items():
            try:
                result = backend.find(sorted(names))
            except (ExecError, TunnelError, OSError) as exc:
                lookup.failures[key] = f"cannot ask the {backend.name} backend: {exc}"
                continue
            lookup.found.update({(key, name): handle for name, handle in result.items()})
        return lookup

    def _decide(
        self, job: BaseJob, intent: Intent, planned: _Units, lookup: "_Lookup", submit_error: str
    ) -> None:
        keys = [id(self.pool.for_ref(ref)) for ref in planned.backends]
        handles = [lookup.found.get(k) for k in zip(keys, planned.names, strict=True)]
        units = [(h, r) for h, r in zip(handles, planned.backends, strict=True) if h is not None]
        if len(units) == len(handles):
            self._found(job, units, "submit confirmed by reconciliation")
            return
        failure = next((lookup.failures[k] for k in keys if k in lookup.failures), None)
        running = self._launcher_running(job, intent)
        if failure is not None or running is not False:
            why = failure or _still_submitting(intent, running)
            asked = "; cancel requested: it is cancelled once found" if job.cancel_requested else ""
            self._save(job, JobState.UNKNOWN, f"submit in doubt: {why}{asked}")
        elif units:
            missing = [n for n, h in zip(planned.names, handles, strict=True) if h is None]
            self._found(job, units, f"partly submitted: {', '.join(missing)} never received")
        elif job.cancel_requested:
            self._save(job, JobState.CANCELLED, "cancelled before submission")
        else:
            why = _gone(intent, submit_error)
            message = NEVER_RECEIVED.format(scheme=planned.backends[0].scheme, why=why)
            self._save(job, JobState.UNSUBMITTED, message)

    def _launcher_running(self, job: BaseJob, intent: Intent) -> bool | None:
        if _by_this_process(intent):
            return (self.experiment_id, job.id) in _IN_FLIGHT
        return intent.launcher_running()

    def _found(
        self, job: BaseJob, units: Sequence[tuple[Handle, BackendRef]], message: str
    ) -> None:
        job.submitted([str(h) for h, _ in units], [ref for _, ref in units], message)
        record = self.store.record_submitted(self.experiment_id, job.id, job.handles[0])
        job.cancel_requested = job.cancel_requested or bool(record.get("cancel_requested"))
        self.store.write_job(self.experiment_id, job.id, job.to_record())
        if job.cancel_requested:
            for handle, ref in units:
                self.pool.for_handle(handle, ref).cancel([handle])

    def _save(self, job: BaseJob, state: JobState, message: str) -> None:
        if (job.state, job.message) == (state, message):
            return
        job.set_state(state, message=message)
        self.store.write_job(self.experiment_id, job.id, job.to_record())
        self.store.update_states({(self.experiment_id, job.id): (job.state.value, job.updated)})


def _by_this_process(intent: Intent) -> bool:
    """Whether this process wrote the intent (no other live process of this host has its pid)."""
    return intent.host == os.uname().nodename and intent.pid == os.getpid()


def _gone(intent: Intent, submit_error: str) -> str:
    if _by_this_process(intent):
        return (
            f"its submit failed: {submit_error}" if submit_error else "its submit did not complete"
        )
    return f"its launcher, pid {intent.pid} on {intent.host}, is gone"


def _still_submitting(intent: Intent, running: bool | None) -> str:
    if running:
        return f"its launcher, pid {intent.pid} on {intent.host}, may still be submitting it"
    return (
        f"its launcher ran on {intent.host}; check from there "
        f"(only a process of that host can tell whether pid {intent.pid} is gone)"
    )
