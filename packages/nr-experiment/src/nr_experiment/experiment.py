"""``Experiment``: add jobs, launch them, and manage them later, from any process.

Typical use::

    with Experiment("sweep") as exp:
        first = exp.add(task, executor=LocalExecutor(), name="train")
        exp.add(script, name="eval", dependencies=[first])
        exp.run()

Leaving the ``with`` block waits for the jobs (unless ``run(detach=True)``), prints their
status and how to reconnect. ``Experiment.from_id(id)`` reconstructs the experiment from the
store in any process, months later.
"""

import contextlib
import copy
import dataclasses
import logging
import os
import re
import socket
import subprocess
import sys
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

import nr_config
from nr_config import Partial, Script
from nr_exec import Backend, Executor, FailureReason, Handle, JobState
from nr_exec.describe import describe_executors
from nr_exec.snapshot import plain_copy

from nr_experiment import console
from nr_experiment.__about__ import __version__
from nr_experiment.code import copy_pins
from nr_experiment.dag import check_new_dependencies, dependents_closure, topological_order
from nr_experiment.direct import LOG_FILE, run_direct
from nr_experiment.errors import ExperimentStateError, UnknownJobError
from nr_experiment.ids import append_ids
from nr_experiment.interrupt import INTERRUPT_POLICIES, InterruptPolicy, decide
from nr_experiment.job import BaseJob, Job, JobGroup, implied_message, job_from_record
from nr_experiment.naming import default_job_name, repeated_job_id
from nr_experiment.plugin import Plugin
from nr_experiment.processes import ProcessIdentity
from nr_experiment.progress import Progress
from nr_experiment.serial import executor_from_record, executor_to_record, plugin_to_record
from nr_experiment.store import (
    ExperimentNotFoundError,
    ExperimentRecord,
    ExperimentRef,
    NotAnIdError,
    Store,
    is_experiment_id,
    validate_experiment_id,
    validate_title,
)

if TYPE_CHECKING:
    from nr_experiment.launch import JobDriver

__all__ = ["Experiment", "JobRef", "LazyTask", "resolve_lazy_task"]

#: A job is addressed by its id, its name (the first job of that name) or its index.
JobRef = str | int


class LazyTask(Protocol):
    """A task recorded without importing its target (``run.LazyEntrypoint``).

    ``add`` and ``run`` resolve it, before anything launches, into the ``Partial`` or
    ``Script`` it stands for.
    """

    def __nr_resolve__(self) -> Partial[Any] | Script:
        """Import the target and return the task."""
        ...


def resolve_lazy_task(task: Any) -> Any:
    """Return the task a `LazyTask` stands for; any other value unchanged."""
    resolve = getattr(type(task), "__nr_resolve__", None)
    return resolve(task) if resolve is not None else task


def _copied_task(task: Partial[Any] | Script) -> Partial[Any] | Script:
    """The job's own deep copy of a task (a data-only ``Script`` without the copy protocol)."""
    if isinstance(task, Partial):
        return nr_config.clone(task)
    snapshot = plain_copy(task)
    return copy.deepcopy(task) if snapshot is None else snapshot[0]


def _resolve_lazy_tasks(
    task: Any,
) -> Partial[Any] | Script | Sequence[Partial[Any] | Script] | Callable[..., Any]:
    """`add`'s task with every `LazyTask` in it (alone or in a list) resolved."""
    resolved = resolve_lazy_task(task)
    if isinstance(resolved, (list, tuple)):
        return [resolve_lazy_task(t) for t in resolved]
    return resolved  # type: ignore[no-any-return]


MAIN_FILE = "main.py"
SUPERVISOR_LOG = "supervisor.log"
# Supervisors started here, kept referenced: they outlive this process by design.
_SUPERVISORS: dict[str, "subprocess.Popen[bytes]"] = {}
_CANCEL_IN_DOUBT = "submit in doubt; cancel requested: it is cancelled once found"
_LOG = logging.getLogger("nr_experiment")
_STATES = {state.value: state for state in JobState}
_ENDED = frozenset(state for state in JobState if state.is_terminal)


def _row(job: BaseJob) -> dict[str, Any]:
    """One job's line of ``status(return_dict=True)`` (JSON data)."""
    return {
        "name": job.name,
        "status": job.state.value,
        "reason": None if job.reason is None else job.reason.value,
        "retries": job.retries,
        "exit_code": job.exit_code,
        "message": job.message,
        "executor": job.executor_info,
        "job_id": job.id,
        "handle": job.handle,
        "handles": list(job.handles),
        "local_dir": str(job.job_dir),
    }


def _set_driver(identity: ProcessIdentity | None) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """An ``update_experiment`` step naming the process that drives the experiment now.

    The driver is the process that will submit the experiment's waiting jobs (an attached
    launcher until its wait ends, or the detached supervisor); None when nobody does.
    """

    def mutate(current: dict[str, Any]) -> dict[str, Any]:
        current["driver"] = None if identity is None else identity.to_record()
        return current

    return mutate


def release_driver(current: dict[str, Any]) -> dict[str, Any]:
    """An ``update_experiment`` step: this process no longer drives the experiment."""
    driver = ProcessIdentity.from_record(current.get("driver"))
    if driver is not None and driver.is_current():
        current["driver"] = None
    return current


def _mark_dryrun(current: dict[str, Any]) -> dict[str, Any]:
    """An ``update_experiment`` step: a dry run kept the experiment (``"dryrun": true``)."""
    current["dryrun"] = True
    return current


def _refused(job: BaseJob) -> bool:
    """Whether the job's submit was refused (packaging, preflight, backend): never launched."""
    return (
        job.state is JobState.FAILED
        and job.reason is FailureReason.SUBMIT_ERROR
        and not job.launched
        and not job.cancel_requested
    )


def _task_configs(tasks: Sequence[Partial[Any] | Script]) -> list[Any]:
    """The tasks as configurations (a ``Script`` as its ``Config``), to compare field by field."""
    return [nr_config.to_config(t) if isinstance(t, Script) else t for t in tasks]


