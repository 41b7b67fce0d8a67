"""Submitting an experiment's jobs: intent records, dependencies, polling, reconciliation.

One :class:`Scheduler` drives the jobs of one experiment. It builds job specs, writes an
intent record before each submit, puts the experiment and job ids in the backend's job id,
uses a backend's native dependencies where it has them, and otherwise submits a job once its
parents have succeeded (a job whose parent failed or was cancelled is never started and is
recorded ``CANCELLED``). Everything one step submits to a backend goes in one
``Backend.submit_batch`` (optionally as job arrays, see :mod:`nr_experiment.batch`); status
is asked with one ``Backend.status`` call per backend.
"""

import dataclasses
import json
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from nr_config import Partial
from nr_exec import Backend, BatchSubmitError, Executor, Handle, JobFile, JobSpec
from nr_exec.local.backend import LocalBackend

from nr_experiment.batch import Piece, build_entries
from nr_experiment.dag import topological_order
from nr_experiment.job import BaseJob
from nr_experiment.store import Store, backend_job_name

__all__ = ["Scheduler"]

_PER_JOB_FIELDS = ("experiment_id", "job_dir")
_FAST_POLL, _FAST_PERIOD, _SLOW_POLL = 0.02, 10.0, 1.0
_MAIN_REF = '"__main__:'
_MAIN_FILE = "main.py"


def _combine(states: Sequence[str]) -> str:
    """The state of a job made of several submitted units."""
    for state in ("FAILED", "CANCELLED", "RUNNING", "PENDING", "SUBMITTED", "UNKNOWN"):
        if state in states:
            return state
    return states[0] if states else "UNKNOWN"


