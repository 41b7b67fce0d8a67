"""CPU and wall time of one local Partial job beyond ``python -c "import mod; mod.f()"``.

A fresh launcher process submits the same ``Partial`` of a no-op function to the
``LocalBackend`` and waits for it, ``repeats`` times (one warm-up first). The job is spawned
(``NEMORUN_LOCAL_FORK_SERVER=0``): this measures the in-job runner as every backend starts it,
``python -m nr_exec.runner``, and a forked job's CPU would be its fork server's child, not the
launcher's (the ``local_partial_*`` sweeps measure both paths). Per job it takes:

* ``job_cpu``: user + sys of the job's process tree (``RUSAGE_CHILDREN`` delta of the launcher,
  which waits for the job), median;
* ``launcher_cpu``: the launcher's own CPU for dryrun + submit + wait (``RUSAGE_SELF``), median;
* ``wall``: dryrun + submit + wait, median.

Side by side, in the same run: ``floor.task`` (``python -c "import nrx_bench_task;
nrx_bench_task.noop()"``) and ``floor.bare_interpreter`` (``python -c pass``), medians of wall
and CPU. ``job_cpu_overhead_ms`` is ``job_cpu`` beyond ``floor.task``'s CPU (target: at most
10 ms); ``wall_overhead_ms`` the same for wall time. The wall-clock ``launch_overhead`` of
``bench_exec`` (Script and Partial against ``subprocess.run`` of the same argv) stays as it was.
"""

import statistics
from typing import Any

import floors

LAUNCHER = """
import json, os, resource, sys, time
os.environ["NEMORUN_LOCAL_FORK_SERVER"] = "0"  # a spawned runner: its CPU is this process's child
repeats = int(sys.argv[1])
import nemo_run as run
import nrx_bench_task
from nr_exec import JobState, LocalBackend, make_job_spec

def cpu(who):
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime

backend = LocalBackend()
samples = []
for _ in range(repeats + 1):
    task = run.Partial(nrx_bench_task.noop)
    self0, child0 = cpu(resource.RUSAGE_SELF), cpu(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    handle = backend.submit(backend.dryrun(make_job_spec(task, run.LocalExecutor())))
    status = backend.wait([handle])[handle]
    wall = time.perf_counter() - t0
    job_cpu = cpu(resource.RUSAGE_CHILDREN) - child0
    samples.append([wall, job_cpu, cpu(resource.RUSAGE_SELF) - self0])
    assert status.state is JobState.SUCCEEDED, status
print(json.dumps({"samples": samples[1:]}))
"""


def run(quick: bool) -> dict[str, Any]:
    repeats = 10 if quick else 50
    with floors.workspace() as ws:
        task = floors.process_floor(floors.task_argv(), ws, repeats)
        bare = floors.process_floor(floors.bare_argv(), ws, repeats)
        samples = floors.run_launcher(LAUNCHER, ws, str(repeats))["samples"]
    wall, job_cpu, launcher_cpu = (
        floors.median_ms(column) for column in zip(*samples, strict=True)
    )
    return {
        "repeats": repeats,
        "wall_median_ms": wall,
        "job_cpu_median_ms": job_cpu,
        "launcher_cpu_median_ms": launcher_cpu,
        "job_cpu_overhead_ms": round(job_cpu - task["cpu_median_ms"], 3),
        "wall_overhead_ms": round(wall - task["wall_median_ms"], 3),
        "job_cpu_stdev_ms": floors.ms(statistics.stdev(cpu for _, cpu, _ in samples)),
        "floor": {"task": task, "bare_interpreter": bare, "task_argv": floors.task_argv()},
        "target_job_cpu_overhead_ms": 10.0,
    }
