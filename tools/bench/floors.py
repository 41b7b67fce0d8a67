"""Shared pieces of the job benchmarks: the physical floor, CPU of process trees, launchers.

The *floor* of a job is what its work costs without us: a bare interpreter start
(``python -c pass``) and ``python -c "import <module>; <module>.<fn>()"`` for the same task
function. Figures are taken side by side with the floor, in the same run.

CPU time is user + sys of a process tree: ``os.wait4`` of the process (which includes every
descendant it waited for) or ``resource.getrusage(RUSAGE_CHILDREN)`` deltas.
"""

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: The task module every job benchmark imports: one function that does nothing.
TASK_MODULE = "nrx_bench_task"
TASK_FN = "noop"
TASK_SOURCE = "def noop() -> None:\n    pass\n"


@dataclass(frozen=True)
class Workspace:
    """A temporary directory with the task module and a fresh NEMORUN_HOME.

    Attributes:
        root: The directory (the working directory of launchers and jobs).
        env: The environment for child processes: NEMORUN_HOME set, the task module
            importable, bytecode caching on (as an installed package has it).
    """

    root: Path
    env: dict[str, str]


@contextmanager
def workspace() -> Iterator[Workspace]:
    """Yield a :class:`Workspace`; removes it afterwards."""
    with tempfile.TemporaryDirectory(prefix="nr-bench-") as tmp:
        root = Path(tmp)
        (root / f"{TASK_MODULE}.py").write_text(TASK_SOURCE)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["NEMORUN_HOME"] = str(root / "home")
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
        yield Workspace(root, env)


def cpu_s(usage: resource.struct_rusage) -> float:
    """User + sys seconds of a rusage."""
    return usage.ru_utime + usage.ru_stime


def children_cpu_s() -> float:
    """User + sys seconds of every child this process has waited for so far."""
    return cpu_s(resource.getrusage(resource.RUSAGE_CHILDREN))


def ms(seconds: float) -> float:
    """Seconds as milliseconds, rounded for a report."""
    return round(seconds * 1000, 3)


def median_ms(samples: Sequence[float]) -> float:
    """Median of second samples, in milliseconds."""
    return ms(statistics.median(samples))


def run_process(argv: Sequence[str], ws: Workspace) -> tuple[float, float]:
    """Run ``argv`` in the workspace; return (wall seconds, CPU seconds of its tree)."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        list(argv),
        cwd=ws.root,
        env=ws.env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"floor process {list(argv)} exited with {proc.returncode}")
    return wall, cpu_s(usage)


def bare_argv() -> list[str]:
    """A bare interpreter start."""
    return [sys.executable, "-c", "pass"]


def task_argv() -> list[str]:
    """The task function called directly: ``python -c "import mod; mod.fn()"``."""
    return [sys.executable, "-c", f"import {TASK_MODULE}; {TASK_MODULE}.{TASK_FN}()"]


def script_argv() -> list[str]:
    """The inline Script ``true`` run bare, as its shell runs it."""
    return ["bash", "-c", "true"]


def process_floor(argv: Sequence[str], ws: Workspace, repeats: int) -> dict[str, float]:
    """Median wall and CPU milliseconds of ``argv`` (one warm-up run first)."""
    run_process(argv, ws)
    samples = [run_process(argv, ws) for _ in range(repeats)]
    return {
        "wall_median_ms": median_ms([wall for wall, _ in samples]),
        "cpu_median_ms": median_ms([cpu for _, cpu in samples]),
    }


def many_processes(
    argv: Sequence[str], ws: Workspace, count: int, concurrency: int
) -> dict[str, float]:
    """Run ``count`` copies of ``argv``, at most ``concurrency`` at once; wall and CPU."""
    cpu_before = children_cpu_s()
    started = time.perf_counter()
    running: dict[int, subprocess.Popen[bytes]] = {}  # held, so no finalizer reaps them
    launched = 0
    while launched < count or running:
        while launched < count and len(running) < concurrency:
            proc = subprocess.Popen(
                list(argv),
                cwd=ws.root,
                env=ws.env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            running[proc.pid] = proc
            launched += 1
        pid, status = os.wait()
        if pid in running:
            running.pop(pid).returncode = os.waitstatus_to_exitcode(status)
            if os.waitstatus_to_exitcode(status) != 0:
                raise RuntimeError(f"floor process {list(argv)} failed ({status})")
    return {
        "processes": count,
        "concurrency": concurrency,
        "wall_s": round(time.perf_counter() - started, 3),
        "cpu_s": round(children_cpu_s() - cpu_before, 3),
    }


def sweep_floor(
    argv: Sequence[str], ws: Workspace, count: int, one: dict[str, float]
) -> dict[str, Any]:
    """The floor of ``count`` jobs running ``argv``: all at once, one per CPU, and n x one.

    Args:
        argv: The floor process of one job.
        ws: The workspace.
        count: How many jobs.
        one: :func:`process_floor` of ``argv`` (its CPU median gives the n x one floor).
    """
    cpus = os.cpu_count() or 1
    return {
        "all_at_once": many_processes(argv, ws, count, count),
        "one_per_cpu": many_processes(argv, ws, count, cpus),
        "cpu_n_times_one_s": round(one["cpu_median_ms"] * count / 1000, 3),
    }


_FORK_FLOOR = """
import os, resource, sys, time
import {module}
count, width = int(sys.argv[1]), int(sys.argv[2])
started, running, launched = time.perf_counter(), 0, 0
while launched < count or running:
    while launched < count and running < width:
        if os.fork() == 0:
            {module}.{fn}()
            os._exit(0)
        running += 1
        launched += 1
    os.wait()
    running -= 1
