"""The local fork server: ``python -m nr_exec.local.forkserver <requests-fd> <reports-fd>``.

One interpreter that has imported what the in-job runner needs (and, where that is safe, the
tasks' modules) and forks one child per local ``Partial`` job, so that a job pays neither an
interpreter start nor the runner's imports. :mod:`nr_exec.local.forking` starts it in its own
session, in the jobs' working directory and with their environment (less the variables that
differ between jobs, :data:`JOB_ENV_KEYS`), and talks to it over two pipes, one JSON object
per line::

    request  {"job", "job_dir", "log", "marker", "host", "cwd", "argv", "env", "umask"}
    report   {"job", "started": pid}                        it runs; local.json is written
             {"job", "refused": reason}                     nothing started: spawn it instead
             {"job", "exit": code}                          it ended; exit.json exists
             {"job", "note": text}                          why a module was not preloaded

A child becomes its job exactly as ``python -m nr_exec.runner <task.json>`` would. Right
after the fork, the server writes ``local.json`` (the child's pid and start time), lets the
child go and reports the start, without waiting for the child to be scheduled. The child
starts a new session and waits until it may go; then it opens the job's log (appending) and
``/dev/null``, takes them as stdin, stdout and stderr, closes every other descriptor, sets
the umask, working directory, ``os.environ`` (the server's, with the job's own
:data:`JOB_ENV_KEYS`), ``sys.argv`` and ``sys.orig_argv``, and runs the runner as
``__main__`` (``runpy``), which writes the exit marker. So the task's code never runs
without a record, and a launcher killed at any point leaves a started job with its record or
no job. A child whose server died before letting it go runs nothing; if its record was
written, it marks the job failed (exit code 125). A child that cannot open its log or enter
its working directory (removed since the launcher checked it) marks the job failed with the
reason (exit code 126). Until its ``setsid`` a child is no process group of its own: a
cancel then signals the process itself (:meth:`~nr_exec.local.LocalBackend.cancel`).

The server reaps its children, writes the exit marker of a child that ended without one (a
signal, ``writer="forkserver"``) and reports every exit. It exits once its requests pipe is
closed (the launcher ended, or retired it) and its children have ended.

Preloading. A task module named by the task file's ``_target_`` values (never ``__main__``)
is imported first in a throw-away forked probe: a module whose import fails, starts a thread,
or changes the environment, ``sys.path``, the working directory or the open descriptors is
not preloaded (the child imports it itself, as a spawned job would) and a ``note`` says why.
Otherwise the server imports it; should that import start a thread after all, the server
refuses every later job (a threaded process cannot be forked safely).
"""

# ruff: noqa: PTH123 - open() as the runner uses it
import contextlib
import gc
import json
import os
import select
import sys
from pathlib import Path

from nr_exec.constants import EnvVar
from nr_exec.local.proc import start_time
from nr_exec.local.record import ProcessRecord, read_record, write_record
from nr_exec.marker import ExitMarker, exit_code_from_returncode, signal_summary, write_exit_marker

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from typing import Any, NoReturn

__all__ = ["JOB_ENV_KEYS", "RUNNER_MODULE", "SERVER_MODULE", "main"]

#: This module, as the launcher starts it.
SERVER_MODULE = "nr_exec.local.forkserver"
#: The in-job runner a forked child runs.
RUNNER_MODULE = "nr_exec.runner"
#: Variables that may differ between the jobs of one server (the local backend's additions).
JOB_ENV_KEYS = frozenset(
    {
        EnvVar.JOB_ID.value,
        EnvVar.JOB_DIR.value,
        EnvVar.EXIT_MARKER.value,
        EnvVar.PATH.value,
        EnvVar.WORLD_SIZE.value,
        "RANK",
        "LOCAL_RANK",
    }
)

#: Exit code of a child whose server ended before letting it run (nothing ran).
ABANDONED_EXIT = 125
#: Exit code of a recorded child that cannot open its log or enter its working directory.
CANNOT_START_EXIT = 126
#: Seconds a probe import may take before its module is deemed unsafe to preload.
_PROBE_TIMEOUT = 30.0
#: Poll interval for children where the kernel offers no pidfds.
_REAP_POLL_MS = 50
_PROBE_FAILURES = {
    10: "its import failed",
    11: "its import started a thread",
    12: "its import changed os.environ",
    13: "its import changed sys.path",
    14: "its import changed the working directory",
    15: "its import left files open",
}


