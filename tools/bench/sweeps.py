"""Local experiments of many jobs, launched by a fresh interpreter, beside their floor.

:func:`local_experiment` runs :data:`LAUNCHER` (a NeMo-Run user's script: ``run.Experiment``,
``exp.add`` per job, ``exp.run()`` waiting for all) in a fresh interpreter and reports:

* ``wall_s``: add + run, inside the launcher; ``add_s`` and ``run_s`` apart;
  ``process_wall_s`` with interpreter start and imports.
* ``launcher_cpu_s``: the launcher's own CPU (``RUSAGE_SELF``) for add + run, and per job;
  ``jobs_cpu_s``: the jobs' process trees (``RUSAGE_CHILDREN`` of the launcher), and per job;
  ``tree_cpu_s``: the launcher process and everything it waited for;
  ``jobs_cpu_overhead_ms_per_job``: a job's CPU beyond one floor process's.
* ``launcher_peak_rss_mb``: the launcher's ``VmHWM`` at the end (its peak resident set).
* ``floor``: the same number of floor processes (``python -c "import mod; mod.f()"`` for
  Partial jobs, ``bash -c true`` for Script jobs) all at once (the concurrency the experiment
  uses today: every job starts at once) and one per CPU, and the CPU floor n x one; for
  Partial jobs also ``fork_one_per_cpu``, one interpreter that has imported the module and
  forks a child per call (the floor of the fork-server path).
* ``path``: how the jobs were started (``fork`` by the fork server or ``spawn``; ``forked``
  counts the jobs whose ``local.json`` says so). Partial sweeps run both paths
  (``NEMORUN_LOCAL_FORK_SERVER`` = 1 and 0): the top-level figures are the default path's,
  ``by_path`` holds both. The launcher waits for its fork servers to end before reading its
  children's CPU, so the forked jobs' CPU is counted too.
"""

from typing import Any

import floors
from nr_exec.local.forkmode import DEFAULT_FORK_SERVER

#: ``NEMORUN_LOCAL_FORK_SERVER`` (nr_exec.local.forkmode); empty: the default path.
_FORK_SERVER_ENV = "NEMORUN_LOCAL_FORK_SERVER"
_SUMMARY_KEYS = (
    "path",
    "forked",
    "succeeded",
    "wall_s",
    "run_s",
    "launcher_cpu_ms_per_job",
    "jobs_cpu_ms_per_job",
    "jobs_cpu_overhead_ms_per_job",
    "tree_cpu_s",
    "launcher_peak_rss_mb",
)


def _summary(figure: dict[str, Any]) -> dict[str, Any]:
    return {key: figure[key] for key in _SUMMARY_KEYS}


LAUNCHER = """
import json, os, resource, sys, time
kind, count, launch = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "run"
import nemo_run as run
import nrx_bench_task

def cpu(who):
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime

def peak_rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

if kind == "partial":
    tasks = [run.Partial(nrx_bench_task.noop) for _ in range(count)]
else:
    tasks = [run.Script(inline="true") for _ in range(count)]
self0, children0 = cpu(resource.RUSAGE_SELF), cpu(resource.RUSAGE_CHILDREN)
t0 = time.perf_counter()
with run.Experiment("bench-sweep", executor=run.LocalExecutor()) as exp:
    for i, task in enumerate(tasks):
        exp.add(task, name=f"j{i}")
    t1 = time.perf_counter()
    self_add = cpu(resource.RUSAGE_SELF) - self0
    if launch:
        exp.run()
t2 = time.perf_counter()
self_cpu = cpu(resource.RUSAGE_SELF) - self0
from nr_exec.local import forking
forking.shutdown()  # the forked jobs are the servers' children: count their CPU too
children_cpu = cpu(resource.RUSAGE_CHILDREN) - children0
states = [job.state for job in exp.jobs]
jobs_root = os.path.join(os.environ["NEMORUN_HOME"], "jobs")
forked = 0
for job in exp.jobs:
    for handle in job.handles:
        with open(os.path.join(jobs_root, handle.rsplit("/", 1)[1], "local.json")) as file:
            forked += bool(json.load(file).get("forked"))
print()
print(json.dumps({
    "experiment_id": exp.id,
    "jobs": count,
    "succeeded": sum(state == "SUCCEEDED" for state in states),
    "path": "fork" if forked == count else "spawn" if not forked else "mixed",
    "forked": forked,
    "add_s": round(t1 - t0, 3),
    "run_s": round(t2 - t1, 3),
    "wall_s": round(t2 - t0, 3),
    "add_cpu_s": round(self_add, 3),
    "launcher_cpu_s": round(self_cpu, 3),
    "jobs_cpu_s": round(children_cpu, 3),
    "launcher_peak_rss_mb": round(peak_rss_mb(), 1),
}))
"""


def local_experiment(
    kind: str,
    count: int,
    ws: floors.Workspace,
    *,
    launch: bool = True,
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Run :data:`LAUNCHER` for ``count`` jobs of ``kind`` ("partial" or "script").

    Without ``launch`` the jobs are only added (``exp.run`` is not called); ``env`` is added
    to the launcher's environment.
    """
    report = floors.run_launcher(
        LAUNCHER, ws, kind, str(count), "run" if launch else "add", env=env
    )
    report["launcher_cpu_ms_per_job"] = round(report["launcher_cpu_s"] * 1000 / count, 3)
    report["jobs_cpu_ms_per_job"] = round(report["jobs_cpu_s"] * 1000 / count, 3)
    report["add_ms_per_job"] = round(report["add_s"] * 1000 / count, 3)
    return report


def local_sweep(kind: str, count: int, target_s: float | None, repeats: int) -> dict[str, Any]:
    """An experiment of ``count`` local jobs beside its floor, in a fresh workspace.

    Args:
        kind: "partial" (``run.Partial`` of a no-op function) or "script" (inline ``true``).
        count: How many jobs.
        target_s: The issue's target for ``wall_s``, if it gives one.
        repeats: Repeats of the one-process floors.
    """
    argv = floors.task_argv() if kind == "partial" else floors.script_argv()
    paths = {"fork": "1", "spawn": "0"} if kind == "partial" else {"default": ""}
    default_path = "fork" if DEFAULT_FORK_SERVER else "spawn"
    with floors.workspace() as ws:
        one = floors.process_floor(argv, ws, repeats)
        bare = floors.process_floor(floors.bare_argv(), ws, repeats)
        figures = {
            name: local_experiment(kind, count, ws, env={_FORK_SERVER_ENV: value})
            for name, value in paths.items()
        }
        floor = floors.sweep_floor(argv, ws, count, one)
        if kind == "partial":
            floor["fork_one_per_cpu"] = floors.fork_floor(ws, count)
    default = figures.get(default_path) or figures["default"]
    per_job_floor = one["cpu_median_ms"]
    for figure in figures.values():
        overhead = figure["jobs_cpu_ms_per_job"] - per_job_floor
        figure["jobs_cpu_overhead_ms_per_job"] = round(overhead, 3)
    result: dict[str, Any] = {
        **default,
        "floor": {"one_process": one, "bare_interpreter": bare, **floor},
        "floor_argv": argv,
    }
    if kind == "partial":
        result["by_path"] = {name: _summary(figure) for name, figure in figures.items()}
    if target_s is not None:
        result["target_wall_s"] = target_s
    result["target_launcher_cpu_ms_per_job"] = 2.0
    return result
