"""``LocalBackend``: jobs as process groups on this machine, findable from any process.

Layout. Every job has a directory (``JobSpec.job_dir``) holding::

    logs/output.log   stdout and stderr of every task of the job
    local.json        pid and start time of the job's process-group leader, and its host
    exit.json         the exit marker
    configs/ scripts/ the files of the spec

The job root (``BackendContext.job_root``, by default ``<home>/jobs``) has one entry per job
id: the job directory itself, or a symlink to it when the job directory lives elsewhere (e.g.
in an experiment). A handle ``local://<host>/<job-id>`` therefore leads to the job from any
process that uses the same root; there is no global registry file.

A job whose request is not supervised (one task, no retries, not detached) is started
directly; its runner or exit-marker wrapper writes ``exit.json``, and if it dies without one
(a signal), the launching process records the exit when it sees it. Such a job that runs a
``Partial`` is forked by a preloaded fork server where that is safe (see
:mod:`nr_exec.local.forking` and ``NEMORUN_LOCAL_FORK_SERVER``); the server writes its
``local.json`` before the task runs and records the exit in the launcher's place. Otherwise
the job runs under ``python -m nr_exec.local.supervisor``, which outlives the launching
process, restarts failed attempts, stops the remaining tasks when one fails, and writes
``exit.json``.

Reconciliation. The job root's entry is made before the job starts and ``local.json`` right
after, so a launcher killed in between leaves a started job without a record. Every process
of a job carries ``NR_EXEC_JOB_ID`` and ``NR_EXEC_JOB_DIR``, so :meth:`LocalBackend.find`
(and ``describe``) find such a job by its live process and write the missing record; a job
that has ended is known by its exit marker. A job whose start failed has neither, and is
never found.

Modules beside the launching script. A launcher run as ``python proj/launch.py`` imports
``proj/*.py`` (``sys.path[0]`` is the script's directory), but its Partial jobs run
``python -m nr_exec.runner`` in their working directory, whose ``sys.path`` does not hold
``proj``. Such a job gets ``NR_EXEC_LAUNCHER_PATH`` (the script's directory, when it is not
the job's working directory); its ``sys.path`` is left as is, but when its task's module is
missing and found there, the runner's error says so and how to fix it.
"""

# Per job on the submit path, pathlib's objects cost more than the system calls: os.path there.
# ruff: noqa: PTH100, PTH102, PTH103, PTH110, PTH112, PTH113, PTH118

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from nr_exec._fs import index_job_dir, write_staged_files
from nr_exec._logs import read_lines
from nr_exec.backend import Backend, BatchEntry, Capabilities, Request
from nr_exec.constants import EnvVar
from nr_exec.context import BackendContext
from nr_exec.errors import (
    BackendError,
    BatchSubmitError,
    ExecError,
    ExitMarkerError,
    HandleError,
)
from nr_exec.handle import Handle
from nr_exec.local.children import CHILDREN, reap, wait_exit
from nr_exec.local.forking import (
    FORKED,
    ForkServer,
    LauncherState,
    drain_all,
    forget,
    may_fork,
    request_fork,
    wait_forked,
)
from nr_exec.local.forkmode import fork_server_enabled
from nr_exec.local.forkserver import RUNNER_MODULE
from nr_exec.local.plan import LocalPlan, LocalTask
from nr_exec.local.proc import find_job_processes, is_alive, is_waiting_supervisor, start_time
from nr_exec.local.record import STATE_FILE, ProcessRecord, read_record, write_record
from nr_exec.marker import (
    EXIT_MARKER_ENV,
    ExitMarker,
    exit_code_from_returncode,
    read_exit_marker,
    signal_summary,
    write_exit_marker,
)
from nr_exec.settings import NoSettings
from nr_exec.spec import JobSpec
from nr_exec.states import JobState, JobStatus

__all__ = ["LOG_FILE", "STATE_FILE", "SUPERVISOR_MODULE", "LocalBackend", "LocalRequest"]

#: Log file of a job, relative to its job directory.
LOG_FILE = "logs/output.log"
#: Module that supervises detached, multi-task and retried jobs.
SUPERVISOR_MODULE = "nr_exec.local.supervisor"

_MARKER = "exit.json"
_STARTING = (
    "starting: its supervisor has not started it yet (its launcher died while starting it; "
    "if the launch plan was cut short, it ends FAILED without running)"
)


