"""Driving an experiment's jobs: specs, intent records, submission, dependencies, polling.

One :class:`JobDriver` drives the jobs of one experiment. It makes each job's specs with
its executor, builds and checks every request of a step (``Backend.dryrun``, job arrays,
declared capabilities, settings) before it writes anything, then writes an intent record
per job and submits everything one step sends to a backend in one ``Backend.submit_batch``
(optionally as job arrays, see :mod:`nr_experiment.batch`). A backend's native dependencies
are used where it has them; otherwise a job is submitted once its parents have succeeded (a
job whose parent failed or was cancelled is never started and is recorded ``CANCELLED``).
Status is asked with one ``Backend.status`` call per backend. Backends come from the
registry (:mod:`nr_experiment.pool`); submits in doubt are resolved by
:mod:`nr_experiment.reconcile`.
"""

import dataclasses
import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from nr_config import Partial
from nr_exec import (
    Backend,
    BatchSubmitError,
    ExecError,
    FailureReason,
    Handle,
    JobFile,
    JobSpec,
    JobState,
    JobStatus,
    MissingExtraError,
)
from nr_exec.local.children import wait_any
from nr_exec.local.limits import max_running
from nr_package import PackagingError
from nr_tunnel import AuthenticationError, HostKeyError, HostUnreachableError, TunnelError

from nr_experiment.batch import Piece, RefusedPiecesError, build_entries
from nr_experiment.code import CodePin, pin_code, pinned_executor
from nr_experiment.dag import topological_order
from nr_experiment.errors import SubmitError
from nr_experiment.job import BaseJob, JobGroup, combine_statuses
from nr_experiment.pool import BackendPool, BackendRef
from nr_experiment.progress import LaunchEvents
from nr_experiment.reconcile import (
    Reconciler,
    UnitPlan,
    in_flight,
    intent_details,
    still_in_flight,
)
from nr_experiment.store import (
    IntentRequest,
    JobRecord,
    Store,
    SubmittedRequest,
    backend_job_name,
)

__all__ = ["JobDriver"]

_LOG = logging.getLogger("nr_experiment")

_PER_JOB_FIELDS = ("experiment_id", "job_dir")
_FAST_POLL, _FAST_PERIOD, _SLOW_POLL = 0.02, 10.0, 1.0
_MAIN_REF = '"__main__:'
_MAIN_FILE = "main.py"
#: The backend whose jobs an attached run starts at most ``max_running()`` at a time.
_BOUNDED_BACKEND = "local"
#: The backend whose status reads local files: asked once more as a batch returns.
_STATUS_AT_SUBMIT = "local"
#: What a submit can fail with and still be reported as one line (no chained traceback).
_SUBMIT_ERRORS = (ExecError, PackagingError, TunnelError, OSError)
#: Errors of a connection that was never made (or of an SDK that is not installed): a
#: submit failing so sent nothing.
_NOT_CONNECTED = (HostUnreachableError, AuthenticationError, HostKeyError, MissingExtraError)

#: A step's choice: ``(job, ids of in-batch parents, handles of submitted parents)``.
Chosen = tuple[BaseJob, Sequence[str], Sequence[str]]


