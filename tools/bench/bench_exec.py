"""LocalExecutor costs: launch overhead per job, many trivial jobs, status of many handles.

* ``launch_overhead``: the same job (an inline ``true`` script, and a ``Partial``) run directly
  with ``subprocess.run`` versus submitted to the LocalBackend and awaited; the overhead is the
  difference of the medians (target: at most 5 ms). Both sides run the same argv in the same
  directory with the same environment (the exit-marker variable included, so the runner or
  wrapper writes ``exit.json`` on both) and the same stdio (no input, output appended to the
  job's log). ``overhead_paired_ms`` is the median of the differences of runs made one after
  the other, which load changing during the benchmark skews less; ``*_wait_timeout_*`` are the
  same with ``wait(..., timeout=...)``. The cost of the exit-marker wrapper itself (compared
  with running the bare command) is reported separately.
* ``jobs_<n>``: n trivial jobs submitted one after the other, then awaited.
* ``status_1000``: one ``status`` call over 1,000 handles of ended jobs, from a fresh backend.
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TASK = "def noop() -> None:\n    pass\n"


def _median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 3)


def _paired_ms(launched: list[float], direct: list[float]) -> float:
    return _median_ms([a - b for a, b in zip(launched, direct, strict=True)])


def _run_direct(task: Any, log: str, *, bare: bool = False) -> float:
    """Seconds to run a planned task (a ``LocalTask``) with ``subprocess.run``, set up as the
    LocalBackend does.

    With ``bare``, the command inside the exit-marker wrapper is run instead.
    """
    argv = list(task.argv[4:] if bare else task.argv)
    with Path(log).open("ab") as output:
        started = time.perf_counter()
        subprocess.run(
            argv,
            cwd=task.cwd,
            env={**os.environ, **task.env},
            check=True,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        return time.perf_counter() - started


def _launch_overhead(repeats: int) -> dict[str, object]:
    import nr_config
    import nrx_bench_task
    from nr_exec import JobState, LocalBackend, LocalExecutor, make_job_spec

    backend = LocalBackend()
    results: dict[str, object] = {}
    tasks = {
        "script": nr_config.Script(inline="true"),
        "partial": nr_config.Partial(nrx_bench_task.noop),
    }
    for kind, task in tasks.items():
        direct, launched, launched_timeout, bare = [], [], [], []
        for _ in range(repeats):
            for samples, timeout in ((launched, None), (launched_timeout, 60.0)):
                request = backend.dryrun(make_job_spec(task, LocalExecutor()))
                started = time.perf_counter()
                handle = backend.submit(request)
                status = backend.wait([handle], timeout=timeout)[handle]
                samples.append(time.perf_counter() - started)
                assert status.state is JobState.SUCCEEDED, status
            # The last job's files exist now; run its command again, as the backend does.
            planned, log = request.plan.tasks[0], request.plan.log
            direct.append(_run_direct(planned, log))
            if kind == "script":
                bare.append(_run_direct(planned, log, bare=True))
        results[kind] = {
            "direct_median_ms": _median_ms(direct),
            "local_backend_median_ms": _median_ms(launched),
            "overhead_ms": round(_median_ms(launched) - _median_ms(direct), 3),
            "overhead_paired_ms": _paired_ms(launched, direct),
            "local_backend_wait_timeout_median_ms": _median_ms(launched_timeout),
            "overhead_wait_timeout_ms": round(_median_ms(launched_timeout) - _median_ms(direct), 3),
            "overhead_wait_timeout_paired_ms": _paired_ms(launched_timeout, direct),
            "repeats": repeats,
        }
        if bare:
            results[kind]["exit_marker_wrapper_ms"] = round(
                _median_ms(direct) - _median_ms(bare), 3
            )  # type: ignore[index]
    return results


def _many_jobs(count: int) -> tuple[dict[str, object], list[object]]:
    import nr_config
    from nr_exec import JobState, LocalBackend, LocalExecutor, make_job_spec

    backend = LocalBackend()
    executor = LocalExecutor()
    task = nr_config.Script(inline="true")
    started = time.perf_counter()
    handles = [backend.submit(backend.dryrun(make_job_spec(task, executor))) for _ in range(count)]
    submitted = time.perf_counter() - started
    statuses = backend.wait(handles)
    total = time.perf_counter() - started
    assert all(s.state is JobState.SUCCEEDED for s in statuses.values())
    return {
        "jobs": count,
        "submit_total_s": round(submitted, 3),
        "submit_per_job_ms": round(submitted / count * 1000, 3),
        "submit_and_wait_total_s": round(total, 3),
        "per_job_ms": round(total / count * 1000, 3),
    }, handles


def _status(handles: list[object]) -> dict[str, object]:
    from nr_exec import LocalBackend

    backend = LocalBackend()
    samples = []
    for _ in range(3):
        started = time.perf_counter()
        backend.status(handles)  # type: ignore[arg-type]
        samples.append(time.perf_counter() - started)
    return {"handles": len(handles), "one_call_median_ms": _median_ms(samples)}


def run(quick: bool) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        old_home, old_cwd = os.environ.get("NEMORUN_HOME"), Path.cwd()
        os.environ["NEMORUN_HOME"] = str(Path(tmp) / "home")
        (Path(tmp) / "nrx_bench_task.py").write_text(TASK)
        os.chdir(tmp)
        sys.path.insert(0, tmp)
        try:
            results: dict[str, object] = {"launch_overhead": _launch_overhead(10 if quick else 50)}
            results["jobs_100"], _ = _many_jobs(100)
            results["jobs_1000"], handles = _many_jobs(200 if quick else 1000)
            results["status_1000"] = _status(handles)
        finally:
            sys.path.remove(tmp)
            os.chdir(old_cwd)
            if old_home is None:
                os.environ.pop("NEMORUN_HOME", None)
            else:
                os.environ["NEMORUN_HOME"] = old_home
        return results
