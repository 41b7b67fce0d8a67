"""The launcher's side of the fork server: which jobs it may fork, and talking to it.

:func:`start_forked` hands an eligible job (one ``Partial`` task, not supervised, run by
this interpreter's ``python -m nr_exec.runner``) to a fork server
(:mod:`nr_exec.local.forkserver`) and returns once the job runs and its ``local.json`` is
written; it returns None, and logs why at debug level, when the job is to be spawned instead
(switched off by ``NEMORUN_LOCAL_FORK_SERVER=0``, not eligible, the server refused it, could
not start or has died).

A server is started lazily, the first time a job of its *context* comes: its working
directory and its environment apart from :data:`~nr_exec.local.forkserver.JOB_ENV_KEYS`. All
jobs of a server thus see, at import, what a spawned job would see. At most
:data:`MAX_SERVERS` servers take jobs; starting another retires the least recently used one,
which ends once its jobs have.

Forked jobs are the server's children, not this process's: they are tracked in
:data:`FORKED`, and the server reports their exits, so waiting for them or asking their
status reads no file until they have ended.
"""

import json
import logging
import os
import select
import subprocess
import sys
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nr_exec.errors import BackendError
from nr_exec.local.forkmode import fork_server_enabled
from nr_exec.local.forkserver import JOB_ENV_KEYS, RUNNER_MODULE, SERVER_MODULE
from nr_exec.local.plan import LocalPlan
from nr_exec.local.record import read_record

__all__ = [
    "FORKED",
    "MAX_SERVERS",
    "ForkServer",
    "ForkedJob",
    "LauncherState",
    "drain_all",
    "forget",
    "ineligible",
    "may_fork",
    "report_fds",
    "request_fork",
    "shutdown",
    "start_forked",
    "wait_forked",
]

_log = logging.getLogger(__name__)

#: How many fork servers (distinct job contexts) take jobs at once.
MAX_SERVERS = 4


@dataclass
class ForkedJob:
    """A job a fork server started for this process.

    Attributes:
        job_id: The job's id.
        pid: Its process (the leader of its own session).
        server: The server that forked it.
        exit_code: Its exit code once the server reported it.
    """

    job_id: str
    pid: int
    server: "ForkServer"
    exit_code: int | None = None

    @property
    def tracked(self) -> bool:
        """Whether its server still reports on it (it runs until the exit is reported)."""
        return self.exit_code is None and self.server.reporting


#: Jobs forked for this process and not yet known to have ended, by job id.
FORKED: dict[str, ForkedJob] = {}


def ineligible(plan: LocalPlan) -> str | None:
    """Why ``plan`` is spawned rather than forked, or None when it may be forked."""
    if plan.supervised:
        return "it runs under a supervisor (detached, several tasks, or retries)"
    argv = plan.tasks[0].argv
    if len(argv) < 4 or tuple(argv[:3]) != (sys.executable, "-m", RUNNER_MODULE):
        return f"its command is not {sys.executable} -m {RUNNER_MODULE} <task>"
    if not hasattr(os, "fork"):
        return "this platform cannot fork"
    return None


def may_fork(plan: LocalPlan) -> bool:
    """Whether ``plan`` is handed to a fork server (switched on, and eligible).

    Raises:
        ValueError: ``NEMORUN_LOCAL_FORK_SERVER`` has an invalid value.
    """
    return fork_server_enabled() and ineligible(plan) is None


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@dataclass(frozen=True)
class LauncherState:
    """What a forked job takes from the launching process: read once for a batch of jobs.

    Attributes:
        environ: The launcher's environment (``os.environ``, copied).
        umask: The launcher's umask.
    """

    environ: Mapping[str, str]
    umask: int

    @classmethod
    def read(cls) -> "LauncherState":
        """The launching process's state now."""
        return cls(dict(os.environ), _umask())