def _thread_count() -> int:
    """Threads of this process, native ones included (``/proc/self/task``)."""
    try:
        return sum(1 for _ in Path("/proc/self/task").iterdir())
    except OSError:
        threading = sys.modules.get("threading")
        return 1 if threading is None else int(threading.active_count())


def _open_fds() -> set[str]:
    try:
        return {entry.name for entry in Path("/proc/self/fd").iterdir()}
    except OSError:
        return set()


def _probe_import(module: str) -> int:
    """In a probe child: import ``module``; 0 if that was clean, else a ``_PROBE_FAILURES`` key."""
    import importlib  # noqa: PLC0415 - preloaded by the server

    env, path, cwd, fds = dict(os.environ), list(sys.path), Path.cwd(), _open_fds()
    try:
        importlib.import_module(module)
    except BaseException:  # noqa: BLE001 - any failure means "not preloaded"
        return 10
    checks = (
        (11, _thread_count() > 1),
        (12, dict(os.environ) != env),
        (13, sys.path != path),
        (14, Path.cwd() != cwd),
        (15, _open_fds() != fds),
    )
    return next((code for code, failed in checks if failed), 0)


def _wait_pid(pid: int, timeout: float) -> int | None:
    """Wait at most ``timeout`` seconds for child ``pid``; its wait status, or None (killed)."""
    try:
        fd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        fd = -1
    if fd >= 0:
        try:
            poller = select.poll()
            poller.register(fd, select.POLLIN)
            ended = bool(poller.poll(int(timeout * 1000)))
        finally:
            os.close(fd)
        if ended:
            return os.waitpid(pid, 0)[1]
    else:
        import time  # noqa: PLC0415 - only without pidfds

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return status
            time.sleep(0.01)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    return None


def _targets(data: object) -> "Iterator[str]":
    """The ``_target_`` strings of a task's JSON data, at any depth."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            target = item.get("_target_")
            if isinstance(target, str):
                yield target
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _task_modules(argv: "Sequence[str]") -> list[str]:
    """The modules a runner command's task file names (``__main__`` never), in order."""
    if len(argv) < 4 or argv[3].startswith("-"):
        return []
    try:
        with open(argv[3], encoding="utf-8") as file:
            data = json.load(file)
    except (OSError, ValueError):
        return []
    modules = []
    for target in _targets(data):
        module = target.partition(":")[0]
        if module and not module.startswith("__") and module not in modules:
            modules.append(module)
    return modules


class _Fork:
    """What a freshly forked child needs to become its job."""

    def __init__(self, request: "dict[str, Any]", go: int, env: dict[str, str]):
        self.request = request
        self.go = go
        self.env = env


class _Child:
    """A child of the server, from its fork to its exit."""

    def __init__(self, request: "dict[str, Any]", pid: int) -> None:
        self.request = request
        self.job: str = request["job"]
        self.pid = pid
        self.pidfd = -1
        self.started = False


