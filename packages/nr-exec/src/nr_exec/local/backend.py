"""``LocalBackend``: jobs as process groups on this machine, findable from any process.

Layout. Every job has a directory (``JobSpec.job_dir``) holding::

    logs/output.log   stdout and stderr of every task of the job
    local.json        pid and start time of the job's process-group leader, host, submit time
    exit.json         the exit marker
    configs/ scripts/ the files of the spec

The backend's root (default ``$NEMORUN_HOME/jobs``) has one entry per job id: the job
directory itself, or a symlink to it when the job directory lives elsewhere (e.g. in an
experiment). A handle ``local://<host>/<job-id>`` therefore leads to the job from any process
that uses the same root; there is no global registry file.

A job whose request is not supervised (one task, no retries, not detached) is started
directly; its runner or exit-marker wrapper writes ``exit.json``, and if it dies without one
(a signal), the launching process records the exit when it sees it. Otherwise the job runs
under ``python -m nr_exec.local.supervisor``, which outlives the launching process, restarts
failed attempts, stops the remaining tasks when one fails, and writes ``exit.json``.
"""

import contextlib
import json
import math
import os
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from nr_exec._fs import index_job_dir, nemorun_home, write_json_atomic, write_staged_files
from nr_exec._logs import read_lines
from nr_exec.backend import Backend, Capabilities, Request, as_group
from nr_exec.errors import BackendError, ExitMarkerError
from nr_exec.handle import Handle
from nr_exec.local.proc import is_alive, start_time
from nr_exec.marker import (
    EXIT_MARKER_ENV,
    ExitMarker,
    exit_code_from_returncode,
    read_exit_marker,
    signal_summary,
    write_exit_marker,
)
from nr_exec.spec import JobSpec, StagedFile
from nr_exec.states import JobState, JobStatus

__all__ = ["LOG_FILE", "STATE_FILE", "LocalBackend", "LocalRequest"]

#: Log file of a job, relative to its job directory.
LOG_FILE = "logs/output.log"
#: Per-job state file (pid, start time, host), relative to the job directory.
STATE_FILE = "local.json"
SUPERVISOR_MODULE = "nr_exec.local.supervisor"

# Children started by this process, by job id. They belong to the process, not to one backend
# instance: any LocalBackend here can wait for them, and none is garbage-collected while running.
_CHILDREN: dict[str, "subprocess.Popen[bytes]"] = {}
# A job writes its exit marker as its last act; its process is gone moments later.
_REAP_GRACE = 1.0


def _exits_within(pid: int, timeout: float) -> bool | None:
    """Whether child ``pid`` exits within ``timeout`` seconds, woken by the exit itself.

    Returns None where the kernel offers no pidfd (not Linux, or Linux before 5.3).
    """
    try:
        fd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None
    try:
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        return bool(poller.poll(math.ceil(timeout * 1000)))
    finally:
        os.close(fd)


def _wait_exit(proc: "subprocess.Popen[bytes]", timeout: float | None) -> bool:
    """Wait at most ``timeout`` seconds (None: no limit) for a child; True once it has exited.

    ``Popen.wait`` with a timeout polls with sleeps that double up to 50 ms, so it notices an
    exit up to about as late again as it has already waited; a pidfd wakes at the exit.
    """
    if timeout is not None and proc.poll() is None:
        exited = _exits_within(proc.pid, timeout)
        if exited is False:
            return False
        if exited is None:
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                return False
    proc.wait()  # has exited (or no limit): collects it
    return True


def _reap(proc: "subprocess.Popen[bytes]") -> bool:
    """Collect a child whose exit marker exists; True once it has exited."""
    return _wait_exit(proc, _REAP_GRACE)


@dataclass(frozen=True)
class LocalRequest(Request):
    """A launch plan: files to write and the processes to start.

    Attributes:
        plan: The plan as JSON-compatible data (what :meth:`materialize` prints).
    """

    plan: dict[str, Any] = field(default_factory=dict)

    def materialize(self) -> str:
        """Return the launch plan as JSON (argv, env additions, cwd of each task; files)."""
        return json.dumps(self.plan, sort_keys=True, indent=2)


def _task_env(spec: JobSpec, index: int, count: int) -> dict[str, str]:
    env = {"NR_EXEC_JOB_ID": spec.job_id, "NR_EXEC_JOB_DIR": spec.job_dir, **spec.env}
    if "PATH" not in spec.env:
        bindir = str(Path(sys.executable).parent)
        path = os.environ.get("PATH", "")
        if path.split(os.pathsep, 1)[0] != bindir:
            env["PATH"] = f"{bindir}{os.pathsep}{path}" if path else bindir
    if count > 1:
        env.update(RANK=str(index), LOCAL_RANK=str(index), WORLD_SIZE=str(count))
    return env


