"""Slurm dry-run per job: an experiment of N SlurmExecutor jobs, ``exp.add`` + ``exp.dryrun``.

The executor has the testbed's tunnel settings (an ``SSHTunnel`` to its sshd, as
``tests/slurm/conftest.py`` builds it); a dry run needs no cluster, so this runs anywhere.
Inside one ``nemo_run.Experiment``: ``add_ms_per_job`` (the add calls), ``dryrun_ms_per_job``
(``exp.dryrun()``, its printed sbatch scripts captured in memory) and ``ms_per_job`` (both;
target: at most 1 ms). The floor beside it is the backend alone: ``SlurmBackend.dryrun(spec)
.materialize()`` per job for specs built beforehand (``floor.backend_dryrun_ms_per_job``).
N is 1,000 (200 with ``--quick``).
"""

import contextlib
import io
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import nemo_run
from nr_exec import BackendContext, backend_for
from nr_exec.slurm import SlurmBackend
from nr_tunnel import SSHTunnel
from slurm_testbed import partition, tunnel_settings

PATH = f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin"


def _executor() -> nemo_run.SlurmExecutor:
    return nemo_run.SlurmExecutor(
        tunnel=SSHTunnel(**tunnel_settings("nr-slurm-bench-dryrun")),
        partition=partition(),
        time="00:02:00",
        packager=nemo_run.Packager(),
        env_vars={"PATH": PATH},
    )


def _experiment_figures(count: int, home: str) -> dict[str, float]:
    tasks = [nemo_run.Script(inline=f"echo {i}") for i in range(count)]
    with nemo_run.Experiment("bench-dryrun", executor=_executor(), base_dir=home) as exp:
        started = time.perf_counter()
        for i, task in enumerate(tasks):
            exp.add(task, name=f"t{i}")
        added = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            artifacts = exp.dryrun()
        done = time.perf_counter()
    assert len(artifacts) == count, len(artifacts)
    return {
        "add_ms_per_job": round((added - started) * 1000 / count, 3),
        "dryrun_ms_per_job": round((done - added) * 1000 / count, 3),
        "ms_per_job": round((done - started) * 1000 / count, 3),
    }


def _backend_floor(count: int, home: str) -> float:
    executor = _executor()
    backend = backend_for(executor, context=BackendContext.default(home))
    assert isinstance(backend, SlurmBackend)
    specs = [
        executor.to_job_spec(nemo_run.Script(inline=f"echo {i}"), name="t") for i in range(count)
    ]
    started = time.perf_counter()
    for spec in specs:
        backend.dryrun(spec).materialize()
    return round((time.perf_counter() - started) * 1000 / count, 3)


def run_benchmark(count: int) -> dict[str, Any]:
    """The figures for ``count`` jobs, in a temporary home."""
    with tempfile.TemporaryDirectory(prefix="nr-bench-dryrun-") as home:
        figures: dict[str, Any] = {"jobs": count, **_experiment_figures(count, home)}
        figures["floor"] = {"backend_dryrun_ms_per_job": _backend_floor(count, home)}
    figures["target_ms_per_job"] = 1.0
    return figures


def run(quick: bool) -> dict[str, Any]:
    return run_benchmark(200 if quick else 1000)