class _Server:
    """The server's state and its one-threaded event loop."""

    def __init__(self, requests: int, reports: int, base_env: dict[str, str]) -> None:
        self.requests = requests
        self.reports = reports
        self.base_env = base_env
        self.cwd = str(Path.cwd())
        self.poller = select.poll()
        self.poller.register(requests, select.POLLIN)
        os.set_blocking(reports, False)
        self.inbox = b""
        self.outbox = bytearray()
        self.waiting_to_send = False
        self.by_pidfd: dict[int, _Child] = {}
        self.polled: dict[int, _Child] = {}  # by pid, where pidfds are missing
        self.preloaded: dict[str, bool] = {}
        self.unsafe: str | None = None
        if _thread_count() > 1:
            self.unsafe = "the fork server has a thread"

    # -- reports --------------------------------------------------------------------------------

    def send(self, message: "dict[str, Any]") -> None:
        if self.reports < 0:
            return  # the launcher has gone: nobody reads reports
        self.outbox += json.dumps(message).encode() + b"\n"
        self.flush()

    def flush(self) -> None:
        try:
            while self.outbox:
                del self.outbox[: os.write(self.reports, self.outbox)]
        except BlockingIOError:
            if not self.waiting_to_send:
                self.poller.register(self.reports, select.POLLOUT)
                self.waiting_to_send = True
            return
        except OSError:  # the launcher has gone
            self.outbox.clear()
            self._stop_waiting_to_send()
            os.close(self.reports)
            self.reports = -1
            return
        self._stop_waiting_to_send()

    def _stop_waiting_to_send(self) -> None:
        if self.waiting_to_send:
            self.poller.unregister(self.reports)
            self.waiting_to_send = False

    def flush_all(self) -> None:
        if self.reports >= 0 and self.outbox:
            os.set_blocking(self.reports, True)
            self.flush()

    # -- loop -----------------------------------------------------------------------------------

    def serve(self) -> _Fork | None:
        """Serve until the requests pipe is closed and every child has ended.

        Returns:
            None in the server; in a freshly forked child, what it needs to become its job.
        """
        while self.requests >= 0 or self.by_pidfd or self.polled:
            timeout = _REAP_POLL_MS if self.polled else None
            for fd, _ in self.poller.poll(timeout):
                if fd == self.requests:
                    fork = self._read_requests()
                    if fork is not None:
                        return fork
                elif fd == self.reports:
                    self.flush()
                elif fd in self.by_pidfd:
                    child = self.by_pidfd.pop(fd)
                    self.poller.unregister(fd)
                    os.close(fd)
                    self._reap(child, os.waitpid(child.pid, 0)[1])
            for pid, child in list(self.polled.items()):
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    del self.polled[pid]
                    self._reap(child, status)
        self.flush_all()
        return None

    def _read_requests(self) -> _Fork | None:
        data = os.read(self.requests, 1 << 16)
        if not data:
            self.poller.unregister(self.requests)
            os.close(self.requests)
            self.requests = -1
            return None
        self.inbox += data
        *lines, self.inbox = self.inbox.split(b"\n")
        for line in lines:
            fork = self._fork(json.loads(line))
            if fork is not None:
                return fork
        return None

    # -- starting a child -----------------------------------------------------------------------

    def _fork(self, request: "dict[str, Any]") -> _Fork | None:
        job = request["job"]
        if self.unsafe is None and request["cwd"] == self.cwd:
            self._preload(job, request["argv"])
        if self.unsafe is not None:
            self.send({"job": job, "refused": self.unsafe})
            return None
        go_r, go_w = os.pipe()
        try:
            pid = os.fork()
        except OSError as exc:
            os.close(go_r)
            os.close(go_w)
            self.send({"job": job, "refused": f"the fork server cannot fork: {exc}"})
            return None
        if pid == 0:
            self._close_in_child(go_w)
            return _Fork(request, go_r, self.base_env)
        os.close(go_r)
        child = _Child(request, pid)
        try:
            child.pidfd = os.pidfd_open(pid)
        except (AttributeError, OSError):
            self.polled[pid] = child
        else:
            self.by_pidfd[child.pidfd] = child
            self.poller.register(child.pidfd, select.POLLIN)
        self._start(child, go_w)
        return None

    def _close_in_child(self, *own: int) -> None:
        """In a new child: close the server's descriptors (and ``own``, the server's ends)."""
        for fd in (self.requests, self.reports, *own, *self.by_pidfd):
            if fd >= 0:
                os.close(fd)

    def _start(self, child: _Child, go: int) -> None:
        """Record the new child, let it run and report it (or refuse it: it ends at once)."""
        reason = self._record(child)
        if reason is None:
            child.started = True
            with contextlib.suppress(OSError):  # it died meanwhile: reaped and marked as any other
                os.write(go, b"g")
        os.close(go)
        if reason is not None:
            self.send({"job": child.job, "refused": reason})
            return
        # Reported once it may run: a launcher that sees this server die first finds the record.
        self.send({"job": child.job, "started": child.pid})

    def _record(self, child: _Child) -> str | None:
        """Write the child's ``local.json``; else say why it cannot start."""
        request = child.request
        started = start_time(child.pid)
        record = ProcessRecord(
            pid=child.pid,
            start_time=started,
            host=request["host"],
            job_id=child.job,
            job_dir=request["job_dir"],
            forked=True,
        )
        try:
            write_record(Path(request["job_dir"]), record)
        except OSError as exc:
            return f"cannot write the job's record: {exc}"
        return None

    def _reap(self, child: _Child, status: int) -> None:
        """Mark a child that ended without an exit marker, and report its exit."""
        if not child.started:
            return  # refused: the launcher spawns its job
        code = exit_code_from_returncode(os.waitstatus_to_exitcode(status))
        path = child.request["marker"]
        if not Path(path).exists():  # its runner wrote none: a signal, or os._exit
            error = signal_summary(code)
            marker = ExitMarker.now(code, started=None, writer="forkserver", error=error)
            with contextlib.suppress(OSError):  # the job directory is gone: nothing to mark
                write_exit_marker(path, marker, exclusive=True)
        self.send({"job": child.job, "exit": code})

    # -- preloading -----------------------------------------------------------------------------

    def _preload(self, job: str, argv: "Sequence[str]") -> None:
        import importlib  # noqa: PLC0415 - preloaded by main()

        for module in _task_modules(argv):
            if module in self.preloaded or module in sys.modules:
                continue
            reason = self._probe(module)
            if reason is None:
                try:
                    importlib.import_module(module)
                except BaseException as exc:  # noqa: BLE001 - a failed import is not preloaded
                    reason = f"its import failed: {type(exc).__name__}: {exc}"
                if _thread_count() > 1:
                    self.unsafe = f"the fork server has a thread since it imported {module}"
            self.preloaded[module] = reason is None
            if reason is not None:
                self.send({"job": job, "note": f"module {module} is not preloaded: {reason}"})

    @staticmethod
    def _probe(module: str) -> str | None:
        """Why ``module`` must not be preloaded (imported in a throw-away child), or None."""
        try:
            pid = os.fork()
        except OSError as exc:
            return f"cannot fork a probe: {exc}"
        if pid == 0:
            code = 1
            try:
                code = _probe_import(module)
            finally:
                os._exit(code)
        status = _wait_pid(pid, _PROBE_TIMEOUT)
        if status is None:
            return f"its import took more than {_PROBE_TIMEOUT:g} s"
        code = os.waitstatus_to_exitcode(status)
        return None if code == 0 else _PROBE_FAILURES.get(code, f"its probe ended with {code}")


