"""The local job supervisor: ``python -m nr_exec.local.supervisor`` with a launch plan on stdin.

Started by :class:`~nr_exec.local.LocalBackend` as the leader of the job's new session, so it
outlives the launching process. It reads the plan (:class:`~nr_exec.local.plan.LocalPlan` as
JSON), starts the plan's tasks (their output goes to its own stdout, the job's log), waits for
them, stops the others as soon as one fails, restarts the whole attempt up to ``retries``
times, and finally writes the job's exit marker: exit code 0, or that of the first task that
failed (128 + N for a signal), with the error reported by that task's runner when there is
one. A task that cannot be started at all fails with exit code 127, as in a shell. Each task
writes its own marker to ``.exit-<i>.json`` in the job directory, which the supervisor reads
and removes.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

from nr_exec.local.plan import LocalPlan, LocalTask
from nr_exec.marker import (
    EXIT_MARKER_ENV,
    ExitMarker,
    exit_code_from_returncode,
    read_exit_marker,
    signal_summary,
    utc_now,
    write_exit_marker,
)

__all__ = ["CANNOT_START", "main", "run_attempt"]

#: Exit code of a task that could not be started (a shell's "command not found").
CANNOT_START = 127

_POLL_SECONDS = 0.02


def _task_marker(job_dir: str, index: int) -> Path:
    return Path(job_dir) / f".exit-{index}.json"


def _start(task: LocalTask, marker: Path) -> "subprocess.Popen[bytes]":
    marker.unlink(missing_ok=True)
    env = {**os.environ, **task.env, EXIT_MARKER_ENV: str(marker)}
    return subprocess.Popen(list(task.argv), cwd=task.cwd, env=env, stdin=subprocess.DEVNULL)


def _stop(procs: list["subprocess.Popen[bytes]"], grace: float = 5.0) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    deadline = time.monotonic() + grace
    for proc in procs:
        try:
            proc.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _start_all(
    plan: LocalPlan, markers: list[Path]
) -> tuple[list["subprocess.Popen[bytes]"], str | None]:
    procs: list[subprocess.Popen[bytes]] = []
    for task, marker in zip(plan.tasks, markers, strict=True):
        try:
            procs.append(_start(task, marker))
        except OSError as exc:
            _stop(procs)
            reason = exc.strerror or str(exc)
            return procs, f"cannot start task {task.name!r} ({task.argv[0]!r}): {reason}"
    return procs, None


def run_attempt(plan: LocalPlan) -> tuple[int, str | None]:
    """Run every task of ``plan`` once; return the job's exit code and error summary."""
    markers = [_task_marker(plan.job_dir, i) for i in range(len(plan.tasks))]
    procs, start_error = _start_all(plan, markers)
    if start_error is not None:
        for marker in markers:
            marker.unlink(missing_ok=True)
        print(f"[nr-exec supervisor] {start_error}", flush=True)
        return CANNOT_START, start_error
    failed: int | None = None
    while failed is None and any(p.returncode is None for p in procs):
        if len(procs) == 1:
            procs[0].wait()
        else:
            time.sleep(_POLL_SECONDS)
        for index, proc in enumerate(procs):
            if proc.poll() not in (None, 0) and failed is None:
                failed = index
    if failed is not None:
        _stop(procs)
    index = failed if failed is not None else 0
    code = exit_code_from_returncode(procs[index].returncode) if failed is not None else 0
    task_marker = read_exit_marker(markers[index])
    for marker in markers:
        marker.unlink(missing_ok=True)
    error = task_marker.error if task_marker is not None else None
    return code, error or signal_summary(code)


#: Exit code of a job whose supervisor never got a complete launch plan (nothing ran).
INCOMPLETE_PLAN_EXIT = 125


def main() -> int:
    """Read the plan from stdin, run it with retries, write the exit marker.

    A plan cut short (the launcher was killed while sending it) runs nothing: the job's
    marker, in the working directory (the job directory), records why.
    """
    try:
        plan = LocalPlan.from_json(sys.stdin.read())
    except ValueError as exc:
        reason = f"the launch plan was incomplete (the launcher died while starting the job): {exc}"
        print(f"[nr-exec supervisor] {reason}; nothing ran", flush=True)
        marker = ExitMarker.now(
            INCOMPLETE_PLAN_EXIT, started=None, writer="supervisor", error=reason
        )
        write_exit_marker(Path.cwd() / "exit.json", marker, exclusive=True)
        return INCOMPLETE_PLAN_EXIT
    started = utc_now()
    attempt = 0
    while True:
        code, error = run_attempt(plan)
        if code == 0 or attempt >= plan.retries:
            break
        attempt += 1
        print(
            f"[nr-exec supervisor] exit code {code}; restart {attempt} of {plan.retries}",
            flush=True,
        )
    marker = ExitMarker.now(
        code, started=started, writer="supervisor", error=error, retries=attempt
    )
    write_exit_marker(plan.marker, marker, exclusive=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