def _prefixed(prefix: str, changes: list[nr_config.Change]) -> list[nr_config.Change]:
    """The changes with their paths under ``prefix`` (``prefix.a``, ``prefix[0]``)."""
    return [
        dataclasses.replace(
            change,
            path=f"{prefix}{change.path}"
            if change.path.startswith("[")
            else f"{prefix}.{change.path}".rstrip("."),
        )
        for change in changes
    ]


def _write_lines(lines: Iterable[str], pattern: re.Pattern[str] | None) -> None:
    """Write the lines (those matching ``pattern``, when given) to stdout."""
    for line in lines:
        if pattern is None or pattern.search(line):
            sys.stdout.write(line)
    sys.stdout.flush()


def _main_source() -> str | None:
    """The source of the launching script's ``__main__`` module, when it is a file."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if not path or not str(path).endswith(".py"):
        return None
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError:
        return None


class Experiment:
    """A set of jobs launched together and managed as one, recorded in the store.

    Args:
        title: The experiment's title; its id is ``<title>_<nanoseconds>``.
        executor: Default executor of the jobs (default: a ``LocalExecutor``).
        id: The id to create the experiment with instead (``<title>_<19 digits>``, e.g.
            ``f"{title}_{time.time_ns()}"``); an id already in the store is refused (open it
            with :meth:`from_id`).
        base_dir: Store root (default ``$NEMORUN_HOME``, else ``~/.run``, read now).
        log_level: Recorded with the experiment (no global logging setup is done).
        on_interrupt: What Ctrl+C does while the launcher waits for attached jobs: ``"ask"``
            (prompt on a terminal; cancel when nobody can answer), ``"cancel"`` or ``"leave"``.
        clean_mode: Print nothing (status tables, closing message).
        enable_goodbye_message: Print how to reconnect when the ``with`` block ends.
        skip_status_at_exit: Do not print the status table when the ``with`` block ends.
        threadpool_workers: Recorded, for NeMo-Run's code (submits are batched per backend,
            so no per-job thread pool is needed).
        serialize_metadata_for_scripts: Recorded, for NeMo-Run's code (every task, scripts
            included, is always saved with its job).

    Attributes:
        title: The title.
        jobs: The jobs, in the order they were added.
    """

    def __init__(
        self,
        title: str,
        executor: Executor | None = None,
        id: str | None = None,
        *,
        base_dir: str | os.PathLike[str] | None = None,
        log_level: str = "INFO",
        on_interrupt: InterruptPolicy = "ask",
        clean_mode: bool = False,
        enable_goodbye_message: bool = True,
        skip_status_at_exit: bool = False,
        threadpool_workers: int = 16,
        serialize_metadata_for_scripts: bool = True,
    ) -> None:
        if on_interrupt not in INTERRUPT_POLICIES:
            raise ValueError(
                f"on_interrupt must be one of {INTERRUPT_POLICIES}, not {on_interrupt!r}"
            )
        self.title = validate_title(title)
        self._wanted_id = None if id is None else validate_experiment_id(id, self.title)
        self._executor = executor
        self._executor_record: Any = None
        self._store = Store(Path(base_dir) if base_dir is not None else None)
        self.log_level = log_level
        self.on_interrupt: InterruptPolicy = on_interrupt
        self.clean_mode = clean_mode
        self.enable_goodbye_message = enable_goodbye_message
        self.skip_status_at_exit = skip_status_at_exit
        self.threadpool_workers = threadpool_workers
        self.serialize_metadata_for_scripts = serialize_metadata_for_scripts
        self._jobs: list[BaseJob] | None = []
        self._job_ids: set[str] = set()  # ids of ``jobs`` (see _taken_ids)
        # A reconstruction's jobs as the catalog summarises them, until the jobs are read:
        self._summaries: list[tuple[str, str, dict[str, Any]]] | None = None
        self._ref: ExperimentRef | None = None
        self._main_source: str | None = None
        self._entered = False
        self._launched = False
        self._driving = False  # this object launched or resumed the jobs: it may submit them
        self._launch_failed = False
        self._detached = False
        self._reconstructed = False
        self._deleted = False  # by dryrun(delete_exp_dir=True)
        self._job_driver: JobDriver | None = None
        self._progress: Progress | None = None

    @property
    def jobs(self) -> list[BaseJob]:
        """The jobs, in the order they were added (a reconstruction reads them on first use)."""
        if self._jobs is None:
            self._jobs = self._read_jobs()
            self._summaries = None
        return self._jobs

    @jobs.setter
    def jobs(self, jobs: list[BaseJob]) -> None:
        self._jobs = jobs
        self._job_ids = set()

    def _read_jobs(self) -> list[BaseJob]:
        ref = self._created()
        main = ref.path / MAIN_FILE
        main_script = main if main.is_file() else None
        jobs = []
        for record in self._store.jobs(ref.id):
            job = job_from_record(ref.path / record.id, record)
            job.main_script = main_script
            jobs.append(job)
        return jobs

    # -- identity -------------------------------------------------------------------------------

    @property
    def id(self) -> str:
        """The experiment id (reserved in the store on first use, unless given as ``id``)."""
        if self._ref is None and self._wanted_id is not None:
            return self._wanted_id
        return self._created().id

    @property
    def path(self) -> Path:
        """The experiment's directory in the store (reserved on first use)."""
        return self._created().path

    @property
    def store(self) -> Store:
        """The store the experiment lives in."""
        return self._store

    @property
    def executor(self) -> Executor:
        """The default executor of ``add``."""
        if self._executor is None:
            if self._executor_record is not None:
                self._executor = executor_from_record(self._executor_record)
            else:
                from nr_exec import LocalExecutor  # noqa: PLC0415 - the default, built on use

                self._executor = LocalExecutor()
        return self._executor

    @property
    def tasks(self) -> list[Partial[Any] | Script]:
        """Every task of every job, in order."""
        return [task for job in self.jobs for task in job.tasks]

    def to_config(self) -> nr_config.Config["Experiment"]:
        """Return the experiment's settings as a ``Config`` (NeMo-Run's ``to_config()``).

        Title, id, executor, log level and options, as NeMo-Run records them; like
        NeMo-Run's, it leaves out ``base_dir`` and the jobs (their tasks are in
        :attr:`tasks`). Building it gives an unsaved ``Experiment`` with the same id.
        """
        return nr_config.Config(
            Experiment,
            title=self.title,
            executor=self.executor.to_config(),
            id=self.id,
            log_level=self.log_level,
            on_interrupt=self.on_interrupt,
            clean_mode=self.clean_mode,
            enable_goodbye_message=self.enable_goodbye_message,
            skip_status_at_exit=self.skip_status_at_exit,
            threadpool_workers=self.threadpool_workers,
            serialize_metadata_for_scripts=self.serialize_metadata_for_scripts,
        )

    def diff(self, old: "Experiment") -> list[nr_config.Change]:
        """Compare this experiment with an older one: its settings and every job's tasks.

        Args:
            old: The experiment to compare with (e.g. an earlier run loaded with
                :meth:`from_id`).

        Returns:
            The changes from ``old`` to this one (paths ``experiment.<setting>`` and
            ``tasks[<i>].<argument>``); ``nr_config.format_diff`` prints them,
            ``nr_config.render_diff`` draws a table.
        """
        settings = nr_config.diff(old.to_config(), self.to_config())
        tasks = nr_config.diff(_task_configs(old.tasks), _task_configs(self.tasks))
        return _prefixed("experiment", settings) + _prefixed("tasks", tasks)

    def _created(self) -> ExperimentRef:
        if self._ref is None:
            source = self._main_source if self._reconstructed else _main_source()
            self._ref = self._store.create_experiment(
                self.title, self._metadata("created"), experiment_id=self._wanted_id
            )
            if source is not None:
                self._store.save_main_source(self._ref.id, source)
            self._main_source = source
        return self._ref

    def _metadata(self, state: str) -> dict[str, Any]:
        return {
            "version": __version__,
            "state": state,
            "log_level": self.log_level,
            "options": {
                "on_interrupt": self.on_interrupt,
                "clean_mode": self.clean_mode,
                "enable_goodbye_message": self.enable_goodbye_message,
                "skip_status_at_exit": self.skip_status_at_exit,
                "threadpool_workers": self.threadpool_workers,
                "serialize_metadata_for_scripts": self.serialize_metadata_for_scripts,
            },
            "executor": self._executor_record
            if self._executor is None
            else executor_to_record(self.executor),
            "jobs": [job.id for job in self.jobs],
            # jobs without dependencies or plugins are left out: a 10,000-job sweep's record
            # is read by every status, and job.json holds each job's own lists anyway
            "dependencies": {job.id: job.dependencies for job in self.jobs if job.dependencies},
            "executors": {job.id: job.executor_info for job in self.jobs},
            "plugins": {job.id: job.plugins for job in self.jobs if job.plugins},
            "launch": {"host": socket.gethostname(), "cwd": str(Path.cwd()), "argv": sys.argv},
        }

    # -- context manager ------------------------------------------------------------------------

    def __enter__(self) -> "Experiment":
        if nr_config.loading_main_module():
            raise ExperimentStateError(
                f"experiment {self.title!r} was started while a job was loading a saved copy of "
                "its launching script: that script launches at import time. Put the launch code "
                'under `if __name__ == "__main__":` so that jobs can import the script safely.'
            )
        self._entered = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._entered = False
        self._store.flush()  # the jobs added and not launched
        if not self._driving:
            return  # nothing was launched here: opening an experiment never submits
        try:
            if exc_type is KeyboardInterrupt and not self._detached:
                self._interrupted()
            elif self._launch_failed:
                pass  # the launch raised, saying where each job stands; resume() goes on
            elif exc_type is None and not self._detached:
                self.wait()
            elif exc_type is not None:
                self._hand_over()
        finally:
            self._goodbye()

    def _require_open(self, what: str) -> None:
        if not self._entered:
            raise ExperimentStateError(
                f"Experiment.{what}() must be called inside `with Experiment(...) as exp:`"
            )
        if self._deleted:
            raise ExperimentStateError(
                f"experiment {self.title!r} was deleted by dryrun(delete_exp_dir=True); "
                "make a new Experiment to add or run jobs"
            )
        if self._launched:
            raise ExperimentStateError(
                f"experiment {self.id} was already launched; use reset() to launch it again"
            )

    # -- jobs -----------------------------------------------------------------------------------

    def add(  # noqa: PLR0917 - NeMo-Run's signature
        self,
        task: Partial[Any]
        | Script
        | LazyTask
        | Sequence[Partial[Any] | Script | LazyTask]
        | Callable[..., Any],
        executor: Executor | Sequence[Executor] | None = None,
        name: str = "",
        plugins: Plugin | Sequence[Plugin] | None = None,
        tail_logs: bool = False,
        dependencies: Sequence[JobRef] | None = None,
        **arguments: Any,
    ) -> str:
        """Add a job: one task, or a list of tasks run together as a group.

        ``add(fn, model_size=512, executor=..., name=...)`` is short for
        ``add(Partial(fn, model_size=512), executor=..., name=...)``.

        The executor and the task are copied for the job; the plugins' ``setup`` then runs
        on the copies (for a group, on every task). The task is saved at once, so an
        unrepresentable value fails here, naming its path.

        Args:
            task: A ``Partial`` or ``Script``, a list of them (a ``JobGroup``), or a plain
                function or class called with ``arguments``. A `LazyTask`
                (``run.LazyEntrypoint``) is resolved here, before anything launches.
            executor: Where it runs (default: the experiment's executor); for a group, one
                executor for all tasks or one per task.
            name: Job name (default: ``<module>.<qualname>`` of the task's target, the
                launching script's file stem for ``__main__``, or a script's name; required for
                a group). Names may repeat; ids never do: a repeated name gets the id
                ``<name>_<number of jobs so far>``, as in NeMo-Run (``train``, ``train_1``).
            plugins: Plugins to apply.
            tail_logs: Print the job's output while the launcher waits.
            dependencies: Jobs (ids, names or indexes) that must succeed first.
            **arguments: With a plain function or class as ``task``: its arguments.

        Returns:
            The job id.

        Raises:
            ExperimentStateError: Outside the ``with`` block, or after ``run``.
            DependencyError: A dependency is unknown.
            SerializationError: The task holds a value that cannot be saved.
        """
        self._require_open("add")
        resolved = _resolve_lazy_tasks(task)
        if isinstance(resolved, (Partial, Script, Sequence)):
            if arguments:
                raise TypeError(
                    f"add() got arguments {sorted(arguments)} for a task that is not a plain "
                    "function or class; put them in the Partial: add(Partial(fn, ...))"
                )
        else:
            resolved = Partial(resolved, **arguments)
        group = not isinstance(resolved, (Partial, Script))
        tasks: list[Partial[Any] | Script] = (
            list(resolved) if not isinstance(resolved, (Partial, Script)) else [resolved]
        )
        if not tasks or not all(isinstance(t, (Partial, Script)) for t in tasks):
            raise TypeError("add() takes a Partial, a Script, or a non-empty list of them")
        if group and not name:
            raise ValueError("a group of tasks needs a name: add([...], name=...)")
        given = executor if executor is not None else self.executor
        executors = list(given) if isinstance(given, Sequence) else [given]
        if len(executors) not in (1, len(tasks)):
            raise ValueError(
                f"{len(tasks)} tasks need 1 or {len(tasks)} executors, not {len(executors)}"
            )
        deps = [self._job(ref).id for ref in dependencies or []]
        if deps:  # without dependencies there is nothing to check
            check_new_dependencies(name or "<new job>", deps, self._taken_ids())
        plugin_list = [plugins] if isinstance(plugins, Plugin) else list(plugins or [])
        return self._add_job(
            cls=JobGroup if group else Job,
            name=name or default_job_name(tasks[0]),
            tasks=[_copied_task(t) for t in tasks],
            executors=[e.clone() for e in executors],
            plugins=plugin_list,
            deps=deps,
            tail_logs=tail_logs,
        )

    def _add_job(
        self,
        *,
        cls: type[BaseJob],
        name: str,
        tasks: list[Partial[Any] | Script],
        executors: list[Executor],
        plugins: list[Plugin],
        deps: list[str],
        tail_logs: bool,
        plugin_records: list[Any] | None = None,
    ) -> str:
        with self._store.deferred_syncs():  # durable at run(), dryrun() or the block's end
            eid = self._created().id
            for executor in executors:
                executor.experiment_id = eid
            for plugin in plugins:
                plugin.assign(eid)
                for index, task in enumerate(tasks):
                    plugin.setup(task, executors[index] if len(executors) > 1 else executors[0])
            job = cls(
                id="",
                name=name,
                tasks=tasks,
                executors=executors,
                dependencies=deps,
                tail_logs=tail_logs,
                plugins=plugin_records or [plugin_to_record(p) for p in plugins],
                job_dir=Path(),
                executor_info=executors[0].info(),
            )
            job.task_records()  # validates: an unrepresentable value fails before any file exists
            taken = self._taken_ids()
            wanted = repeated_job_id(name, taken, len(self.jobs))

            def content(job_dir: Path) -> dict[str, Any]:
                job.job_dir, job.id = job_dir, job_dir.name
                for executor in executors:
                    executor.assign(eid, str(job_dir.parent), job.id, job_dir.name)
                job.executor_description = describe_executors(executors, job.executor_records())
                return job.to_record()

            self._store.add_job_dir(eid, name, wanted, content=content)
            self.jobs.append(job)
            taken.add(job.id)
            return job.id

    def _taken_ids(self) -> set[str]:
        """The ids of ``jobs``, kept between adds (an add must not cost O(jobs so far)).

        Rebuilt when ``jobs`` was replaced or changed other than by an add.
        """
        if len(self._job_ids) != len(self.jobs):
            self._job_ids = {job.id for job in self.jobs}
        return self._job_ids

    def _job(self, ref: JobRef | BaseJob) -> BaseJob:
        """Find a job by id, then by name (the first of that name), or by index."""
        if isinstance(ref, BaseJob):
            return ref
        known = [job.id for job in self.jobs]
        if isinstance(ref, int):
            if -len(self.jobs) <= ref < len(self.jobs):
                return self.jobs[ref]
            raise UnknownJobError(ref, known, "no job at index")
        for job in self.jobs:
            if job.id == ref:
                return job
        for job in self.jobs:
            if job.name == ref:
                return job
        raise UnknownJobError(ref, known)

    def _driver(self) -> "JobDriver":
        if self._job_driver is None:
            from nr_experiment.launch import JobDriver  # noqa: PLC0415 - ended jobs need none

            main = self.path / MAIN_FILE
            self._job_driver = JobDriver(
                self._store, self.id, self.jobs, main_script=main if main.is_file() else None
            )
        return self._job_driver

    # -- launching ------------------------------------------------------------------------------

    def dryrun(
        self, log: bool = True, exist_ok: bool = False, delete_exp_dir: bool = False
    ) -> dict[str, list[str]]:
        """Show what ``run`` would submit, without submitting.

        Prints each job's exact artifacts (the backend's ``materialize()``) to stdout. By
        default the experiment's files stay in the store and ``run`` may follow (NeMo-Run
        deletes them by default; ``delete_exp_dir=True`` does so).

        Args:
            log: Print the artifacts (else only return them).
            exist_ok: Accepted for NeMo-Run's code: the store never reuses a directory, so an
                existing one is never in the way.
            delete_exp_dir: Then delete the experiment from the store (``run`` is then
                refused: make a new ``Experiment``).

        Returns:
            ``{job id: [artifact, ...]}`` (one artifact per request the job makes).
        """
        del exist_ok
        self._require_open("dryrun")
        self._store.flush()
        topological_order({job.id: job.dependencies for job in self.jobs})
        driver = self._driver()
        artifacts: dict[str, list[str]] = {}
        for job in self.jobs:
            texts = [u.backend.dryrun(u.specs).materialize() for u in driver.units(job)]
            artifacts[job.id] = texts
            deps = f" (after {', '.join(job.dependencies)})" if job.dependencies else ""
            for text in texts if log else ():
                print(f"# job {job.id} of {self.id}{deps}\n{text}")
        if delete_exp_dir:
            driver.close()
            self._job_driver = None
            self._store.delete_experiment(self.id)
            self._deleted = True
        elif not self._launched:  # kept: marked so `nemorun experiment list` can hide it
            self._store.update_experiment(self.id, _mark_dryrun)
            self._store.catalog.mark_dryrun(self.id)
        return artifacts

    def run(
        self,
        sequential: bool = False,
        detach: bool = False,
        tail_logs: bool = False,
        direct: bool = False,
        *,
        array: bool = False,
    ) -> None:
        """Launch the jobs.

        Every job's code is packaged first (also the dependents submitted later, by this
        process or a supervisor: they run the code of this moment), and every request is
        built and checked (``Backend.dryrun``: the backend's capabilities and settings), so
        a refused job fails here with nothing submitted and no submit intent written; it is
        recorded ``FAILED`` with reason ``SUBMIT_ERROR``. Jobs without unfinished
        dependencies are then submitted. A job with dependencies is submitted natively (with
        its parents' handles) when its backend supports dependencies; otherwise it is
        submitted once its parents succeeded:
        by this process while it waits (at the end of the ``with`` block), or, with
        ``detach=True``, by a small detached supervisor (``python -m nr_experiment.supervisor``)
        so the launcher may exit.

        Everything submitted at once to one backend goes in one ``Backend.submit_batch`` (on
        Slurm, one file transfer and one remote shell for the whole experiment, with native
        dependencies).

        If a submit fails, :class:`~nr_experiment.errors.SubmitError` says which jobs were
        submitted, which were not (``resume()`` launches them) and which are in doubt
        (``status()`` resolves them).

        Args:
            sequential: Run the jobs one after the other, in the order added (not allowed
                together with explicit dependencies).
            detach: Do not wait at the end of the ``with`` block; jobs outlive the launcher.
            tail_logs: Print every job's output while waiting.
            direct: Run every job here, in this process, one after the other.
            array: Submit single-task jobs that share their executor settings and parents
                as job arrays, on backends that have them (see the backend's documentation
                for how arrays are chunked). Each job keeps its own id, handle (an array
                element), status, logs and cancel. A job waiting for an array member waits
                for that member's whole array (chunk).

        Raises:
            ExperimentStateError: Outside the ``with`` block, already launched, or no jobs.
            DependencyError: The dependencies have a cycle or name an unknown job.
            BackendError: A backend refused a request (nothing was submitted).
            SubmitError: A submit failed part-way.
        """
        self._require_open("run")
        if not self.jobs:
            raise ExperimentStateError("nothing to run: add() a job first")
        self._store.flush()  # every added job is durable before anything is submitted
        if sequential:
            if any(job.dependencies for job in self.jobs):
                raise ExperimentStateError("sequential=True cannot be combined with dependencies")
            for previous, job in zip(self.jobs, self.jobs[1:], strict=False):
                job.dependencies = [previous.id]
        order = topological_order({job.id: job.dependencies for job in self.jobs})
        with self._store.write_group():
            for job in self.jobs:
                job.tail_logs = job.tail_logs or tail_logs
                if sequential or tail_logs:
                    self._store.write_job(self.id, job.id, job.to_record())
        self._store.update_experiment(
            self.id, self._launch_record(detach, sequential, direct, array)
        )
        self._launched = self._driving = True
        self._detached = detach and not direct
        self._driver().array = array
        progress = self._start_progress()
        with self._launching():
            if direct:
                self._run_direct(order)
                waiting = False
            else:
                with self._store.write_group():  # every job's code, as it is now, before any submit
                    self._driver().pin(self.jobs)
                waiting = self._driver().step(detach=self._detached)
                if progress is not None:
                    progress.update(self.jobs)
            if waiting and self._detached:
                self._spawn_supervisor()
            elif self._detached or direct:  # nothing is left for this process to submit
                self._store.update_experiment(self.id, release_driver)
        if self._detached and progress is not None:
            progress.detached(self.jobs)  # nothing here follows the jobs any more
        self._append_ids()

    def _start_progress(self) -> Progress | None:
        """Announce the launch and follow it (nothing in ``clean_mode``)."""
        self._progress = None
        if not self.clean_mode:
            self._progress = Progress(self.id, console.echo, keep=self.skip_status_at_exit)
            self._progress.start(self.jobs)
            self._driver().events = self._progress
        return self._progress

    @contextlib.contextmanager
    def _launching(self) -> Iterator[None]:
        """Remember a launch that raised.

        Leaving the ``with`` block then neither waits for the jobs nor hands them to a
        supervisor: the error said where each job stands, and ``resume()`` goes on.
        """
        self._launch_failed = False
        try:
            yield
        except Exception:
            self._launch_failed = True
            raise

    def resume(self, *, detach: bool = False, tail_logs: bool = False) -> list[str]:
        """Launch the jobs of a launched experiment that were never submitted.

        For an experiment whose launcher was killed mid-submit, or whose submit failed (jobs
        ``FAILED`` with reason ``SUBMIT_ERROR`` are launched again). The
        submits in doubt are reconciled first (as by :meth:`status`); then exactly the jobs
        not submitted are launched, parents before children, as :meth:`run` would: the jobs
        the backend never received, and the jobs nobody reached. A job found on its backend
        is never submitted again, and a job still in doubt (its launcher still runs, or ran
        on another host) is left alone.

        Attached, it waits for the jobs: at the end of the ``with`` block, or at once when
        called outside one (then the status and how to reconnect are printed, as when a
        ``with`` block ends). With ``detach=True`` jobs waiting for parents are handed to a
        detached supervisor.

        Args:
            detach: Do not wait; jobs outlive this process.
            tail_logs: Print every job's output while waiting.

        Returns:
            The ids of the jobs launched (or left to the supervisor), parents first.

        Raises:
            ExperimentStateError: The experiment was never launched (use :meth:`run`), or
                another live process still drives it (its launcher or its supervisor).
            BackendError: A backend refused a request (nothing was submitted).
            SubmitError: A submit failed part-way.
        """
        meta = self._store.load_experiment(self.id)
        if not self._launched and meta.get("state") != "launched":
            raise ExperimentStateError(f"experiment {self.id} was never launched; use run()")
        self._check_not_driven(meta)
        self._refresh()
        driver = self._driver()
        driver.reconcile()
        for job in self.jobs:
            if _refused(job):  # its submit was refused: try again
                job.set_state(JobState.UNSUBMITTED, message="resumed after a refused submit")
        chosen = [
            job
            for job in self.jobs
            if not job.launched
            and not job.is_terminal
            and not job.cancel_requested
            and job.state is not JobState.UNKNOWN
        ]
        doubtful = [job.id for job in self.jobs if job.submit_unresolved and job not in chosen]
        if doubtful:
            self._say(f"Left in doubt (status() resolves them later): {', '.join(doubtful)}")
        driver.resumable = {job.id for job in chosen if job.intent is not None}
        self._store.update_experiment(self.id, _set_driver(ProcessIdentity.current()))
        for job in self.jobs:
            job.tail_logs = job.tail_logs or tail_logs
        self._launched = self._driving = True
        self._detached = detach
        with self._launching():
            if chosen and driver.step(detach=detach) and detach:
                self._spawn_supervisor(resume=driver.resumable)
            elif detach:
                self._store.update_experiment(self.id, release_driver)
        self._append_ids()
        if not self._entered:
            try:
                if not detach:
                    self.wait()
            finally:
                self._goodbye()
        launched = {job.id for job in chosen}
        return [jid for jid in topological_order(driver.graph()) if jid in launched]

    def _check_not_driven(self, meta: Mapping[str, Any]) -> None:
        """Refuse to resume while another live process drives the experiment's jobs."""
        for supervisor in _SUPERVISORS.values():
            supervisor.poll()  # a supervisor started here that has exited is reaped, not alive
        driver = ProcessIdentity.from_record(meta.get("driver"))
        if driver is None or driver.is_current():
            return
        running = driver.is_running()
        if running is False:
            return
        where = (
            "still runs"
            if running
            else f"ran on another host ({driver.host}); resume from there, where it can be checked"
        )
        raise ExperimentStateError(
            f"experiment {self.id} is driven by {driver.describe()}, which {where}; it submits "
            "the waiting jobs itself"
        )

    def _append_ids(self) -> None:
        append_ids(
            self.id,
            str(self.path),
            ({"name": j.name, "id": j.id, "handle": j.handle} for j in self.jobs),
        )

    def _launch_record(self, detach: bool, sequential: bool, direct: bool, array: bool) -> Any:
        import time  # noqa: PLC0415

        update = self._metadata("launched")
        update.update(
            launched=time.time(),
            detach=detach,
            sequential=sequential,
            direct=direct,
            array=array,
            driver=ProcessIdentity.current().to_record(),
        )
        del update["launch"]

        def mutate(current: dict[str, Any]) -> dict[str, Any]:
            current.update(update)
            return current

        return mutate

    def _run_direct(self, order: list[str]) -> None:
        by_id = {job.id: job for job in self.jobs}
        for jid in order:
            job = by_id[jid]
            parents = [by_id[dep] for dep in job.dependencies]
            if all(parent.state is JobState.SUCCEEDED for parent in parents):
                run_direct(job)
            else:
                job.set_state(
                    JobState.CANCELLED, message="not started: a dependency did not succeed"
                )
            self._driver().save(job)

    def _spawn_supervisor(self, *, resume: Collection[str] = ()) -> None:
        """Start the detached process that submits dependents once their parents end.

        It becomes the experiment's driver (``experiment.json``), so that ``resume()``
        elsewhere leaves its jobs to it.
        """
        log = (self.path / SUPERVISOR_LOG).open("ab")
        resumed = ["--resume", *sorted(resume)] if resume else []
        with log:
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "nr_experiment.supervisor",
                    "--home",
                    str(self._store.home),
                    *resumed,
                    self.id,
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _SUPERVISORS[self.id] = proc
        self._store.update_experiment(self.id, _set_driver(ProcessIdentity.of_pid(proc.pid)))

    def _hand_over(self) -> None:
        """Leave the experiment: a supervisor submits jobs still waiting on parents."""
        if not self._driving:
            return  # this process submits nothing, so it hands nothing over
        if any(not job.launched and not job.is_terminal for job in self.jobs):
            self._refresh()
            driver = self._driver()
            if driver.pending():
                self._spawn_supervisor(resume=driver.resumable)
                return
        self._store.update_experiment(self.id, release_driver)

    def wait(self, timeout: float | None = None) -> dict[str, JobState]:
        """Wait until every job ended, submitting dependents as their parents succeed.

        Only the process that launched (or resumed) the jobs submits dependents; on an
        experiment loaded with :meth:`from_id` this only waits for the submitted jobs
        (:meth:`resume` submits the others).

        Ctrl+C while waiting follows ``on_interrupt`` (ask, cancel, or leave the jobs
        running), then re-raises ``KeyboardInterrupt``.

        Args:
            timeout: Give up after this many seconds.

        Returns:
            ``{job id: state}``.
        """
        driver = self._driver()
        tailed = [job for job in self.jobs if job.tail_logs]

        progress = self._progress

        def tick() -> None:
            if tailed:
                driver.tail(tailed, sys.stdout.write)
            if progress is not None:
                progress.update(self.jobs)

        try:
            driver.wait(detach=self._detached, timeout=timeout, on_tick=tick, submit=self._driving)
        except KeyboardInterrupt:
            self._interrupted()
            raise
        if progress is not None:
            progress.update(self.jobs, final=True)
        if self._driving and not driver.pending():
            self._store.update_experiment(self.id, release_driver)
        return {job.id: job.state for job in self.jobs}

    def _interrupted(self) -> None:
        if self._progress is not None:
            self._progress.close()  # the question is asked on a terminal free of the live table
        if decide(self.on_interrupt) == "cancel":
            self._say("Interrupted: cancelling the experiment's jobs.")
            self.cancel()
        else:
            self._say("Interrupted: the jobs keep running.")
            self._hand_over()

    def _say(self, text: str) -> None:
        if not self.clean_mode:
            console.echo(text)

    def _goodbye(self) -> None:
        if self._progress is not None:
            self._progress.close()  # the summary replaces the live table
        if self._job_driver is not None:
            self._job_driver.close()
        if self.clean_mode:
            return
        if not self.skip_status_at_exit:
            self.status()
        if self.enable_goodbye_message:
            console.closing_message(self.id, str(self.path))

    # -- management -----------------------------------------------------------------------------

    def _refresh(self) -> None:
        """Re-read jobs another process may have submitted or cancelled (the supervisor)."""
        for job in self.jobs:
            if not job.launched and not job.is_terminal:
                job.load_state(self._store.load_job(self.id, job.id))

    def status(self, return_dict: bool = False) -> dict[str, dict[str, Any]] | None:
        """Refresh and show the state of every job (one backend query per backend).

        Submits in doubt (an intent record without a handle, left by a launcher killed
        mid-submit or by a failed submit) are first reconciled with their backends: a job
        found there gets its handle; a job its backend never received, once its launcher is
        gone, becomes ``UNSUBMITTED`` (``resume()`` launches it); otherwise it stays
        ``UNKNOWN``. Jobs that ended are recorded in ``job.json`` and the catalog. Only
        the store and the backends are used: the jobs' tasks and executors are not loaded,
        so this works in a process that cannot import them.

        Args:
            return_dict: Return the states instead of printing a table.

        Returns:
            With ``return_dict``: ``{job id: {"name", "status", "reason", "retries",
            "exit_code", "message", "executor", "job_id", "handle", "handles",
            "local_dir"}}`` (JSON data: ``status`` is a ``JobState`` value, ``reason`` a
            ``FailureReason`` value or None); otherwise None.
        """
        rows = self._ended_rows() if self._jobs is None else None
        if rows is None:
            self._refresh()
            driver = self._driver()
            driver.reconcile()
            driver.poll()
            rows = {job.id: _row(job) for job in self.jobs}
        if return_dict:
            return rows
        console.print_status(self.id, rows)
        return None

    def _ended_rows(self) -> dict[str, dict[str, Any]] | None:
        """The status rows from the catalog, when every job has ended and the files agree.

        Jobs that ended are neither polled nor reconciled, so their rows are what the store
        recorded; the catalog's summaries are used only while every ``job.json`` is the file
        they were made from when the experiment was opened (else None: the jobs are read).
        """
        found = self._summaries
        if found is None:
            return None
        rows = {}
        for job_id, job_dir, summary in found:
            state = _STATES[summary["state"]]
            if state not in _ENDED:
                return None
            handles = summary["handles"]
            implied = summary["written_state"] != state.value
            rows[job_id] = {
                "name": summary["name"],
                "status": state.value,
                "reason": summary["reason"],
                "retries": summary["retries"],
                "exit_code": summary["exit_code"],
                "message": implied_message(state) if implied else summary["message"],
                "executor": summary["executor_info"],
                "job_id": job_id,
                "handle": handles[0] if handles else "",
                "handles": list(handles),
                "local_dir": job_dir,
            }
        return rows

    def logs(
        self,
        job_id: JobRef = 0,
        regex: str | None = None,
        *,
        follow: bool = False,
        strict: bool = False,
    ) -> None:
        """Print a job's output to stdout.

        An unknown job is logged as an error (logger ``nr_experiment``) and nothing is
        printed, as in NeMo-Run, unless ``strict``.

        Args:
            job_id: Id, name or index of the job (default: the first).
            regex: Print only the lines matching this regular expression (``re.search``).
            follow: Keep printing until the job ends.
            strict: Raise :class:`~nr_experiment.errors.UnknownJobError` for an unknown job.

        Raises:
            UnknownJobError: With ``strict``, no such job.
        """
        target = self._known(job_id, strict=strict)
        if target is None:
            return
        pattern = None if regex is None else re.compile(regex)
        if target.direct or not target.handles:
            path = Path(target.job_dir) / LOG_FILE
            if path.is_file():
                text = path.read_text(encoding="utf-8", errors="replace")
                _write_lines(text.splitlines(keepends=True), pattern)
            else:
                print(f"job {target.id} has no output yet ({target.state.value})", file=sys.stderr)
            return
        handle = Handle.parse(target.handles[0])
        _write_lines(self._driver().backend_of(target).logs(handle, follow=follow), pattern)

    def _known(self, ref: JobRef, *, strict: bool) -> BaseJob | None:
        """The job ``ref`` names; None (the error logged) for an unknown job unless strict."""
        try:
            return self._job(ref)
        except UnknownJobError as error:
            if strict:
                raise
            _LOG.error("experiment %s: %s", self.id, error)
            return None

    def cancel(
        self, job_id: JobRef | None = None, *, dependents: bool = True, strict: bool = False
    ) -> list[str]:
        """Cancel a job (and, by default, every job depending on it), or all jobs.

        Cancelling is idempotent. Submits in doubt are reconciled first, so a job found on
        its backend is cancelled there. A job not submitted is marked ``CANCELLED`` and
        will never be submitted (also by a detached supervisor or ``resume()``); a job
        still in doubt is marked to be cancelled as soon as its backend shows it. The
        submitted jobs are cancelled with one ``Backend.cancel`` per backend.

        An unknown job is logged as an error (logger ``nr_experiment``) and nothing is
        cancelled, as in NeMo-Run, unless ``strict``.

        Args:
            job_id: Id, name or index; None cancels every job.
            dependents: Also cancel the jobs that depend on it, directly or not.
            strict: Raise :class:`~nr_experiment.errors.UnknownJobError` for an unknown job.

        Returns:
            The ids of the jobs cancelled (or already ended).

        Raises:
            UnknownJobError: With ``strict``, no such job.
        """
        graph = {j.id: j.dependencies for j in self.jobs}
        if job_id is None:
            ids = list(graph)
        else:
            root = self._known(job_id, strict=strict)
            if root is None:
                return []
            ids = dependents_closure(graph, [root.id]) if dependents else [root.id]
        self._refresh()
        driver = self._driver()
        chosen = set(ids)
        targets = [j for j in self.jobs if j.id in chosen]
        driver.reconcile(targets)
        asks: dict[int, tuple[Backend[Any, Any], list[Handle]]] = {}
        for target in targets:
            if target.is_terminal:
                continue
            if target.handles:
                for index, text in enumerate(target.handles):
                    backend = driver.backend_of(target, index)
                    asks.setdefault(id(backend), (backend, []))[1].append(Handle.parse(text))
                continue
            target.cancel_requested = True
            if target.submit_unresolved:
                target.set_state(JobState.UNKNOWN, message=_CANCEL_IN_DOUBT)
            else:
                target.set_state(JobState.CANCELLED, message="cancelled before submission")
            driver.save(target)
        for backend, handles in asks.values():
            backend.cancel(handles)
        driver.poll(targets)
        return ids

    def reset(self) -> "Experiment":
        """Prepare a relaunch: a new id, with copies of the same jobs (same tasks and executors).

        Allowed after a launch or on a reconstructed experiment. Plugins are not applied
        again (their effect is already in the saved tasks). Each job ships the code archive
        recorded at its first launch (same commit, same dirty files), from any directory.
        The launching script's saved ``main.py`` is carried over, so ``__main__`` tasks
        still resolve.

        Returns:
            ``self``, ready for ``with exp: exp.run()``.
        """
        if not (self._launched or self._reconstructed):
            raise ExperimentStateError("reset() is for an experiment that was launched or loaded")
        old = self.jobs
        self._main_source = self._saved_main()
        self._reconstructed = True
        self._ref = None
        self._wanted_id = None  # a new id: the given one is the first launch's
        if self._job_driver is not None:
            self._job_driver.close()
            self._job_driver = None
        self._launched = self._driving = self._detached = False
        self.jobs = []
        ids: dict[str, str] = {}
        with self._store.write_group():
            self._copy_jobs(old, ids)
        return self

    def _copy_jobs(self, old: list[BaseJob], ids: dict[str, str]) -> None:
        for job in old:
            ids[job.id] = self._add_job(
                cls=type(job),
                name=job.name,
                tasks=[
                    copy.deepcopy(t) if isinstance(t, Script) else nr_config.clone(t)
                    for t in job.tasks
                ],
                executors=[e.clone() for e in job.executors],
                plugins=[],
                deps=[ids[dep] for dep in job.dependencies],
                tail_logs=job.tail_logs,
                plugin_records=job.plugins,
            )
            if job.code is not None:  # the same code: the archive recorded at the first launch
                again = self.jobs[-1]
                again.code = copy_pins(job.code, job.job_dir, again.job_dir)
                self._store.write_job(self.id, again.id, again.to_record())

    def _saved_main(self) -> str | None:
        if self._ref is None:
            return self._main_source
        path = self._ref.path / MAIN_FILE
        return path.read_text(encoding="utf-8") if path.is_file() else None

    # -- reconstruction -------------------------------------------------------------------------

    @classmethod
    def from_id(cls, id: str, *, base_dir: str | os.PathLike[str] | None = None) -> "Experiment":
        """Load an experiment from the store, in any process.

        Args:
            id: The experiment id.
            base_dir: Store root (default ``$NEMORUN_HOME``, else ``~/.run``).

        Raises:
            ExperimentNotFoundError: No such experiment (close matches are suggested).
            NotAnIdError: ``id`` is not an id; for a title, the error points to
                :meth:`from_title` (an ``ExperimentNotFoundError`` too).
            CorruptMetadataError: A metadata file is damaged (named in the error).
        """
        store = Store(Path(base_dir) if base_dir is not None else None)
        if not is_experiment_id(id):
            try:
                newest = store.find(id).id  # a title: point to from_title
            except ExperimentNotFoundError as missing:
                raise NotAnIdError(
                    id, store.home, newest=None, close_matches=missing.close_matches
                ) from None
            raise NotAnIdError(id, store.home, newest=newest, close_matches=[])
        meta = store.load_experiment(id)  # raises for a missing experiment
        return cls._load(store, store.find(id), meta)

    @classmethod
    def from_title(
        cls, title: str, *, base_dir: str | os.PathLike[str] | None = None
    ) -> "Experiment":
        """Load the newest experiment with this title (see :meth:`from_id`)."""
        store = Store(Path(base_dir) if base_dir is not None else None)
        return cls._load(store, store.find(validate_title(title)))

    @classmethod
    def _load(
        cls, store: Store, ref: ExperimentRef, meta: ExperimentRecord | None = None
    ) -> "Experiment":
        meta = store.load_experiment(ref.id) if meta is None else meta
        options = meta.get("options") or {}
        exp = cls(
            ref.title,
            base_dir=store.home,
            log_level=meta.get("log_level", "INFO"),
            on_interrupt=options.get("on_interrupt", "ask"),
            clean_mode=bool(options.get("clean_mode", False)),
            enable_goodbye_message=bool(options.get("enable_goodbye_message", True)),
            skip_status_at_exit=bool(options.get("skip_status_at_exit", False)),
            threadpool_workers=int(options.get("threadpool_workers", 16)),
            serialize_metadata_for_scripts=bool(
                options.get("serialize_metadata_for_scripts", True)
            ),
        )
        exp._ref = ref
        exp._reconstructed = True
        exp._launched = meta.get("state") == "launched"
        exp._executor_record = meta.get("executor")
        listed = meta.get("jobs")
        exp._summaries = store.job_summaries(
            ref.id, [str(job_id) for job_id in listed] if isinstance(listed, list) else []
        )
        exp._jobs = None  # read on first use: a status of ended jobs may not need them
        if exp._summaries is None:  # the catalog does not vouch for the files: read them now
            exp._jobs = exp._read_jobs()
        return exp

    @staticmethod
    def catalog(
        title: str | None = None, *, base_dir: str | os.PathLike[str] | None = None
    ) -> list[str]:
        """List experiment ids, oldest first (from the catalog, rebuilt if needed).

        Args:
            title: Only experiments with this title.
            base_dir: Store root (default ``$NEMORUN_HOME``, else ``~/.run``).
        """
        store = Store(Path(base_dir) if base_dir is not None else None)
        return [summary.id for summary in store.list_experiments(title or None)]

    def __repr__(self) -> str:
        ident = self._ref.id if self._ref is not None else f"{self.title} (no id yet)"
        return f"Experiment({ident}, jobs={[job.id for job in self.jobs]})"