class LocalBackend(Backend):
    """Runs jobs as local process groups (see the module documentation for the layout).

    Args:
        root: Directory indexing jobs by id (default ``$NEMORUN_HOME/jobs``, read now).
        grace_period: Seconds between SIGTERM and SIGKILL when cancelling.
    """

    name: ClassVar[str] = "local"
    capabilities: ClassVar[Capabilities] = Capabilities(
        detach=True, job_groups=True, retries=True, follow_logs=True
    )

    def __init__(self, root: str | os.PathLike[str] | None = None, *, grace_period: float = 5.0):
        self.root = Path(root) if root is not None else nemorun_home() / "jobs"
        self.grace_period = grace_period
        self.host = socket.gethostname()

    # -- dry-run and submit ---------------------------------------------------------------------

    def dryrun(self, specs: JobSpec | Sequence[JobSpec], *, detach: bool = False) -> LocalRequest:
        """Plan one job, or a group of jobs run together under one supervisor and one handle.

        A group's handle, log file and exit marker are those of its first spec; the group
        fails as soon as one task fails.
        """
        group = as_group(specs)
        self.check_supported(group, detach=detach)
        head = group[0]
        if "/" in head.job_id or head.job_id in {".", ".."}:
            raise BackendError(f"job id {head.job_id!r} is not path-safe")
        supervised = (
            detach or head.retries > 0 or sum(s.resources.ntasks_per_node for s in group) > 1
        )
        tasks: list[dict[str, Any]] = []
        for spec in group:
            count = spec.resources.ntasks_per_node
            for index in range(count):
                env = _task_env(spec, index, count)
                if not supervised:
                    env[EXIT_MARKER_ENV] = head.exit_marker
                cwd = spec.workdir or str(Path.cwd())
                tasks.append({"name": spec.name, "argv": list(spec.argv), "cwd": cwd, "env": env})
        plan = {
            "job_id": head.job_id,
            "job_dir": head.job_dir,
            "log": f"{head.job_dir}/{LOG_FILE}",
            "marker": head.exit_marker,
            "retries": head.retries,
            "supervised": supervised,
            "tasks": tasks,
            "files": [
                {
                    "path": f"{spec.job_dir}/{f.path}",
                    "content": f.content,
                    "executable": f.executable,
                }
                for spec in group
                for f in spec.files
            ],
        }
        return LocalRequest(backend=self.name, specs=group, detach=detach, plan=plan)

    def submit(self, request: Request) -> Handle:
        """Write the job's files and start it; returns ``local://<host>/<job-id>``."""
        if not isinstance(request, LocalRequest):
            raise BackendError(f"the local backend cannot submit a {type(request).__name__}")
        plan = request.plan
        job_dir = Path(plan["job_dir"])
        (job_dir / "logs").mkdir(parents=True, exist_ok=True)
        for spec in request.specs[1:]:
            Path(spec.job_dir).mkdir(parents=True, exist_ok=True)
        write_staged_files(StagedFile(**item) for item in plan["files"])
        index_job_dir(self.root, plan["job_id"], job_dir)
        log = os.open(plan["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            proc = self._start(plan, log)
        finally:
            os.close(log)
        state = {
            "job_id": plan["job_id"],
            "job_dir": str(job_dir),
            "host": self.host,
            "pid": proc.pid,
            "start_time": start_time(proc.pid),
            "supervised": plan["supervised"],
        }
        write_json_atomic(job_dir / STATE_FILE, state)
        _CHILDREN[plan["job_id"]] = proc
        return Handle(self.name, self.host, plan["job_id"])

    def _start(self, plan: dict[str, Any], log: int) -> "subprocess.Popen[bytes]":
        if plan["supervised"]:
            proc = subprocess.Popen(
                [sys.executable, "-m", SUPERVISOR_MODULE],
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=plan["job_dir"],
                start_new_session=True,
            )
            assert proc.stdin is not None  # noqa: S101 - guaranteed by stdin=PIPE
            proc.stdin.write(json.dumps(plan).encode())
            proc.stdin.close()
            return proc
        task = plan["tasks"][0]
        return subprocess.Popen(
            task["argv"],
            cwd=task["cwd"],
            env={**os.environ, **task["env"]},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    # -- status ---------------------------------------------------------------------------------

    def job_dir(self, handle: Handle) -> Path:
        """Return the job directory of ``handle`` (through the root's index)."""
        return self.root / handle.job_id

    def status(self, handles: Sequence[Handle]) -> dict[Handle, JobStatus]:
        """Status of each job from its exit marker, else from its live process."""
        return {handle: self._status(handle) for handle in handles}

    def _status(self, handle: Handle) -> JobStatus:
        if handle.backend != self.name or handle.cluster != self.host:
            return JobStatus(JobState.UNKNOWN, message=f"not a local job of {self.host}: {handle}")
        try:
            return self._job_status(handle.job_id, self.job_dir(handle))
        except ExitMarkerError as exc:
            return JobStatus(JobState.UNKNOWN, message=str(exc))

    def _job_status(self, job_id: str, job_dir: Path) -> JobStatus:
        marker = read_exit_marker(job_dir / "exit.json")
        proc = _CHILDREN.get(job_id)
        if marker is not None:
            if proc is not None and _reap(proc):
                del _CHILDREN[job_id]
            return marker.to_status()
        if proc is not None:
            return self._own_status(job_id, proc, job_dir)
        state = self._state(job_dir)
        if state is None:
            return JobStatus(JobState.UNKNOWN, message=f"no record of job {job_id} in {self.root}")
        if is_alive(state["pid"], state["start_time"]):
            return JobStatus(JobState.RUNNING)
        marker = read_exit_marker(job_dir / "exit.json")  # it may have ended just now
        if marker is not None:
            return marker.to_status()
        return JobStatus(JobState.UNKNOWN, message="the job's process ended without an exit marker")

    @staticmethod
    def _own_status(job_id: str, proc: "subprocess.Popen[bytes]", job_dir: Path) -> JobStatus:
        returncode = proc.poll()
        if returncode is None:
            return JobStatus(JobState.RUNNING)
        del _CHILDREN[job_id]
        path = job_dir / "exit.json"
        code = exit_code_from_returncode(returncode)
        marker = ExitMarker.now(code, started=None, writer="launcher", error=signal_summary(code))
        write_exit_marker(path, marker, exclusive=True)
        return (read_exit_marker(path) or marker).to_status()

    @staticmethod
    def _state(job_dir: Path) -> dict[str, Any] | None:
        try:
            data: dict[str, Any] = json.loads((job_dir / STATE_FILE).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        return data

    def wait(
        self, handles: Sequence[Handle], *, timeout: float | None = None, interval: float = 0.05
    ) -> dict[Handle, JobStatus]:
        """Like :meth:`Backend.wait`, blocking on this process's own children without polling."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for handle in handles:
            proc = _CHILDREN.get(handle.job_id)
            if proc is None:
                continue
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not _wait_exit(proc, remaining):
                break
        remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
        return super().wait(handles, timeout=remaining, interval=interval)

    # -- logs -----------------------------------------------------------------------------------

    def logs(self, handle: Handle, *, follow: bool = False, since: int = 0) -> Iterator[str]:
        """Yield lines of ``logs/output.log`` from byte offset ``since``.

        With ``follow``, wait for new output until the job is terminal (or unknown) and the file
        is exhausted. A last line without a newline is yielded as is once nothing follows it.
        """

        def live() -> bool:
            return self._status(handle).state is JobState.RUNNING

        path = self.job_dir(handle) / LOG_FILE
        return read_lines(path, since=since, follow=follow, live=live, poll=0.05)

    # -- cancel ---------------------------------------------------------------------------------

    def cancel(self, handle: Handle) -> None:
        """SIGTERM the job's process group, SIGKILL it after the grace period, mark it cancelled.

        Cancelling a job that has ended (or is unknown) does nothing.

        Raises:
            BackendError: ``handle`` is not a job of this host.
        """
        if handle.backend != self.name or handle.cluster != self.host:
            raise BackendError(f"cannot cancel {handle}: not a local job of {self.host}")
        if self._status(handle).state is not JobState.RUNNING:
            return
        job_dir = self.job_dir(handle)
        proc = _CHILDREN.get(handle.job_id)
        state = self._state(job_dir)
        if state is None:
            return
        pid, started = state["pid"], state["start_time"]
        self._signal_group(pid, signal.SIGTERM)
        deadline = time.monotonic() + self.grace_period
        while time.monotonic() < deadline:
            if proc is not None:
                proc.poll()
            if not is_alive(pid, started):
                break
            time.sleep(0.01)
        self._signal_group(pid, signal.SIGKILL)
        if proc is not None:
            proc.wait()
        path = job_dir / "exit.json"
        try:
            previous = read_exit_marker(path)
        except ExitMarkerError:
            previous = None
        code = previous.exit_code if previous else 128 + signal.SIGTERM
        marker = ExitMarker.now(
            code,
            started=previous.started if previous else None,
            writer="cancel",
            error="cancelled",
            cancelled=True,
        )
        write_exit_marker(path, marker)

    @staticmethod
    def _signal_group(pgid: int, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signum)
