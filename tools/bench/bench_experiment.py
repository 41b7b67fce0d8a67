"""Experiments end to end: hello world, a 100-job local experiment, status and catalog.

* ``hello_world_s``: ``examples/hello_world.py``'s experiment (a Partial, then an inline Script
  depending on it) measured inside the process, and the whole process (``process_s``).
* ``jobs_100_s``: add and run 100 inline scripts on the local executor, waiting for all.
* ``status_100_fresh_s``: ``Experiment.from_id(id).status(return_dict=True)`` of that
  experiment in a fresh interpreter (interpreter start included); ``inner_s`` inside it.
* ``catalog_1000_fresh_s``: ``Experiment.catalog()`` over 1,000 experiments (200 with
  ``--quick``) in a fresh interpreter; ``inner_s`` inside it.

Targets: hello world <= 0.5 s, 100 jobs <= 5 s, status and catalog <= 0.2 s.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

HELLO = """
import time, runpy, sys, io, contextlib
t = time.perf_counter()
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    runpy.run_path(sys.argv[1], run_name="__main__")
print(time.perf_counter() - t)
"""
HUNDRED = """
import time
import nemo_run as run
t = time.perf_counter()
with run.Experiment("bench100", clean_mode=True) as exp:
    for i in range(100):
        exp.add(run.Script(inline="true"), name=f"j{i}")
    exp.run()
assert all(job.state == "SUCCEEDED" for job in exp.jobs)
print(time.perf_counter() - t, exp.id)
"""
STATUS = """
import sys, time
t = time.perf_counter()
from nr_experiment import Experiment
rows = Experiment.from_id(sys.argv[1]).status(return_dict=True)
assert len(rows) == 100
print(time.perf_counter() - t)
"""
CATALOG = """
import time
t = time.perf_counter()
from nr_experiment import Experiment
ids = Experiment.catalog()
print(time.perf_counter() - t, len(ids))
"""


def _py(code: str, *args: str, env: dict[str, str]) -> tuple[float, list[str]]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True, env=env
    )
    return time.perf_counter() - started, done.stdout.split()


def run(quick: bool) -> dict[str, object]:
    """Run the benchmarks in a temporary NEMORUN_HOME and return the timings (seconds)."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "NEMORUN_HOME": tmp}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        hello = [_py(HELLO, str(ROOT / "examples" / "hello_world.py"), env=env) for _ in range(3)]
        wall, (inner, eid) = _py(HUNDRED, env=env)
        status = [_py(STATUS, eid, env=env) for _ in range(3)]
        from nr_experiment.store import Store

        store = Store(Path(tmp))
        for i in range(200 if quick else 1000):
            store.create_experiment(f"catalog-{i % 10}", {"jobs": []})
        catalog = [_py(CATALOG, env=env) for _ in range(3)]
    return {
        "hello_world_s": min(float(out[0]) for _, out in hello),
        "hello_world_process_s": min(w for w, _ in hello),
        "jobs_100_s": float(inner),
        "jobs_100_process_s": wall,
        "status_100_fresh_s": min(w for w, _ in status),
        "status_100_inner_s": min(float(out[0]) for _, out in status),
        "catalog_experiments": int(catalog[0][1][1]),
        "catalog_fresh_s": min(w for w, _ in catalog),
        "catalog_inner_s": min(float(out[0]) for _, out in catalog),
        "targets_s": {"hello_world": 0.5, "jobs_100": 5.0, "status": 0.2, "catalog": 0.2},
    }


if __name__ == "__main__":
    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