@dataclass(frozen=True)
class LocalRequest(Request):
    """A local launch: the typed plan of the files to write and the processes to start.

    Attributes:
        plan: The plan (what :meth:`materialize` prints).
    """

    plan: LocalPlan = field(kw_only=True)

    def materialize(self) -> str:
        """Return the launch plan as JSON (argv, env additions and cwd of each task; files)."""
        return self.plan.to_json(indent=2)


def _task_env(spec: JobSpec, index: int, count: int) -> dict[str, str]:
    env = {EnvVar.JOB_ID.value: spec.job_id, EnvVar.JOB_DIR.value: spec.job_dir, **spec.env}
    if "PATH" not in spec.env:
        bindir = str(Path(sys.executable).parent)
        path = os.environ.get("PATH", "")
        if path.split(os.pathsep, 1)[0] != bindir:
            env["PATH"] = f"{bindir}{os.pathsep}{path}" if path else bindir
    if count > 1:
        env.update(RANK=str(index), LOCAL_RANK=str(index), WORLD_SIZE=str(count))
    return env


def _launcher_path(argv: Sequence[str], cwd: str) -> str | None:
    """The launching script's directory for a runner task run elsewhere, or None.

    A launcher run as ``python proj/launch.py`` imports ``proj/*.py`` (its ``sys.path[0]``),
    but its Partial jobs run ``python -m nr_exec.runner`` in ``cwd``, whose ``sys.path[0]``
    is ``cwd``: the runner names this directory when the task's module is missing (a module
    there that the job imports through ``PYTHONPATH`` is not missing).
    """
    first = sys.path[0] if sys.path else ""
    if not first or tuple(argv[1:3]) != ("-m", RUNNER_MODULE):
        return None
    directory = os.path.abspath(first)
    return None if directory == os.path.abspath(cwd) else directory


def _is_path_safe(job_id: str) -> bool:
    return bool(job_id) and "/" not in job_id and "\0" not in job_id and job_id not in {".", ".."}


#: Commands found runnable so far: (working directory, command, PATH searched).
_RUNNABLE: set[tuple[str, str, str]] = set()


def _unstartable(task: LocalTask) -> str | None:
    """Why ``task`` cannot be started here, or None.

    A command once found runnable (for the same working directory and ``PATH``) is not
    looked up again; should it vanish later, starting it fails with a clear error instead.
    """
    if not os.path.isdir(task.cwd):
        return f"its working directory {task.cwd} does not exist"
    command = task.argv[0] if task.argv else ""
    if not command:
        return "its command is empty"
    search = task.env["PATH"] if "PATH" in task.env else os.environ.get("PATH", os.defpath)
    key = (task.cwd, command, search)
    if key in _RUNNABLE:
        return None
    if "/" in command:
        path = os.path.join(task.cwd, command)
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            return f"{command!r} is not an executable file"
    elif shutil.which(command, path=search) is None:
        return f"{command!r} is not found on PATH ({search})"
    _RUNNABLE.add(key)
    return None


def _make_dir(path: str) -> None:
    """Create the directory ``path`` (and its parents) unless it exists: one call if it does."""
    try:
        os.mkdir(path)
    except FileExistsError:
        pass
    except FileNotFoundError:
        os.makedirs(path, exist_ok=True)