class JobDriver:
    """Submits, polls and reconciles the jobs of one experiment.

    Args:
        store: The experiment store (its home is every backend's context).
        experiment_id: The experiment's id.
        jobs: Its jobs, in the order they were added.
        main_script: The saved ``main.py`` of the launching script, if any.

    Attributes:
        array: Submit same-shape single-task jobs with the same parents as job arrays, on
            backends that have them (``Experiment.run(array=True)``).
        resumable: Ids of jobs whose earlier submit was never received and that this driver
            may submit again (``Experiment.resume()``); others with an intent are left alone.
    """

    def __init__(
        self,
        store: Store,
        experiment_id: str,
        jobs: Sequence[BaseJob],
        *,
        main_script: Path | None = None,
    ) -> None:
        self.store = store
        self.experiment_id = experiment_id
        self.jobs = {job.id: job for job in jobs}
        self.main_script = main_script
        self.array = False
        self.resumable: set[str] = set()
        self.pool = BackendPool(store.home)
        self.reconciler = Reconciler(store, experiment_id, self.pool)
        self._log_offsets: dict[str, int] = {}
        self._holding = False
        self._order: tuple[dict[str, list[str]], list[str]] = ({}, [])
        self._head_backends: dict[str, Backend[Any, Any]] = {}
        self.events = LaunchEvents()  # what the launch says while it waits (Progress)

    def close(self) -> None:
        """Close every backend (jobs keep running)."""
        self.pool.close()

    def backend_of(self, job: BaseJob, index: int = 0) -> "Backend[Any, Any]":
        """The backend serving handle ``index`` of a submitted job (no user code needed)."""
        return self.pool.for_handle(Handle.parse(job.handles[index]), job.backend_of(index))

    # -- specs ----------------------------------------------------------------------------------

    def units(self, job: BaseJob) -> list[UnitPlan]:
        """Split a job into what is submitted: one request, or one per task of a group.

        A group runs as one request where its backend has job groups; otherwise each task is
        its own request (task ``i > 0`` in ``<job dir>/task-<i>``). Each spec is made by the
        task's executor for the job's directory in the store; the executor's placement maps
        that directory to the target.
        """
        head_executor = job.executor_for(0)
        head = self.pool.for_executor(head_executor)
        tasks = job.read_tasks()
        split = len(tasks) > 1 and not head.capabilities.job_groups
        base = backend_job_name(self.experiment_id, job.id)
        task_records = job.task_records()
        planned: list[tuple[Backend[Any, Any], JobSpec]] = []
        pins = [CodePin.from_record(record) for record in job.code or []]
        for index, task in enumerate(tasks):
            executor = job.executor_for(index)
            pin = pins[index if len(pins) > 1 else 0] if pins else None
            executor = pinned_executor(executor, pin, job.job_dir)
            job_dir = job.job_dir / f"task-{index}" if split and index else job.job_dir
            spec = executor.to_job_spec(
                task,
                name=job.name if len(tasks) == 1 else f"{job.name}-{index}",
                job_dir=str(job_dir),
                job_id=f"{base}.{index}" if index else base,
            )
            if isinstance(task, Partial) and self._needs_main(task_records[index]):
                spec = self._with_main(spec)
            backend = head if executor is head_executor else self.pool.for_executor(executor)
            planned.append((backend, spec))
        if split:
            return [UnitPlan(backend, [spec]) for backend, spec in planned]
        return [UnitPlan(head, [spec for _, spec in planned])]

    def _with_main(self, spec: JobSpec) -> JobSpec:
        """Ship the launching script's ``main.py`` with the job (it may run elsewhere)."""
        assert self.main_script is not None  # noqa: S101 - checked by _needs_main
        main = JobFile(_MAIN_FILE, self.main_script.read_text(encoding="utf-8"))
        return dataclasses.replace(
            spec,
            argv=(*spec.argv, "--main", f"{spec.job_dir}/{_MAIN_FILE}"),
            files=(*spec.files, main),
        )

    def _needs_main(self, record: object) -> bool:
        return self.main_script is not None and _MAIN_REF in json.dumps(record)

    # -- code -----------------------------------------------------------------------------------

    def pin(self, jobs: Iterable[BaseJob]) -> None:
        """Package the code of every job not pinned yet (see :mod:`nr_experiment.code`).

        Runs before any intent is written; the pins are saved with the intents.

        Raises:
            PackagingError: Packaging failed (the job is recorded ``FAILED``,
                ``SUBMIT_ERROR``).
        """
        for job in jobs:
            if job.code is not None or job.launched or job.is_terminal:
                continue
            self.events.packaging(job)
            try:
                pins = pin_code(job.read_executors(), job.job_dir, Path.cwd())
            except PackagingError as error:
                self.refuse([job], error)
                raise error from None
            job.code = [None if pin is None else pin.to_record() for pin in pins]
            self.events.packaged(job)

    def refuse(self, jobs: Iterable[BaseJob], error: BaseException) -> None:
        """Record ``jobs`` as ``FAILED`` (``SUBMIT_ERROR``): their submit was refused."""
        message = f"submit refused: {error}"
        for job in jobs:
            job.set_state(JobState.FAILED, message=message, reason=FailureReason.SUBMIT_ERROR)
            self.save(job)

    # -- submitting -----------------------------------------------------------------------------

    def submit_jobs(self, chosen: Sequence[Chosen], *, detach: bool) -> None:
        """Build every request, then write the intents, then submit (one batch per backend).

        Nothing is written before every request of the step is built and checked, so a
        refused request leaves no intent behind. After a failed submit, the jobs without a
        handle are reconciled at once (found on the backend, or not submitted), and the
        error is raised again with a note saying where each job stands.

        Args:
            chosen: The jobs with their in-batch parents and submitted parents' handles,
                parents before children.
            detach: Whether the jobs must outlive this process.

        Raises:
            BackendError: A backend refused a request (nothing was written).
            SubmitError: A submit failed (a ``BackendError`` too, caused by the backend's).
        """
        self.pin(job for job, _, _ in chosen)
        plans, built = self._build(chosen, detach=detach)
        recorder = _Recorder(self, {job.id: len(units) for job, units in plans})
        failure: Exception | None = None
        with in_flight(self.experiment_id, [job.id for job, _ in plans]):
            requests = [
                IntentRequest(
                    job.id,
                    units[0].backend.name,
                    intent_details(units),
                    replace_unresolved=job.id in self.resumable,
                    content=job.to_record(),  # with the code pinned above
                )
                for job, units in plans
            ]
            with self.store.write_group():  # every intent durable before the first submit
                intents = self.store.record_intents(self.experiment_id, requests)
            for (job, _), intent in zip(plans, intents, strict=True):
                job.intent = intent
            for backend, entries, owners in built:
                self.events.sending(backend.name, owners)
                try:
                    handles = backend.submit_batch(entries)
                except BatchSubmitError as exc:
                    handles, failure = exc.submitted, exc
                except _SUBMIT_ERRORS as exc:
                    handles, failure = [], exc
                self.events.sent()
                with self.store.write_group():
                    recorder.add(backend, owners, handles)
                if failure is not None:
                    break
        if failure is not None:
            raise self._settle([job for job, _ in plans], failure) from None

    def _build(
        self, chosen: Sequence[Chosen], *, detach: bool
    ) -> tuple[list[tuple[BaseJob, list[UnitPlan]]], list[Any]]:
        """Every request of a step, built and checked, grouped in one batch per backend.

        Raises:
            ExecError: A request was refused (or a tunnel or packaging error): the jobs it
                concerns are recorded ``FAILED`` (``SUBMIT_ERROR``), the others of the step
                stay ``UNSUBMITTED``; the error is raised unchained.
        """
        plans: list[tuple[BaseJob, list[UnitPlan]]] = []
        for job, _, external in chosen:
            try:
                plans.append((job, self._final_units(job, external)))
            except _SUBMIT_ERRORS as error:
                self.refuse([job], error)
                raise error from None
        batches: dict[int, tuple[Backend[Any, Any], list[Piece]]] = {}
        for (job, units), (_, parents, _) in zip(plans, chosen, strict=True):
            for index, unit in enumerate(units):
                one_spec = len(units) == 1 and len(unit.specs) == 1
                shape = self._shape(job, unit.specs) if one_spec else None
                piece = Piece(job, index, unit.specs, tuple(parents), shape)
                batches.setdefault(id(unit.backend), (unit.backend, []))[1].append(piece)
        built = []
        for backend, pieces in batches.values():
            try:
                built.append(
                    (backend, *build_entries(backend, pieces, detach=detach, array=self.array))
                )
            except RefusedPiecesError as refused:
                self.refuse({id(p.job): p.job for p in refused.pieces}.values(), refused.error)
                raise refused.error from None
        return plans, built

    def _final_units(self, job: BaseJob, external: Sequence[str]) -> list[UnitPlan]:
        """The job's units, each spec also waiting for the handles of submitted parents."""
        return [
            UnitPlan(
                unit.backend,
                [
                    dataclasses.replace(s, dependencies=(*s.dependencies, *external))
                    for s in unit.specs
                ],
            )
            for unit in self.units(job)
        ]

    def _settle(self, jobs: Sequence[BaseJob], failure: Exception) -> SubmitError:
        """After a failed submit: settle the jobs left without a handle; say where all stand.

        The jobs are reconciled (found on the backend, or in doubt); a job the backend surely
        never received (the connection was never made, or ``find`` does not see it) was
        refused: it is ``FAILED`` with reason ``SUBMIT_ERROR``. After a connection dropped
        while the submit command may still run, the jobs not found stay in doubt in this
        process (another process decides once it is gone).
        """
        left = [j for j in jobs if not j.launched]
        arriving = _may_still_arrive(failure)
        if arriving:
            still_in_flight(self.experiment_id, [j.id for j in left])
        elif _never_sent(failure):
            self.refuse(left, failure)
        self.reconciler.resolve(jobs, submit_error=str(failure))
        if not arriving:
            self.refuse([j for j in left if j.state is JobState.UNSUBMITTED], failure)
        return SubmitError(
            self.experiment_id,
            failure,
            submitted=[j.id for j in jobs if j.launched],
            failed=[j.id for j in left if j.reason is FailureReason.SUBMIT_ERROR],
            not_submitted=[
                j.id for j in jobs if not j.launched and j.state is JobState.UNSUBMITTED
            ],
            in_doubt=[j.id for j in jobs if j.submit_unresolved and j.state is JobState.UNKNOWN],
        )

    def _shape(self, job: BaseJob, specs: Sequence[JobSpec]) -> str | None:
        """Array key of a one-task job: its executor settings and external dependencies."""
        if isinstance(job, JobGroup):
            return None
        record = job.executor_records()[0]
        settings = {k: v for k, v in record.items() if k not in _PER_JOB_FIELDS}
        return json.dumps([settings, list(specs[0].dependencies)], sort_keys=True, default=str)

    def graph(self) -> dict[str, list[str]]:
        """``{job id: [ids it depends on]}``."""
        return {job.id: list(job.dependencies) for job in self.jobs.values()}

    def pending(self) -> list[BaseJob]:
        """Jobs this driver may still submit, parents first.

        Not counted: jobs launched, ended or cancelled; jobs with a submit intent (in doubt,
        or never received: only ``resume()`` launches those again); and jobs waiting for a
        parent that nobody will submit.
        """
        drivable: set[str] = set()
        chosen: list[BaseJob] = []
        for jid in self._launch_order():
            job = self.jobs[jid]
            if job.launched or job.is_terminal or job.cancel_requested:
                continue
            if job.intent is not None and jid not in self.resumable:
                continue
            parents = [self.jobs[dep] for dep in job.dependencies]
            if any(not p.launched and not p.is_terminal and p.id not in drivable for p in parents):
                continue
            drivable.add(jid)
            chosen.append(job)
        return chosen

    def _launch_order(self) -> list[str]:
        """The jobs parents first, sorted again only when the graph changed (every poll asks)."""
        graph = self.graph()
        if graph != self._order[0]:
            self._order = (graph, topological_order(graph))
        return self._order[1]

    def step(self, *, detach: bool) -> bool:
        """Submit every pending job whose parents allow it, in one batch per backend.

        A job goes in when its parents succeeded, or when its backend has native
        dependencies and every unfinished parent is submitted there or goes in the same batch.

        Returns:
            Whether jobs are still pending afterwards.
        """
        remaining = False
        placed: dict[str, Backend[Any, Any]] = {}
        chosen: list[Chosen] = []
        backends: dict[str, Backend[Any, Any]] = {}
        for job in self.pending():
            parents = [self.jobs[dep] for dep in job.dependencies]
            failed = [p for p in parents if p.is_terminal and p.state is not JobState.SUCCEEDED]
            if failed:
                parent = failed[0]
                job.set_state(
                    JobState.CANCELLED,
                    message=f"not started: dependency {parent.id!r} ended {parent.state.value}",
                )
                self.save(job)
                continue
            backend = self._head_backends.get(job.id)
            if backend is None:
                try:
                    backend = self.pool.for_executor(job.executor_for(0))
                except _SUBMIT_ERRORS as error:  # e.g. a missing extra: said in one line
                    self.refuse([job], error)
                    raise error from None
                self._head_backends[job.id] = backend  # held-back jobs ask again every poll
            waiting = [p for p in parents if p.state is not JobState.SUCCEEDED]
            if waiting and not self._native(backend, waiting, placed):
                remaining = True
                continue
            placed[job.id] = backend
            backends[job.id] = backend
            chosen.append(
                (
                    job,
                    [p.id for p in waiting if p.id in placed],
                    [h for p in waiting if p.id not in placed for h in p.handles],
                )
            )
        self._holding = False
        if not detach:
            chosen = self._within_bound(chosen, backends)
        if chosen:
            self.submit_jobs(chosen, detach=detach)
        return remaining or self._holding

    def _within_bound(
        self, chosen: Sequence[Chosen], backends: dict[str, "Backend[Any, Any]"]
    ) -> list[Chosen]:
        """Hold back local jobs beyond ``max_running()`` running ones (attached runs only).

        A job (or a whole group) takes one place; a held-back job stays pending, without an
        intent, and goes in a later step, once a running one has ended.
        """
        bound = max_running()
        if bound is None:
            return list(chosen)
        free = bound - sum(
            1
            for job in self.jobs.values()
            if job.launched
            and not job.is_terminal
            and job.state is not JobState.UNKNOWN
            and job.handles[0].startswith(f"{_BOUNDED_BACKEND}://")
        )
        kept: list[Chosen] = []
        for entry in chosen:
            backend = backends[entry[0].id]
            if backend.name == _BOUNDED_BACKEND and not backend.capabilities.dependencies:
                if free <= 0:
                    self._holding = True
                    continue
                free -= 1
            kept.append(entry)
        return kept

    def _native(
        self,
        backend: "Backend[Any, Any]",
        parents: Iterable[BaseJob],
        placed: dict[str, "Backend[Any, Any]"],
    ) -> bool:
        """Whether ``backend`` can wait for ``parents`` itself (submitted there or placed)."""
        if not backend.capabilities.dependencies:
            return False
        return all(
            placed[p.id] is backend
            if p.id in placed
            else bool(p.handles)
            and all(self.backend_of(p, i) is backend for i in range(len(p.handles)))
            for p in parents
        )

    def save(self, job: BaseJob) -> None:
        """Write the job's record to its ``job.json`` (its catalog row carries its state)."""
        self.store.write_job(self.experiment_id, job.id, job.to_record())

    # -- status ---------------------------------------------------------------------------------

    def reconcile(self, jobs: Iterable[BaseJob] | None = None) -> list[BaseJob]:
        """Resolve the submits in doubt among ``jobs`` (default: all); see :class:`Reconciler`."""
        return self.reconciler.resolve(self.jobs.values() if jobs is None else jobs)

    def poll(self, jobs: Iterable[BaseJob] | None = None) -> list[BaseJob]:
        """Refresh the state of launched, unfinished jobs (one status call per backend).

        Jobs that reached a terminal state are written back to ``job.json`` and the catalog.

        Returns:
            The jobs that ended during this poll.
        """
        chosen = [j for j in (jobs or self.jobs.values()) if j.handles and not j.is_terminal]
        asks: dict[int, tuple[Backend[Any, Any], list[Handle]]] = {}
        for job in chosen:
            for index in range(len(job.handles)):
                backend = self.backend_of(job, index)
                asks.setdefault(id(backend), (backend, []))[1].append(
                    Handle.parse(job.handles[index])
                )
        statuses = {}
        for backend, handles in asks.values():
            statuses.update({str(h): s for h, s in backend.status(handles).items()})
        ended = []
        for job in chosen:
            found = [statuses[h] for h in job.handles if h in statuses]
            if found:
                job.apply(combine_statuses(found))
            if job.is_terminal:
                ended.append(job)
        with self.store.write_group():
            self.store.write_jobs(self.experiment_id, [(job.id, job.to_record()) for job in ended])
        for job in ended:
            _clean_up(job)
        return ended

    # -- logs -----------------------------------------------------------------------------------

    def tail(self, jobs: Iterable[BaseJob], write: Callable[[str], object]) -> None:
        """Print new output of ``jobs`` (without following), prefixed with the job's name."""
        for job in jobs:
            if not job.handles:
                continue
            handle = Handle.parse(job.handles[0])
            offset = self._log_offsets.get(job.id, 0)
            for line in self.backend_of(job).logs(handle, since=offset):
                if not line.endswith("\n"):
                    break  # an incomplete line: print it once it is complete
                offset += len(line.encode())
                write(f"[{job.name}] {line}")
            self._log_offsets[job.id] = offset

    def wait(
        self,
        *,
        detach: bool,
        until_submitted: bool = False,
        timeout: float | None = None,
        on_tick: Callable[[], None] | None = None,
        submit: bool = True,
    ) -> None:
        """Poll and submit dependents until every job ended (or, optionally, was submitted).

        Args:
            detach: Submit dependents detached.
            until_submitted: Return once nothing is pending (the supervisor's mode).
            timeout: Give up after this many seconds.
            on_tick: Called after every round (log tailing).
            submit: Submit pending jobs; False only waits for the submitted ones.
        """
        start = time.monotonic()
        deadline = None if timeout is None else start + timeout
        interval = 0.005
        while True:
            self.poll()
            pending = self.step(detach=detach) if submit else False
            if on_tick is not None:
                on_tick()
            if until_submitted and not pending:
                return
            # A job the backend does not know (UNKNOWN) cannot be waited for.
            unfinished = [
                j
                for j in self.jobs.values()
                if j.launched and not j.is_terminal and j.state is not JobState.UNKNOWN
            ]
            if not pending and not unfinished:
                return
            if deadline is not None and time.monotonic() >= deadline:
                return
            if self._holding:  # a local job's end frees a place: wake up at once
                wait_any(interval)
            else:
                time.sleep(interval)
            # Poll briskly at first (short jobs end fast), then back off to one poll a second.
            cap = _FAST_POLL if time.monotonic() - start < _FAST_PERIOD else _SLOW_POLL
            interval = min(interval * 1.25, cap)


