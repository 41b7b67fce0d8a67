"""LocalExecutor costs: launch overhead per job, many trivial jobs, status of many handles.

* ``launch_overhead``: the same job (an inline ``true`` script, and a ``Partial``) run directly
  with ``subprocess.run`` versus submitted to the LocalBackend and awaited; the overhead is the
  difference of the medians (target: at most 5 ms). The cost of the exit-marker wrapper itself
  (compared with running the bare command) is reported separately.
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

TASK = "def noop() -> None:\n    pass\n"


def _median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 3)


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
        direct, launched, bare = [], [], []
        for _ in range(repeats):
            spec = make_job_spec(task, LocalExecutor())
            request = backend.dryrun(spec)
            started = time.perf_counter()
            handle = backend.submit(request)
            status = backend.wait([handle])[handle]
            launched.append(time.perf_counter() - started)
            assert status.state is JobState.SUCCEEDED, status
            env = {**os.environ, **request.plan["tasks"][0]["env"]}
            started = time.perf_counter()
            subprocess.run(spec.argv, env=env, check=True, stdout=subprocess.DEVNULL)
            direct.append(time.perf_counter() - started)
            if kind == "script":
                started = time.perf_counter()
                subprocess.run(spec.argv[4:], env=env, check=True)
                bare.append(time.perf_counter() - started)
        results[kind] = {
            "direct_median_ms": _median_ms(direct),
            "local_backend_median_ms": _median_ms(launched),
            "overhead_ms": round(_median_ms(launched) - _median_ms(direct), 3),
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