class LocalBackend(Backend[NoSettings, LocalRequest]):
    """Runs jobs as local process groups (see the module documentation for the layout).

    Args:
        context: The store's home and job root (default: ``BackendContext.default()``).
        grace_period: Seconds between SIGTERM and SIGKILL when cancelling.
    """

    name: ClassVar[str] = "local"
    capabilities: ClassVar[Capabilities] = Capabilities(
        detach=True, job_groups=True, retries=True, follow_logs=True
    )
    settings_type = NoSettings

    def __init__(self, *, context: BackendContext | None = None, grace_period: float = 5.0) -> None:
        super().__init__(context=context)
        self.grace_period = grace_period
        self.host = socket.gethostname()

    @property
    def cluster(self) -> str:
        """This machine's host name (the handles' cluster part)."""
        return self.host

    @property
    def root(self) -> Path:
        """The job root indexing job directories by job id (``context.job_root``)."""
        return self.context.job_root

    def job_dir(self, handle: Handle) -> Path:
        """Return the job directory of ``handle`` (through the job root's index)."""
        return self.root / handle.job_id

    # -- dry-run and submit ---------------------------------------------------------------------

    def _dryrun(
        self, group: tuple[JobSpec, ...], settings: tuple[NoSettings, ...], *, detach: bool
    ) -> LocalRequest:
        """Plan one job, or a group of jobs run together under one supervisor and one handle.

        A group's handle, log file and exit marker are those of its first spec; the group
        fails as soon as one task fails.

        Raises:
            BackendError: The job id is not path-safe, or a job directory is not absolute.
        """
        del settings
        head = group[0]
        if not _is_path_safe(head.job_id):
            raise BackendError(f"job id {head.job_id!r} is not path-safe (no '/', not '.' or '..')")
        try:
            Handle(self.name, self.host, head.job_id)
        except HandleError as exc:
            raise BackendError(f"job id {head.job_id!r} cannot name a job: {exc}") from None
        for spec in group:
            if not Path(spec.job_dir).is_absolute():
                raise BackendError(
                    f"the local backend needs an absolute job directory; job {spec.job_id} "
                    f"has {spec.job_dir!r}"
                )
        supervised = (
            detach or head.retries > 0 or sum(s.resources.ntasks_per_node for s in group) > 1
        )
        tasks: list[LocalTask] = []
        for spec in group:
            count = spec.resources.ntasks_per_node
            for index in range(count):
                env = _task_env(spec, index, count)
                if not supervised:
                    env[EXIT_MARKER_ENV] = head.exit_marker
                cwd = spec.workdir or str(Path.cwd())
                launcher_path = _launcher_path(spec.argv, cwd)
                if launcher_path is not None:
                    env[EnvVar.LAUNCHER_PATH.value] = launcher_path
                tasks.append(LocalTask(name=spec.name, argv=spec.argv, cwd=cwd, env=env))
        plan = LocalPlan(
            job_id=head.job_id,
            job_dir=head.job_dir,
            log=f"{head.job_dir}/{LOG_FILE}",
            marker=head.exit_marker,
            retries=head.retries,
            supervised=supervised,
            tasks=tuple(tasks),
            files=tuple(f.staged(spec.job_dir) for spec in group for f in spec.files),
        )
        return LocalRequest(backend=self.name, specs=group, detach=detach, plan=plan)

    def submit(self, request: LocalRequest) -> Handle:
        """Write the job's files and start it; returns ``local://<host>/<job-id>``.

        Raises:
            BackendError: A task cannot be started (its command or working directory does
                not exist: nothing is written then), the job id is taken by another job
                directory or was submitted already, or starting the process failed. A job
                whose start failed is never found or reported as submitted.
        """
        fork_server_enabled()  # a bad NEMORUN_LOCAL_FORK_SERVER fails before anything is written
        plan = request.plan
        made_entry = self._prepare(request)
        server = request_fork(plan, self.host)
        if server is not None and server.collect(plan) is not None:
            return Handle(self.name, self.host, plan.job_id)  # the server wrote local.json
        return self._spawn_job(plan, made_entry)

    def submit_batch(self, entries: Sequence[BatchEntry]) -> list[list[Handle]]:
        """Submit several jobs; those a fork server starts are all asked for before any answer.

        Jobs that are not forked go through :meth:`submit` one by one, in order, as do all
        entries when one waits for others (``after``, as in :meth:`Backend.submit_batch`).

        Raises:
            BatchSubmitError: An entry failed; ``submitted`` holds the handles of the entries
                before it. Later entries already handed to a fork server still start; they
                are found by :meth:`find` like any job.
        """
        if any(entry.after for entry in entries):
            return super().submit_batch(entries)
        started: list[Handle | tuple[LocalPlan, ForkServer | None, bool]] = []
        failure: tuple[int, Exception] | None = None
        launcher = LauncherState.read()
        for position, entry in enumerate(entries):
            request: LocalRequest = entry.request  # type: ignore[assignment]
            plan = request.plan
            try:
                if not may_fork(plan):
                    started.append(self.submit(request))
                    continue
                made_entry = self._prepare(request)
                started.append((plan, request_fork(plan, self.host, launcher), made_entry))
            except (ExecError, OSError) as exc:
                failure = (position, exc)
                break
        submitted: list[list[Handle]] = []
        for position, item in enumerate(started):
            if isinstance(item, Handle):
                submitted.append([item])
                continue
            plan, server, made_entry = item
            try:
                if server is None or server.collect(plan) is None:
                    self._spawn_job(plan, made_entry)
            except (ExecError, OSError) as exc:
                failure = (position, exc)
                break
            submitted.append([Handle(self.name, self.host, plan.job_id)])
        if failure is not None:
            where, error = failure
            raise BatchSubmitError(f"batch entry {where} failed: {error}", submitted) from error
        return submitted

    def _prepare(self, request: LocalRequest) -> bool:
        """Check a job and write its files and job-root entry; whether the entry is new."""
        plan = request.plan
        job_dir = Path(plan.job_dir)
        made_entry = self._check_submittable(plan, job_dir)
        _make_dir(f"{plan.job_dir}/logs")
        for spec in request.specs[1:]:
            _make_dir(spec.job_dir)
        write_staged_files(plan.files)
        if made_entry:
            index_job_dir(self.root, plan.job_id, job_dir)
        return made_entry

    def _spawn_job(self, plan: LocalPlan, made_entry: bool) -> Handle:
        """Start a prepared job as this process's child and record it."""
        job_dir = Path(plan.job_dir)
        entry = self.root / plan.job_id
        try:
            proc = self._start(plan)
        except BackendError:
            if made_entry and entry.is_symlink():
                entry.unlink()
            raise
        CHILDREN[plan.job_id] = proc
        # Killed here, the job runs without local.json: find() recovers it from its process.
        record = ProcessRecord(
            pid=proc.pid,
            start_time=start_time(proc.pid),
            host=self.host,
            job_id=plan.job_id,
            job_dir=str(job_dir),
        )
        write_record(job_dir, record)
        return Handle(self.name, self.host, plan.job_id)

    def _check_submittable(self, plan: LocalPlan, job_dir: Path) -> bool:
        """Refuse a job that cannot start or was submitted already; whether its entry is new."""
        for task in plan.tasks:
            reason = _unstartable(task)
            if reason is not None:
                raise BackendError(
                    f"cannot start job {plan.job_id}: task {task.name!r} cannot run here: {reason}"
                )
        entry = self.root / plan.job_id
        indexed = os.path.lexists(entry)
        if indexed and entry.resolve() != job_dir.resolve():
            raise BackendError(f"job id {plan.job_id!r} is already used in {self.root}")
        if (
            plan.job_id in CHILDREN
            or plan.job_id in FORKED
            or any(os.path.exists(f"{plan.job_dir}/{name}") for name in (STATE_FILE, _MARKER))
        ):
            raise BackendError(
                f"job {plan.job_id} was submitted already ({job_dir} holds its "
                f"{STATE_FILE} or {_MARKER}); submit it again under a new job id"
            )
        return not indexed

    def _start(self, plan: LocalPlan) -> "subprocess.Popen[bytes]":
        log = os.open(plan.log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            return self._spawn(plan, log)
        except OSError as exc:
            command = sys.executable if plan.supervised else plan.tasks[0].argv[0]
            raise BackendError(
                f"cannot start job {plan.job_id}: {exc.strerror or exc} ({command!r})"
            ) from exc
        finally:
            os.close(log)

    @staticmethod
    def _spawn(plan: LocalPlan, log: int) -> "subprocess.Popen[bytes]":
        if not plan.supervised:
            task = plan.tasks[0]
            return subprocess.Popen(
                list(task.argv),
                cwd=task.cwd,
                env={**os.environ, **task.env},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        ids = {EnvVar.JOB_ID.value: plan.job_id, EnvVar.JOB_DIR.value: plan.job_dir}
        proc = subprocess.Popen(
            [sys.executable, "-m", SUPERVISOR_MODULE],
            stdin=subprocess.PIPE,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=plan.job_dir,
            env={**os.environ, **ids},
            start_new_session=True,
        )
        assert proc.stdin is not None  # noqa: S101 - guaranteed by stdin=PIPE
        try:
            proc.stdin.write(plan.to_json().encode())
            proc.stdin.close()
        except BrokenPipeError:
            code = proc.wait()
            raise BackendError(
                f"cannot start job {plan.job_id}: its supervisor exited (code {code}) before "
                f"reading the launch plan; see {plan.log}"
            ) from None
        return proc

    # -- status ---------------------------------------------------------------------------------

    def describe(self, handles: Sequence[Handle]) -> dict[Handle, JobStatus | None]:
        """Status of each job from its exit marker, else from its live process.

        A job is known when its exit marker, its ``local.json`` or its live process (found
        by environment, which also writes the missing ``local.json``) proves that it was
        started; jobs of other hosts and jobs never started are ``None``.
        """
        result: dict[Handle, JobStatus | None] = {}
        unrecorded: list[Handle] = []
        drain_all()
        for handle in handles:
            if (
                handle.backend != self.name
                or handle.cluster != self.host
                or not _is_path_safe(handle.job_id)
            ):
                result[handle] = None
                continue
            status = self._describe_one(handle)
            result[handle] = status
            if status is None and self.job_dir(handle).exists():
                unrecorded.append(handle)
        if unrecorded:
            recovered = self._recover([h.job_id for h in unrecorded])
            for handle in unrecorded:
                if handle.job_id in recovered:
                    result[handle] = self._describe_one(handle)
                else:  # it may have ended during the search
                    result[handle] = self._describe_one(handle)
        return result

    def _describe_one(self, handle: Handle) -> JobStatus | None:
        if _forked_and_running(handle.job_id):
            return JobStatus(JobState.RUNNING)  # its fork server reports its exit
        job_dir = self.job_dir(handle)
        try:
            return self._job_status(handle.job_id, job_dir)
        except (ExitMarkerError, BackendError) as exc:
            return JobStatus(JobState.UNKNOWN, message=str(exc))

    def _job_status(self, job_id: str, job_dir: Path) -> JobStatus | None:
        marker = read_exit_marker(job_dir / _MARKER)
        if marker is not None:
            reap(job_id)
            return marker.to_status()
        proc = CHILDREN.get(job_id)
        if proc is not None:
            return self._own_status(job_id, proc, job_dir)
        record = read_record(job_dir)
        if record is None:
            return None
        if record.start_time is not None and is_alive(record.pid, record.start_time):
            return _live_status(record)
        marker = read_exit_marker(job_dir / _MARKER)  # it may have ended just now
        if marker is not None:
            return marker.to_status()
        return JobStatus(JobState.UNKNOWN, message="the job's process ended without an exit marker")

    @staticmethod
    def _own_status(job_id: str, proc: "subprocess.Popen[bytes]", job_dir: Path) -> JobStatus:
        returncode = proc.poll()
        if returncode is None:
            return JobStatus(JobState.RUNNING)
        CHILDREN.pop(job_id, None)
        path = job_dir / _MARKER
        code = exit_code_from_returncode(returncode)
        marker = ExitMarker.now(code, started=None, writer="launcher", error=signal_summary(code))
        write_exit_marker(path, marker, exclusive=True)
        return (read_exit_marker(path) or marker).to_status()

    def _recover(self, job_ids: Sequence[str]) -> dict[str, ProcessRecord]:
        """Find started jobs that have no ``local.json`` by their live process; write it."""
        recovered: dict[str, ProcessRecord] = {}
        for job_id, process in find_job_processes(job_ids).items():
            job_dir = self.root / job_id
            if not process.job_dir or Path(process.job_dir).resolve() != job_dir.resolve():
                continue  # a job of the same id under another root
            record = ProcessRecord(
                pid=process.pid,
                start_time=process.start_time,
                host=self.host,
                job_id=job_id,
                job_dir=process.job_dir,
                recovered=True,
            )
            if read_record(job_dir) is None:
                write_record(job_dir, record)
            recovered[job_id] = record
        return recovered

    def find(self, names: Sequence[str]) -> dict[str, Handle]:
        """Jobs of this job root by job id: those with a record, an exit marker or a process.

        A job whose launcher died between its start and its ``local.json`` is found by its
        live process (and the record is written); a job whose start failed is not found.
        """
        found: dict[str, Handle] = {}
        unrecorded: list[str] = []
        for name in names:
            if not _is_path_safe(name) or not (self.root / name).exists():
                continue
            job_dir = self.root / name
            try:
                record = read_record(job_dir)
            except BackendError:  # unreadable, but written: the job was started
                found[name] = Handle(self.name, self.host, name)
                continue
            if record is not None:
                found[name] = Handle(self.name, record.host or self.host, name)
            elif name in CHILDREN or (job_dir / _MARKER).exists():
                found[name] = Handle(self.name, self.host, name)
            else:
                unrecorded.append(name)
        for name in self._recover(unrecorded):
            found[name] = Handle(self.name, self.host, name)
        for name in unrecorded:  # ended during the search
            if name not in found and (self.root / name / _MARKER).exists():
                found[name] = Handle(self.name, self.host, name)
        return {name: found[name] for name in names if name in found}

    def wait(
        self, handles: Sequence[Handle], *, timeout: float | None = None, interval: float = 0.05
    ) -> dict[Handle, JobStatus]:
        """Like :meth:`Backend.wait`, blocking on this process's own children without polling."""
        deadline = None if timeout is None else time.monotonic() + timeout
        if not wait_forked((h.job_id for h in handles), timeout):
            return self.status(handles)
        for handle in handles:
            proc = CHILDREN.get(handle.job_id)
            if proc is None:
                continue
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not wait_exit(proc, remaining):
                break
        remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
        return super().wait(handles, timeout=remaining, interval=interval)

    # -- logs -----------------------------------------------------------------------------------

    def logs(self, handle: Handle, *, follow: bool = False, since: int = 0) -> Iterator[str]:
        """Yield lines of ``logs/output.log`` from byte offset ``since``.

        With ``follow``, wait for new output until the job is terminal (or unknown) and the
        file is exhausted. A last line without a newline is yielded as is once nothing
        follows it.
        """

        def live() -> bool:
            status = self.describe([handle])[handle]
            return status is not None and status.state is JobState.RUNNING

        if not _is_path_safe(handle.job_id):
            return iter(())
        path = self.job_dir(handle) / LOG_FILE
        return read_lines(path, since=since, follow=follow, live=live, poll=0.05)

    # -- cancel ---------------------------------------------------------------------------------

    def _cancel_existing(self, handles: Sequence[Handle]) -> None:
        """SIGTERM the jobs' process groups, SIGKILL them after the grace period, mark them.

        Every job gets SIGTERM at once and the grace period is shared. A job whose process
        has already ended is left as it is.
        """
        targets: list[tuple[Handle, ProcessRecord]] = []
        for handle in handles:
            with contextlib.suppress(BackendError):
                record = read_record(self.job_dir(handle))
                if record is not None and self._running(handle.job_id, record):
                    targets.append((handle, record))
        for _, record in targets:
            self._signal_group(record, signal.SIGTERM)
        deadline = time.monotonic() + self.grace_period
        pending = list(targets)
        while pending and time.monotonic() < deadline:
            pending = [(h, r) for h, r in pending if self._running(h.job_id, r)]
            if pending:
                time.sleep(0.01)
        for handle, record in targets:
            self._signal_group(record, signal.SIGKILL)
            proc = CHILDREN.get(handle.job_id)
            if proc is not None:
                proc.wait()
            self._mark_cancelled(self.job_dir(handle) / _MARKER)
        forget([handle.job_id for handle, _ in targets])

    @staticmethod
    def _running(job_id: str, record: ProcessRecord) -> bool:
        proc = CHILDREN.get(job_id)
        if proc is not None:
            return proc.poll() is None
        return record.start_time is not None and is_alive(record.pid, record.start_time)

    @staticmethod
    def _mark_cancelled(path: Path) -> None:
        try:
            previous = read_exit_marker(path)
        except ExitMarkerError:
            previous = None
        marker = ExitMarker.now(
            previous.exit_code if previous else 128 + signal.SIGTERM,
            started=previous.started if previous else None,
            writer="cancel",
            error="cancelled",
            cancelled=True,
        )
        write_exit_marker(path, marker)

    @staticmethod
    def _signal_group(record: ProcessRecord, signum: int) -> None:
        """Signal the job's process group; a forked job not yet in its own group, its process."""
        try:
            os.killpg(record.pid, signum)
        except ProcessLookupError:
            # A forked job is recorded before its setsid: until then it runs nothing, alone.
            if record.forked and record.start_time and is_alive(record.pid, record.start_time):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(record.pid, signum)
        except PermissionError:
            pass


def _forked_and_running(job_id: str) -> bool:
    """Whether a fork server runs ``job_id`` for this process and has not reported its end.

    A forked job that ended, or whose server has gone, is told by its files from then on.
    """
    forked = FORKED.get(job_id)
    if forked is None:
        return False
    if forked.tracked:
        return True
    del FORKED[job_id]
    return False


def _live_status(record: ProcessRecord) -> JobStatus:
    """RUNNING, or PENDING while a recovered job's supervisor has not started the job yet."""
    if record.recovered and is_waiting_supervisor(record.pid):
        return JobStatus(JobState.PENDING, message=_STARTING)
    return JobStatus(JobState.RUNNING)