class Scheduler:
    """Submits, polls and reconciles the jobs of one experiment.

    Args:
        store: The experiment store.
        experiment_id: The experiment's id.
        jobs: Its jobs, in the order they were added.
        main_script: The saved ``main.py`` of the launching script, if any.
        echo: Where progress lines go (None: nowhere).

    Attributes:
        array: Submit same-shape single-task jobs with the same parents as job arrays, on
            backends that have them (``Experiment.run(array=True)``).
    """

    def __init__(
        self,
        store: Store,
        experiment_id: str,
        jobs: Sequence[BaseJob],
        *,
        main_script: Path | None = None,
        echo: Callable[[str], None] | None = None,
    ) -> None:
        self.store = store
        self.experiment_id = experiment_id
        self.jobs = {job.id: job for job in jobs}
        self.main_script = main_script
        self.echo = echo
        self.array = False
        self._backends: dict[str, Backend] = {}
        self._shared: dict[object, Backend] = {}
        self._log_offsets: dict[str, int] = {}

    # -- backends -------------------------------------------------------------------------------

    def backend(self, executor: Executor, record: object | None = None) -> Backend:
        """Return the backend of ``executor`` (one instance per distinct executor setting)."""
        if isinstance(record, dict):
            key = json.dumps({k: v for k, v in record.items() if k not in _PER_JOB_FIELDS})
        else:
            key = repr(executor)
        backend = self._backends.get(key)
        if backend is None:
            backend = executor.backend()
            shared = backend.batch_key()
            if shared is not None:
                backend = self._shared.setdefault(shared, backend)
            if isinstance(backend, LocalBackend):
                backend.root = self.store.home / "jobs"
            self._backends[key] = backend
        return backend

    def backend_for_handle(self, handle: Handle, job: BaseJob) -> Backend:
        """Return the backend serving ``handle`` (built from ``job``'s executor once)."""
        key = f"{handle.backend}://{handle.cluster}"
        backend = self._backends.get(key)
        if backend is None and handle.backend == LocalBackend.name:
            backend = self._backends[key] = LocalBackend(root=self.store.home / "jobs")
        if backend is None:
            backend = self.backend(job.executor_for(0), job.executor_records()[0])
            self._backends[key] = backend
        return backend

    def close(self) -> None:
        """Close every backend (jobs keep running)."""
        for backend in {id(b): b for b in self._backends.values()}.values():
            backend.close()
        self._backends.clear()
        self._shared.clear()

    # -- specs ----------------------------------------------------------------------------------

    def units(self, job: BaseJob) -> list[tuple[Backend, list[JobSpec]]]:
        """Split a job into what is submitted: one request, or one per task of a group.

        A group runs as one request where its backend has job groups; otherwise each task is
        its own request (task ``i > 0`` in ``<job dir>/task-<i>``).
        """
        records = job.executor_records()
        head = self.backend(job.executor_for(0), records[0])
        split = len(job.tasks) > 1 and not head.capabilities.job_groups
        base = backend_job_name(self.experiment_id, job.id)
        task_records = job.task_records()
        specs: list[tuple[Backend, JobSpec]] = []
        for index, task in enumerate(job.tasks):
            executor = job.executor_for(index)
            backend = self.backend(executor, records[min(index, len(records) - 1)])
            job_dir = job.job_dir / f"task-{index}" if split and index else job.job_dir
            name = job.name if len(job.tasks) == 1 else f"{job.name}-{index}"
            spec = executor.to_job_spec(
                task,
                name=name,
                job_dir=executor.backend_job_dir(str(job_dir)),
                job_id=f"{base}.{index}" if index else base,
            )
            if isinstance(task, Partial) and self._needs_main(task_records[index]):
                spec = self._with_main(spec)
            specs.append((backend, spec))
        if split:
            return [(backend, [spec]) for backend, spec in specs]
        return [(head, [spec for _, spec in specs])]

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
        if self.main_script is None:
            return False
        text = json.dumps(record)
        return _MAIN_REF in text

    # -- submitting -----------------------------------------------------------------------------

    def submit_jobs(
        self,
        chosen: Sequence[tuple[BaseJob, Sequence[str], Sequence[str]]],
        *,
        detach: bool,
    ) -> None:
        """Submit jobs: intent records, then one ``submit_batch`` per backend, then handles.

        Args:
            chosen: ``(job, ids of in-batch parents, handles of submitted parents)``, parents
                before children.
            detach: Whether the jobs must outlive this process.

        Raises:
            BatchSubmitError: A backend refused an entry; what was submitted is recorded.
        """
        batches: dict[int, tuple[Backend, list[Piece]]] = {}
        for job, parents, external in chosen:
            units = self.units(job)
            self.store.record_intent(
                self.experiment_id,
                job.id,
                units[0][0].name,
                details={
                    "backend_job_ids": [specs[0].job_id for _, specs in units],
                    "commands": [list(spec.argv) for _, specs in units for spec in specs],
                },
            )
            for index, (backend, unit_specs) in enumerate(units):
                specs = [
                    dataclasses.replace(s, dependencies=(*s.dependencies, *external))
                    for s in unit_specs
                ]
                shape = self._shape(job, specs) if len(units) == 1 and len(specs) == 1 else None
                piece = Piece(job, index, specs, tuple(parents), shape)
                batches.setdefault(id(backend), (backend, []))[1].append(piece)
        for backend, pieces in batches.values():
            entries, owners = build_entries(backend, pieces, detach=detach, array=self.array)
            try:
                handles = backend.submit_batch(entries)
            except BatchSubmitError as exc:
                self._record(owners, exc.submitted)
                raise
            self._record(owners, handles)

    def _shape(self, job: BaseJob, specs: Sequence[JobSpec]) -> str | None:
        """Array key of a one-task job: its executor settings and external dependencies."""
        if job.kind != "job":
            return None
        record = job.executor_records()[0]
        settings = {k: v for k, v in record.items() if k not in _PER_JOB_FIELDS}
        return json.dumps([settings, list(specs[0].dependencies)], sort_keys=True, default=str)

    def _record(
        self, owners: Sequence[Sequence[Piece]], handles: Sequence[Sequence[Handle]]
    ) -> None:
        """Give each job the handles of its submitted units and record the submission."""
        found: dict[str, dict[int, str]] = {}
        jobs: dict[str, BaseJob] = {}
        for pieces, entry_handles in zip(owners, handles, strict=False):
            for piece, handle in zip(pieces, entry_handles, strict=True):
                found.setdefault(piece.job.id, {})[piece.unit] = str(handle)
                jobs[piece.job.id] = piece.job
        for job_id, units in found.items():
            job = jobs[job_id]
            job.handles = [units[i] for i in sorted(units)]
            job.set_state("SUBMITTED")
            self.store.record_submitted(self.experiment_id, job.id, job.handles[0])
            if len(job.handles) > 1:
                self.store.write_job(self.experiment_id, job.id, job.to_record())

    def graph(self) -> dict[str, list[str]]:
        """``{job id: [ids it depends on]}``."""
        return {job.id: list(job.dependencies) for job in self.jobs.values()}

    def pending(self) -> list[BaseJob]:
        """Jobs not submitted yet that may still be (parents first)."""
        return [
            self.jobs[jid]
            for jid in topological_order(self.graph())
            if not self.jobs[jid].launched
            and not self.jobs[jid].is_terminal
            and not self.jobs[jid].cancel_requested
            and self.jobs[jid].state != "UNKNOWN"
        ]

    def step(self, *, detach: bool) -> bool:
        """Submit every pending job whose parents allow it, in one batch per backend.

        A job goes in when its parents succeeded, or when its backend has native
        dependencies and every unfinished parent is submitted there or goes in the same batch.

        Returns:
            Whether jobs are still pending afterwards.
        """
        remaining = False
        placed: dict[str, Backend] = {}
        chosen: list[tuple[BaseJob, list[str], list[str]]] = []
        for job in self.pending():
            parents = [self.jobs[dep] for dep in job.dependencies]
            failed = [p for p in parents if p.is_terminal and p.state != "SUCCEEDED"]
            if failed:
                job.set_state(
                    "CANCELLED",
                    message=f"not started: dependency {failed[0].id!r} ended {failed[0].state}",
                )
                self.save(job)
                continue
            backend = self.backend(job.executor_for(0), job.executor_records()[0])
            waiting = [p for p in parents if p.state != "SUCCEEDED"]
            if waiting and not self._native(backend, waiting, placed):
                remaining = True
                continue
            placed[job.id] = backend
            chosen.append(
                (
                    job,
                    [p.id for p in waiting if p.id in placed],
                    [h for p in waiting if p.id not in placed for h in p.handles],
                )
            )
        if chosen:
            self.submit_jobs(chosen, detach=detach)
        return remaining

    def _native(
        self, backend: Backend, parents: Iterable[BaseJob], placed: dict[str, Backend]
    ) -> bool:
        """Whether ``backend`` can wait for ``parents`` itself (submitted there or placed)."""
        if not backend.capabilities.dependencies:
            return False
        return all(
            placed[p.id] is backend
            if p.id in placed
            else bool(p.handles) and all(Handle.parse(h).backend == backend.name for h in p.handles)
            for p in parents
        )

    def save(self, job: BaseJob) -> None:
        """Write the job's record to its ``job.json`` and its state to the catalog."""
        self.store.write_job(self.experiment_id, job.id, job.to_record())
        self.store.update_states({(self.experiment_id, job.id): (job.state, job.updated)})

    # -- status ---------------------------------------------------------------------------------

    def poll(self, jobs: Iterable[BaseJob] | None = None) -> list[BaseJob]:
        """Refresh the state of launched, unfinished jobs (one status call per backend).

        Jobs that reached a terminal state are written back to ``job.json`` and the catalog.

        Returns:
            The jobs that ended during this poll.
        """
        chosen = [j for j in (jobs or self.jobs.values()) if j.handles and not j.is_terminal]
        by_backend: dict[str, tuple[Backend, list[Handle]]] = {}
        for job in chosen:
            for text in job.handles:
                handle = Handle.parse(text)
                backend = self.backend_for_handle(handle, job)
                by_backend.setdefault(f"{handle.backend}://{handle.cluster}", (backend, []))[
                    1
                ].append(handle)
        statuses = {}
        for backend, handles in by_backend.values():
            statuses.update({str(h): s for h, s in backend.status(handles).items()})
        ended = []
        for job in chosen:
            found = [statuses[h] for h in job.handles if h in statuses]
            if not found:
                continue
            state = _combine([s.state.value for s in found])
            codes = [s.exit_code for s in found if s.exit_code]
            exit_code = codes[0] if codes else found[0].exit_code
            message = next((s.message for s in found if s.message), "")
            if (state, exit_code, message) != (job.state, job.exit_code, job.message):
                job.set_state(state, exit_code, message)
            if job.is_terminal:
                ended.append(job)
        if ended:
            for job in ended:
                self.store.write_job(self.experiment_id, job.id, job.to_record())
            self.store.update_states(
                {(self.experiment_id, j.id): (j.state, j.updated) for j in ended}
            )
        return ended

    def reconcile(self, job: BaseJob, intent: dict[str, object]) -> bool:
        """Resolve a submit in doubt (intent recorded, no handle) by asking the backend.

        Returns:
            True if the job turned out to be submitted (its handle is now recorded).
        """
        details = intent.get("details")
        ids = details.get("backend_job_ids") if isinstance(details, dict) else None
        backend = self.backend(job.executor_for(0), job.executor_records()[0])
        if not isinstance(ids, list) or not isinstance(backend, LocalBackend):
            return False
        handles = [
            str(Handle(backend.name, backend.host, str(i)))
            for i in ids
            if (backend.root / str(i)).exists()
        ]
        if not handles:
            return False
        job.handles = handles
        job.set_state("SUBMITTED", message="submit confirmed by reconciliation")
        self.store.record_submitted(self.experiment_id, job.id, handles[0])
        self.store.write_job(self.experiment_id, job.id, job.to_record())
        return True

    # -- logs -----------------------------------------------------------------------------------

    def tail(self, jobs: Iterable[BaseJob], write: Callable[[str], object]) -> None:
        """Print new output of ``jobs`` (without following), prefixed with the job's name."""
        for job in jobs:
            if not job.handles:
                continue
            handle = Handle.parse(job.handles[0])
            offset = self._log_offsets.get(job.id, 0)
            for line in self.backend_for_handle(handle, job).logs(handle, since=offset):
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
    ) -> None:
        """Poll and submit dependents until every job ended (or, optionally, was submitted).

        Args:
            detach: Submit dependents detached.
            until_submitted: Return once nothing is pending (the supervisor's mode).
            timeout: Give up after this many seconds.
            on_tick: Called after every round (log tailing).
        """
        start = time.monotonic()
        deadline = None if timeout is None else start + timeout
        interval = 0.005
        while True:
            self.poll()
            pending = self.step(detach=detach)
            if on_tick is not None:
                on_tick()
            if until_submitted and not pending:
                return
            # A job the backend does not know (UNKNOWN) cannot be waited for.
            unfinished = [
                j
                for j in self.jobs.values()
                if j.launched and not j.is_terminal and j.state != "UNKNOWN"
            ]
            if not pending and not unfinished:
                return
            if deadline is not None and time.monotonic() >= deadline:
                return
            time.sleep(interval)
            # Poll briskly at first (short jobs end fast), then back off to one poll a second.
            cap = _FAST_POLL if time.monotonic() - start < _FAST_PERIOD else _SLOW_POLL
            interval = min(interval * 1.25, cap)