def _chain(error: BaseException) -> Iterator[BaseException]:
    """``error`` and the errors it was raised from or while handling."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        yield current
        seen.add(id(current))
        current = current.__cause__ or current.__context__


def _never_sent(error: BaseException) -> bool:
    """Whether a failed submit surely sent nothing: the connection was never made."""
    return any(isinstance(current, _NOT_CONNECTED) for current in _chain(error))


def _may_still_arrive(error: BaseException) -> bool:
    """Whether a failed submit's command may still run (a connection lost mid-command)."""
    return any(getattr(current, "may_have_run", False) is True for current in _chain(error))


class _Recorder:
    """Collects the handles of a step's units and records each job once all its units have one."""

    def __init__(self, driver: JobDriver, unit_counts: dict[str, int]) -> None:
        self.driver = driver
        self.unit_counts = unit_counts
        self.units: dict[str, dict[int, tuple[Handle, BackendRef]]] = {}

    def add(
        self,
        backend: "Backend[Any, Any]",
        owners: Sequence[Sequence[Piece]],
        handles: Sequence[Sequence[Handle]],
    ) -> None:
        """Take the handles a batch returned (``owners[i]`` are the pieces of entry ``i``).

        The submit time recorded is taken first: a job found ended already gets its end
        (``updated``) after it, so a reader does not take the handle for the newer news.
        """
        submitted = time.time()
        ref = BackendRef.of(backend)
        complete: list[BaseJob] = []
        for pieces, entry_handles in zip(owners, handles, strict=False):
            for piece, handle in zip(pieces, entry_handles, strict=True):
                got = self.units.setdefault(piece.job.id, {})
                got[piece.unit] = (handle, ref)
                if len(got) == self.unit_counts[piece.job.id]:
                    complete.append(piece.job)
        ended = self._ended_already(backend, complete)
        for job in complete:
            self._mark(job, ended.get(job.id))
        driver = self.driver
        driver.store.record_submits(
            driver.experiment_id,
            [SubmittedRequest(job.id, job.handles[0], _content_of(job)) for job in complete],
            submitted=submitted,
        )
        for job in complete:
            self._follow_up(job)

    def _ended_already(
        self, backend: "Backend[Any, Any]", jobs: Sequence[BaseJob]
    ) -> dict[str, JobStatus]:
        """The jobs among ``jobs`` that ended already, where asking costs no round trip.

        A short local job has often ended by the time its batch returns: it is then recorded
        ended in the same write as its handle, instead of in a second write at the next poll.

        Returns:
            ``{job id: its final status}`` (empty for other backends).
        """
        if backend.name != _STATUS_AT_SUBMIT:
            return {}
        handles = {
            job.id: handle
            for job in jobs
            if len(self.units[job.id]) == 1
            for handle, _ in self.units[job.id].values()
        }
        if not handles:
            return {}
        try:
            statuses = backend.status(list(handles.values()))
        except (ExecError, OSError):  # the handles are recorded all the same; polled later
            return {}
        return {
            job_id: statuses[handle]
            for job_id, handle in handles.items()
            if handle in statuses and statuses[handle].state.is_terminal
        }

    def _mark(self, job: BaseJob, ended: JobStatus | None) -> None:
        """Give ``job`` its handles (and its end, when it ended already)."""
        got = self.units[job.id]
        units = [got[i] for i in sorted(got)]
        job.submitted([str(h) for h, _ in units], [ref for _, ref in units], "")
        if ended is not None:
            job.apply(ended)

    def _follow_up(self, job: BaseJob) -> None:
        """Once recorded: clean up after a job that ended, cancel one cancelled meanwhile."""
        if job.is_terminal:
            _clean_up(job)
        elif job.cancel_requested:
            got = self.units[job.id]
            for handle, ref in (got[i] for i in sorted(got)):
                self.driver.pool.for_handle(handle, ref).cancel([handle])


def _content_of(job: BaseJob) -> Callable[[JobRecord], dict[str, Any]]:
    """The content recorded with a job's handle, seeing a cancel requested meanwhile."""

    def content(before: JobRecord) -> dict[str, Any]:
        if before.get("cancel_requested"):  # cancelled from elsewhere while submitted
            job.cancel_requested = True
        return job.to_record()

    return content


def _clean_up(job: BaseJob) -> None:
    """Call each executor's ``cleanup(handle)`` once the job has ended (NeMo-Run's hook).

    Only in a process that holds the job's executors (the one that launched it, or one that
    used them since): rebuilding an executor could need the user's code, and opening an
    experiment never runs it.
    """
    executors = job.loaded_executors()
    if not executors:
        return
    for index, handle in enumerate(job.handles):
        executor = executors[index] if len(executors) > 1 else executors[0]
        try:
            executor.cleanup(handle)
        except ExecError as error:
            _LOG.warning("cleanup of %s (job %r) failed: %s", handle, job.id, error)
