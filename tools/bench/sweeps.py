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
  uses today: every job starts at once) and one per CPU, and the CPU floor n x one.
"""

from typing import Any

import floors

LAUNCHER = """
import json, resource, sys, time
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
children_cpu = cpu(resource.RUSAGE_CHILDREN) - children0
states = [job.state for job in exp.jobs]
print()
print(json.dumps({
    "experiment_id": exp.id,
    "jobs": count,
    "succeeded": sum(state == "SUCCEEDED" for state in states),
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
    kind: str, count: int, ws: floors.Workspace, *, launch: bool = True
) -> dict[str, Any]:
    """Run :data:`LAUNCHER` for ``count`` jobs of ``kind`` ("partial" or "script").

    Without ``launch`` the jobs are only added (``exp.run`` is not called).
    """
    report = floors.run_launcher(LAUNCHER, ws, kind, str(count), "run" if launch else "add")
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
    with floors.workspace() as ws:
        one = floors.process_floor(argv, ws, repeats)
        bare = floors.process_floor(floors.bare_argv(), ws, repeats)
        figure = local_experiment(kind, count, ws)
        floor = floors.sweep_floor(argv, ws, count, one)
    per_job_floor = one["cpu_median_ms"]
    result: dict[str, Any] = {
        **figure,
        "jobs_cpu_overhead_ms_per_job": round(figure["jobs_cpu_ms_per_job"] - per_job_floor, 3),
        "floor": {"one_process": one, "bare_interpreter": bare, **floor},
        "floor_argv": argv,
    }
    if target_s is not None:
        result["target_wall_s"] = target_s
    result["target_launcher_cpu_ms_per_job"] = 2.0
    return result