# -- the child --------------------------------------------------------------------------------


def _abandon(request: "dict[str, Any]") -> None:
    """The server ended before letting this child run: mark the job if it was recorded."""
    try:
        record = read_record(Path(request["job_dir"]))
    except Exception:  # noqa: BLE001 - unreadable: not this child's record
        return
    if record is not None and record.pid == os.getpid():
        reason = "the fork server ended before starting the job; nothing ran"
        marker = ExitMarker.now(ABANDONED_EXIT, started=None, writer="forkserver", error=reason)
        write_exit_marker(request["marker"], marker, exclusive=True)


def _become_job(fork: _Fork) -> int:
    """In a new child: become the job (see the module documentation); its exit code."""
    import runpy  # noqa: PLC0415 - preloaded by main()

    request = fork.request
    os.setsid()
    try:
        go = os.read(fork.go, 1)
    except OSError:  # the server has gone
        go = b""
    if go != b"g":
        _abandon(request)
        os._exit(ABANDONED_EXIT)
    os.close(fork.go)
    try:
        log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        null = os.open(os.devnull, os.O_RDWR)
        os.chdir(request["cwd"])
    except OSError as exc:
        _cannot_start(request, exc)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.closerange(3, os.sysconf("SC_OPEN_MAX"))
    os.umask(request["umask"])
    _replace_environ({**fork.env, **request["env"]})
    argv = request["argv"]
    sys.argv = [argv[0], *argv[3:]]  # runpy sets argv[0] to the runner's file, as -m does
    sys.orig_argv = list(argv)
    try:
        runpy.run_module(RUNNER_MODULE, run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        return _system_exit_code(exc)
    except BaseException:  # noqa: BLE001 - reported as the interpreter reports it
        sys.excepthook(*sys.exc_info())
        return 1
    return 0


def _cannot_start(request: "dict[str, Any]", exc: OSError) -> "NoReturn":
    """The recorded child cannot become its job: mark the job failed, saying why."""
    reason = f"cannot start the job: {exc}"
    marker = ExitMarker.now(CANNOT_START_EXIT, started=None, writer="forkserver", error=reason)
    with contextlib.suppress(OSError):
        write_exit_marker(request["marker"], marker, exclusive=True)
    os._exit(CANNOT_START_EXIT)


def _replace_environ(env: dict[str, str]) -> None:
    """Make ``os.environ`` exactly ``env``, touching only the variables that differ."""
    for key in [key for key in os.environ if key not in env]:
        del os.environ[key]
    for key, value in env.items():
        if os.environ.get(key) != value:
            os.environ[key] = value


def _system_exit_code(exc: SystemExit) -> int:
    """The exit status the interpreter gives ``exc`` (a message is printed, then 1)."""
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code & 0xFF
    print(exc.code, file=sys.stderr)
    return 1


def _end_job(code: int, server_modules: "set[str]") -> "NoReturn":
    """End a forked job as the interpreter would, without tearing down the server's modules.

    Non-daemon threads are joined, ``atexit`` functions run, the modules the job brought in
    (its task's, preloaded or not) are finalized (:func:`_finalize_modules`), and the output
    is flushed. The rest of the heap is the server's: tearing it down would only copy its
    pages (about 10 ms per job), so the process ends there.
    """
    import atexit  # noqa: PLC0415 - preloaded by main()

    threading = sys.modules.get("threading")
    if threading is not None:
        threading._shutdown()
    atexit._run_exitfuncs()
    _flush_output()
    _finalize_modules(server_modules)
    _flush_output()
    os._exit(code)


def _finalize_modules(server_modules: "set[str]") -> None:
    """Finalize the modules not in ``server_modules``, as the interpreter does at exit.

    They leave ``sys.modules``; then each one's names are set to None, the last bound first
    (what a module binds late tends to use what it bound early), so objects die by reference
    count, in order (a buffered file flushes before its raw file closes), and what is left in
    cycles is collected.
    """
    namespaces = [
        vars(sys.modules.pop(name))
        for name in reversed(list(sys.modules))
        if name not in server_modules
    ]
    for namespace in namespaces:
        for key in reversed(list(namespace)):
            if key != "__builtins__":
                namespace[key] = None
    del namespaces
    gc.collect()


def _flush_output() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            pass  # a closed or broken stream: nothing more can reach the log


def _preload_runner() -> None:
    """Import what the runner and the server's children need, before any job."""
    import atexit  # noqa: F401, PLC0415
    import importlib  # noqa: F401, PLC0415
    import runpy  # noqa: F401, PLC0415
    import traceback  # noqa: F401, PLC0415

    import nr_config.serialization.direct  # noqa: PLC0415
    import nr_config.serialization.refs  # noqa: F401, PLC0415

    import nr_exec.marker_writer  # noqa: F401, PLC0415


def main(argv: "Sequence[str] | None" = None) -> int:
    """Serve jobs over the pipes named by ``argv`` (requests fd, reports fd); 0 at the end.

    In a forked child this returns only once its job's runner returned without exiting.
    """
    requests, reports = (int(fd) for fd in (sys.argv[1:] if argv is None else argv))
    base_env = {k: v for k, v in os.environ.items() if k not in JOB_ENV_KEYS}
    _preload_runner()
    server_modules = set(sys.modules)
    gc.freeze()  # children's collections leave these objects (and their pages) alone
    fork = _Server(requests, reports, base_env).serve()
    if fork is not None:
        _end_job(_become_job(fork), server_modules)
    return 0


if __name__ == "__main__":
    sys.exit(main())