class ForkServer:
    """One fork server process and its two pipes.

    Args:
        cwd: The working directory of its jobs.
        env: The environment of its jobs (the server gets it less the per-job variables).

    Raises:
        OSError: The server cannot be started.
    """

    def __init__(self, cwd: str, env: Mapping[str, str]) -> None:
        requests_r, requests_w = os.pipe()
        reports_r, reports_w = os.pipe()
        server_env = {k: v for k, v in env.items() if k not in JOB_ENV_KEYS or k == "PATH"}
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", SERVER_MODULE, str(requests_r), str(reports_w)],
                pass_fds=(requests_r, reports_w),
                cwd=cwd,
                env=server_env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError:
            os.close(requests_w)
            os.close(reports_r)
            raise
        finally:
            os.close(requests_r)
            os.close(reports_w)
        os.set_blocking(reports_r, False)
        self.requests = requests_w
        self.reports = reports_r
        self.reporting = True
        self._inbox = b""
        self._replies: dict[str, dict[str, Any]] = {}

    @property
    def accepting(self) -> bool:
        """Whether the server takes new jobs."""
        return self.requests >= 0 and self.reporting

    def send(self, plan: LocalPlan, env: Mapping[str, str], host: str, umask: int) -> bool:
        """Ask the server to start ``plan``; False if it has gone (spawn the job then)."""
        task = plan.tasks[0]
        request = {
            "job": plan.job_id,
            "job_dir": plan.job_dir,
            "log": plan.log,
            "marker": plan.marker,
            "host": host,
            "cwd": task.cwd,
            "argv": list(task.argv),
            "env": {k: env[k] for k in JOB_ENV_KEYS if k in env},
            "umask": umask,
        }
        try:
            view = memoryview(json.dumps(request).encode() + b"\n")
            while view:
                view = view[os.write(self.requests, view) :]
        except OSError as exc:
            _log.debug("job %s is spawned: the fork server has gone (%s)", plan.job_id, exc)
            self.retire()
            self.drain()
            return False
        return True

    def collect(self, plan: LocalPlan) -> ForkedJob | None:
        """The job :meth:`send` asked for, once it runs; None if it is to be spawned."""
        reply = self._await(plan.job_id)
        if reply is None:
            return self._after_loss(plan)
        if "refused" in reply:
            _log.debug("job %s is spawned: %s", plan.job_id, reply["refused"])
            return None
        return FORKED.get(plan.job_id)

    def _await(self, job_id: str) -> dict[str, Any] | None:
        """The server's answer about ``job_id``; None if the server died first."""
        poller = select.poll()
        poller.register(self.reports, select.POLLIN)
        while job_id not in self._replies:
            if not self.reporting:
                return None
            poller.poll()
            self.drain()
        return self._replies.pop(job_id)

    def _after_loss(self, plan: LocalPlan) -> ForkedJob | None:
        """The server died before answering: the job runs if it has a record, else spawn it."""
        try:
            record = read_record(Path(plan.job_dir))
        except BackendError:
            record = None
        if record is None or not record.forked:
            _log.debug("job %s is spawned: the fork server ended before starting it", plan.job_id)
            return None
        return ForkedJob(plan.job_id, record.pid, self)

    def drain(self) -> None:
        """Read what the server reported so far (without blocking)."""
        while self.reporting:
            try:
                data = os.read(self.reports, 1 << 16)
            except BlockingIOError:
                break
            if not data:
                self._lost()
                break
            self._inbox += data
        *lines, self._inbox = self._inbox.split(b"\n")
        for line in lines:
            self._dispatch(json.loads(line))

    def _dispatch(self, message: dict[str, Any]) -> None:
        job_id = message["job"]
        if "exit" in message:
            forked = FORKED.get(job_id)
            if forked is not None and forked.server is self:
                forked.exit_code = int(message["exit"])
        elif "note" in message:
            _log.debug("job %s: %s", job_id, message["note"])
        else:
            if "started" in message:
                FORKED[job_id] = ForkedJob(job_id, int(message["started"]), self)
            self._replies[job_id] = message

    def _lost(self) -> None:
        """The server closed its reports pipe: it has ended (or is ending)."""
        self.reporting = False
        os.close(self.reports)
        self.retire()
        if self.process.wait() != 0:
            _log.debug("the fork server exited with code %s", self.process.returncode)

    def retire(self) -> None:
        """Take no more jobs: the server ends once its running jobs have."""
        if self.requests >= 0:
            os.close(self.requests)
            self.requests = -1


