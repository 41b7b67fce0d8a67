"""A 10,000-task array sweep submitted to the testbed's Slurm over SSH (target <= 10 s).

Our API expresses an array sweep as one experiment of same-shape single-task jobs run with
``exp.run(array=True)``: the jobs become Slurm job arrays, chunked to the cluster's
``MaxArraySize`` (1,001 on the testbed, so 10 arrays here), each job keeping its own id and
handle (an array element). So: 10,000 ``run.Script(inline="true")`` jobs on one
``SlurmExecutor`` (an ``SSHTunnel`` to the testbed), ``exp.add`` each (``add_s``), then
``exp.run(detach=True, array=True)`` (``submit_s``: specs, packaging, one transfer, the
sbatch calls); ``total_s`` is both, the figure the target applies to. The arrays are
submitted held (``additional_parameters={"hold": True}``: the same sbatch work, but no task
runs on the shared testbed) and cancelled at once (``cancel_s``: ``exp.cancel()``), with
``scancel`` of every array as a safety net. A refused submit (a cluster's ``MaxJobCount``
counts array tasks, and records of jobs ended in the last ``MinJobAge`` s: at Slurm's default
of 10,000, any other job about makes it refuse the last chunk; the testbed allows 50,000) is
reported as ``submit_error`` beside ``submitted``. The floor beside it: one SSH round trip
(``true`` on the remote shell) and one held ``sbatch --array`` of one chunk's size run there
directly (``floor.sbatch_one_array_ms``, cancelled at once). ``--quick`` submits 300 tasks.
(``SlurmExecutor(array="0-9999")``, one job run as a raw array, cannot express this here:
``MaxArraySize=1001`` makes sbatch refuse the index range.)

Runs inside the testbed's network namespace (see :mod:`slurm_testbed`); otherwise it reports
``{"skipped": reason}``.
"""

import shlex
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import nemo_run
from nr_exec import Handle
from nr_experiment.errors import SubmitError
from nr_tunnel import SSHTunnel
from slurm_testbed import connect_testbed

PATH = f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin"


def _array_ids(exp: Any) -> list[str]:
    return sorted({Handle.parse(job.handle).job_id.split("_")[0] for job in exp.jobs if job.handle})


def _sweep(tunnel: SSHTunnel, partition: str, count: int, home: str) -> dict[str, Any]:
    executor = nemo_run.SlurmExecutor(
        tunnel=tunnel,
        partition=partition,
        time="00:02:00",
        packager=nemo_run.Packager(),
        env_vars={"PATH": PATH},
        additional_parameters={"hold": True},
    )
    tasks = [nemo_run.Script(inline="true") for _ in range(count)]
    error = None
    exp = nemo_run.Experiment("bench-array", executor=executor, base_dir=home, clean_mode=True)
    try:
        with exp:
            started = time.perf_counter()
            for i, task in enumerate(tasks):
                exp.add(task, name=f"t{i}")
            added = time.perf_counter()
            try:
                exp.run(detach=True, array=True)
            except SubmitError as exc:  # e.g. the cluster's MaxJobCount: report it, clean up
                error = str(exc)
            submitted = time.perf_counter()
            exp.cancel()
            cancelled = time.perf_counter()
    finally:
        arrays = _array_ids(exp)
        if arrays:
            tunnel.run(f"scancel {' '.join(arrays)}", warn=True)
    figures: dict[str, Any] = {
        "tasks": count,
        "submitted": sum(bool(job.handle) for job in exp.jobs),
        "arrays": len(arrays),
        "add_s": round(added - started, 3),
        "submit_s": round(submitted - added, 3),
        "total_s": round(submitted - started, 3),
        "cancel_s": round(cancelled - submitted, 3),
    }
    if error is not None:
        figures["submit_error"] = error
    return figures


def _floor(tunnel: SSHTunnel, partition: str, size: int) -> dict[str, float]:
    started = time.perf_counter()
    tunnel.run("true")
    round_trip = time.perf_counter() - started
    started = time.perf_counter()
    result = tunnel.run(
        f"sbatch --parsable --array=0-{size - 1} -p {partition} -t 1 -o /dev/null --wrap true",
    )
    submitted = time.perf_counter() - started
    tunnel.run(f"scancel {result.stdout.strip().split(';')[0]}", warn=True)
    return {
        "ssh_round_trip_ms": round(round_trip * 1000, 1),
        "sbatch_one_array_ms": round(submitted * 1000, 1),
        "array_size": size,
    }


def run(quick: bool) -> dict[str, Any]:
    tunnel, partition = connect_testbed("nr-slurm-bench-array")
    if tunnel is None:
        return {"skipped": partition}
    count = 300 if quick else 10_000
    try:
        with tempfile.TemporaryDirectory(prefix="nr-bench-array-") as home:
            figures = _sweep(tunnel, partition, count, home)
        figures["floor"] = _floor(tunnel, partition, min(count, 1000))
    finally:
        tunnel.run(f"rm -rf {shlex.quote(tunnel.job_dir)}", warn=True)  # the sweep's job files
        tunnel.cleanup()
    figures["target_total_s"] = 10.0
    return figures
