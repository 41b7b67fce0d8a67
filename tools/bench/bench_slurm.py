"""Slurm backend figures: dry-run cost per job, 1,000-task submission over SSH, one-query status.

* ``dryrun_ms_per_job``: ``SlurmBackend.dryrun(spec).materialize()`` per job (no cluster).
* ``array_dryrun_ms_per_task``: building a 1,000-element array request, per task.
* Cluster figures (the testbed's Slurm through its sshd; ``{"skipped": reason}`` otherwise):
  ``submit_s`` (package, one transfer, one remote shell with one sbatch per array chunk),
  ``finish_s`` (until every task has ended), ``status_ms`` (one round trip), ``find_ms``
  (every task's job id looked up in one round trip, as a reconcile does) and ``found``.
* ``experiment``: the same 1,000 tasks as jobs of one ``Experiment`` run with ``array=True``
  through SSH: ``add_s``, ``run_s`` (specs, one transfer, one remote shell), ``finish_s``.
"""

import os
import tempfile
import time

from nr_config import Script
from nr_exec import BackendContext, backend_for
from nr_exec.slurm import SlurmBackend, SlurmExecutor
from nr_package import Packager
from nr_tunnel import LocalTunnel
from slurm_testbed import connect_testbed


def _backend(executor: SlurmExecutor, home: str) -> SlurmBackend:
    backend = backend_for(executor, context=BackendContext.default(home))
    assert isinstance(backend, SlurmBackend)
    return backend


def _dryrun_figures(count: int) -> dict[str, float]:
    executor = SlurmExecutor(
        packager=Packager(),
        tunnel=LocalTunnel(job_dir="/remote"),
        partition="debug",
        env_vars={"A": "1"},
    )
    with tempfile.TemporaryDirectory() as home:
        backend = _backend(executor, home)
    specs = [executor.to_job_spec(Script(inline=f"echo {i}"), name="t") for i in range(count)]
    started = time.perf_counter()
    for spec in specs:
        backend.dryrun(spec).materialize()
    per_job = (time.perf_counter() - started) * 1000 / count
    started = time.perf_counter()
    backend.dryrun_array(specs, name="bench")
    per_task = (time.perf_counter() - started) * 1000 / count
    return {"dryrun_ms_per_job": round(per_job, 3), "array_dryrun_ms_per_task": round(per_task, 3)}


def _cluster_figures(count: int) -> dict[str, object]:
    tunnel, partition = connect_testbed()
    if tunnel is None:
        return {"skipped": partition}
    executor = SlurmExecutor(
        packager=Packager(),
        tunnel=tunnel,
        partition=partition,
        time="00:05:00",
        experiment_id="bench",
    )
    home = tempfile.TemporaryDirectory()
    backend = _backend(executor, home.name)
    started = time.perf_counter()
    specs = [executor.to_job_spec(Script(inline="true"), name="t") for _ in range(count)]
    handles = backend.submit_array(specs, name="bench")
    submit_s = time.perf_counter() - started
    try:
        statuses = backend.wait(handles, timeout=900, interval=2)
        finish_s = time.perf_counter() - started
        t0 = time.perf_counter()
        backend.status(handles)
        status_ms = (time.perf_counter() - t0) * 1000
        succeeded = sum(s.state.value == "SUCCEEDED" for s in statuses.values())
        t0 = time.perf_counter()
        found = backend.find([spec.job_id for spec in specs])
        find_ms = (time.perf_counter() - t0) * 1000
    finally:
        backend.cancel(handles)
        tunnel.cleanup()
        home.cleanup()
    return {
        "tasks": count,
        "submit_s": round(submit_s, 3),
        "finish_s": round(finish_s, 1),
        "status_ms": round(status_ms, 1),
        "find_ms": round(find_ms, 1),
        "found": len(found),
        "succeeded": succeeded,
    }


def _experiment_figures(count: int) -> dict[str, object]:
    """``count`` one-line Script jobs of one Experiment, run as arrays through SSH."""
    from nr_experiment import Experiment

    tunnel, partition = connect_testbed()
    if tunnel is None:
        return {"skipped": partition}
    executor = SlurmExecutor(
        packager=Packager(), tunnel=tunnel, partition=partition, time="00:05:00"
    )
    with tempfile.TemporaryDirectory() as home:
        try:
            with Experiment("bench", executor=executor, base_dir=home, clean_mode=True) as exp:
                started = time.perf_counter()
                for _ in range(count):
                    exp.add(Script(inline="true"), name="t")
                add_s = time.perf_counter() - started
                started = time.perf_counter()
                exp.run(detach=True, array=True)
                run_s = time.perf_counter() - started
            states = exp.wait(timeout=900)
            finish_s = time.perf_counter() - started
        finally:
            tunnel.cleanup()
    return {
        "tasks": count,
        "add_s": round(add_s, 3),
        "run_s": round(run_s, 3),
        "finish_s": round(finish_s, 1),
        "succeeded": sum(state == "SUCCEEDED" for state in states.values()),
    }


def run(quick: bool) -> dict[str, object]:
    figures: dict[str, object] = dict(_dryrun_figures(200 if quick else 1000))
    figures["cluster"] = _cluster_figures(100 if quick else 1000)
    figures["experiment"] = _experiment_figures(100 if quick else 1000)
    return figures


if __name__ == "__main__":
    print(run(quick=os.environ.get("BENCH_QUICK") == "1"))