class _Pool:
    """The fork servers of this process, by job context."""

    def __init__(self) -> None:
        self.servers: dict[tuple[str, frozenset[tuple[str, str]]], ForkServer] = {}
        self.retired: list[ForkServer] = []
        self.failed: set[tuple[str, frozenset[tuple[str, str]]]] = set()

    def server_for(self, cwd: str, env: Mapping[str, str], job_id: str) -> ForkServer | None:
        key = (cwd, frozenset((k, v) for k, v in env.items() if k not in JOB_ENV_KEYS))
        server = self.servers.get(key)
        if server is not None:
            if server.accepting:
                return server
            del self.servers[key]
            self.retired.append(server)
            self.failed.add(key)  # it died: do not pay for another start per job
        if key in self.failed:
            _log.debug("job %s is spawned: the fork server of its context has ended", job_id)
            return None
        while len(self.servers) >= MAX_SERVERS:
            oldest = next(iter(self.servers))
            self.servers[oldest].retire()
            self.retired.append(self.servers.pop(oldest))
        try:
            server = ForkServer(cwd, env)
        except OSError as exc:
            _log.debug("job %s is spawned: the fork server cannot start (%s)", job_id, exc)
            self.failed.add(key)
            return None
        self.servers[key] = server
        return server

    def reporting(self) -> list[ForkServer]:
        self.retired = [s for s in self.retired if s.reporting]
        return [s for s in (*self.servers.values(), *self.retired) if s.reporting]


_POOL = _Pool()


def request_fork(
    plan: LocalPlan, host: str, launcher: LauncherState | None = None
) -> ForkServer | None:
    """Ask a fork server to start ``plan``; the server to :meth:`~ForkServer.collect` it from.

    None when the job is to be spawned (the reason is logged at debug level). ``launcher``
    is the launching process's state (default: read now).

    Raises:
        ValueError: ``NEMORUN_LOCAL_FORK_SERVER`` has an invalid value.
    """
    if not fork_server_enabled():
        return None
    reason = ineligible(plan)
    if reason is not None:
        _log.debug("job %s is spawned: %s", plan.job_id, reason)
        return None
    state = LauncherState.read() if launcher is None else launcher
    task = plan.tasks[0]
    env = {**state.environ, **task.env}
    server = _POOL.server_for(task.cwd, env, plan.job_id)
    if server is None or not server.send(plan, env, host, state.umask):
        return None
    return server


def start_forked(plan: LocalPlan, host: str) -> ForkedJob | None:
    """Start ``plan`` through a fork server; None when it is to be spawned (see the module).

    Raises:
        ValueError: ``NEMORUN_LOCAL_FORK_SERVER`` has an invalid value.
    """
    server = request_fork(plan, host)
    return None if server is None else server.collect(plan)


def drain_all() -> None:
    """Read every server's reports so far (exits of forked jobs), without blocking."""
    for server in _POOL.reporting():
        server.drain()


def report_fds() -> list[int]:
    """The reports pipes to poll to wake when a forked job ends."""
    return [server.reports for server in _POOL.reporting()]


def wait_forked(job_ids: Iterable[str], timeout: float | None) -> bool:
    """Wait until none of these forked jobs runs, at most ``timeout`` seconds; True if so."""
    import time  # noqa: PLC0415 - only waiting needs it

    deadline = None if timeout is None else time.monotonic() + timeout
    wanted = list(job_ids)
    while True:
        drain_all()
        running = {FORKED[j].server for j in wanted if j in FORKED and FORKED[j].tracked}
        if not running:
            return True
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            return False
        poller = select.poll()
        for server in running:
            poller.register(server.reports, select.POLLIN)
        poller.poll(None if remaining is None else max(1, int(remaining * 1000)))


def forget(job_ids: Collection[str]) -> None:
    """Stop tracking these jobs (their status comes from their files from now on)."""
    for job_id in job_ids:
        FORKED.pop(job_id, None)


def shutdown() -> None:
    """Retire every fork server and wait until each has ended (its jobs first)."""
    servers = _POOL.reporting()
    for server in servers:
        server.retire()
    for server in servers:
        poller = select.poll()
        poller.register(server.reports, select.POLLIN)
        while server.reporting:
            poller.poll()
            server.drain()
    _POOL.servers.clear()
    _POOL.failed.clear()