print(time.perf_counter() - started)
"""


def fork_floor(ws: Workspace, count: int) -> dict[str, float]:
    """One interpreter that imported the task module forks ``count`` children calling it.

    At most one child per CPU at once; ``wall_s`` is the forking loop's, ``cpu_s`` the whole
    process tree's (interpreter start and import included, paid once).
    """
    cpus = os.cpu_count() or 1
    code = _FORK_FLOOR.format(module=TASK_MODULE, fn=TASK_FN)
    cpu_before = children_cpu_s()
    done = subprocess.run(
        [sys.executable, "-c", code, str(count), str(cpus)],
        cwd=ws.root,
        env=ws.env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=True,
    )
    return {
        "processes": count,
        "concurrency": cpus,
        "wall_s": round(float(done.stdout.split()[-1]), 3),
        "cpu_s": round(children_cpu_s() - cpu_before, 3),
    }


def run_launcher(
    code: str, ws: Workspace, *args: str, env: dict[str, str] | None = None
) -> dict[str, Any]:
    """Run ``code`` in a fresh interpreter; return its JSON report and its tree's costs.

    The code prints one JSON object as its last stdout line. Added keys: ``process_wall_s``
    (interpreter start included) and ``tree_cpu_s`` (the launcher and every job it waited for,
    from ``RUSAGE_CHILDREN`` deltas). ``env`` is added to the workspace's environment.
    """
    cpu_before = children_cpu_s()
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ws.root,
        env={**ws.env, **(env or {})},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        check=False,
    )
    wall = time.perf_counter() - started
    tree_cpu = children_cpu_s() - cpu_before
    if done.returncode != 0:
        raise RuntimeError(f"launcher failed ({done.returncode}):\n{done.stderr.decode()[-4000:]}")
    out = done.stdout
    report: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    report["process_wall_s"] = round(wall, 3)
    report["tree_cpu_s"] = round(tree_cpu, 3)
    return report


_HWM_PROBE = """
{code}
for line in open("/proc/self/status"):
    if line.startswith("VmHWM:"):
        print(int(line.split()[1]) / 1024)
"""


def peak_rss_mb(code: str, ws: Workspace) -> float:
    """Peak resident set (``VmHWM``) of a fresh interpreter after running ``code``, in MB.

    ``VmHWM`` is read inside the process: ``ru_maxrss`` of a forked child also counts the
    parent's memory copied before ``exec``.
    """
    done = subprocess.run(
        [sys.executable, "-c", _HWM_PROBE.format(code=code)],
        cwd=ws.root,
        env=ws.env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=True,
    )
    return round(float(done.stdout.split()[-1]), 1)
