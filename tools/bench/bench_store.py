"""Experiment store: creation rate, catalog listing from a fresh process, rebuild, big experiment.

Builds a temporary NEMORUN_HOME with 1,000 experiments of 2 jobs each (200 with --quick), then:

* ``list_fresh``: ``Store().list_experiments()`` in a fresh interpreter. ``total_ms`` is the whole
  subprocess wall time (interpreter start included; the product goal for ``catalog`` is <= 200 ms);
  ``import_ms`` and ``query_ms`` are measured inside the child.
* ``rebuild``: ``rebuild_catalog()`` over every experiment, in this process.
* ``big_experiment_fresh``: ``load_experiment`` + ``jobs`` of a 100-job experiment in a fresh
  interpreter.

Children run with bytecode caching enabled (as an installed package would), whatever the caller's
``PYTHONDONTWRITEBYTECODE`` says.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from nr_experiment.store import Store

LIST_PROBE = """
import time, json, sys
t0 = time.perf_counter()
from nr_experiment.store import Store
t1 = time.perf_counter()
rows = Store().list_experiments()
t2 = time.perf_counter()
print(json.dumps([t1 - t0, t2 - t1, len(rows)]))
"""
BIG_PROBE = """
import time, json, sys
t0 = time.perf_counter()
from nr_experiment.store import Store
t1 = time.perf_counter()
store = Store()
store.load_experiment(sys.argv[1])
jobs = store.jobs(sys.argv[1])
t2 = time.perf_counter()
print(json.dumps([t1 - t0, t2 - t1, len(jobs)]))
"""


def _fresh(home: Path, probe: str, *args: str) -> tuple[float, float, float, int]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["NEMORUN_HOME"] = str(home)
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", probe, *args], check=True, capture_output=True, text=True, env=env
    ).stdout
    total = time.perf_counter() - started
    imported, queried, count = json.loads(out)
    return total, imported, queried, count


def _stats(samples: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in samples]
    return {"median_ms": round(statistics.median(ms), 2), "min_ms": round(min(ms), 2)}


def _fresh_stats(home: Path, repeats: int, probe: str, *args: str) -> dict[str, object]:
    _fresh(home, probe, *args)  # warm the page cache and the bytecode cache
    samples = [_fresh(home, probe, *args) for _ in range(repeats)]
    return {
        "total": _stats([s[0] for s in samples]),
        "import": _stats([s[1] for s in samples]),
        "query": _stats([s[2] for s in samples]),
        "rows": samples[-1][3],
        "repeats": repeats,
    }


def run(quick: bool) -> dict[str, object]:
    experiments = 200 if quick else 1000
    repeats = 3 if quick else 10
    with tempfile.TemporaryDirectory(prefix="nr-bench-store-") as tmp:
        home = Path(tmp) / "home"
        store = Store(home)
        started = time.perf_counter()
        for n in range(experiments):
            ref = store.create_experiment(f"bench{n % 10}", {"version": "bench", "n": n})
            for name in ("train", "eval"):
                store.write_job(ref.id, store.add_job_dir(ref.id, name).name, {"kind": "job"})
        created = time.perf_counter() - started

        listing = _fresh_stats(home, repeats, LIST_PROBE)
        rebuilds = []
        for _ in range(max(1, repeats // 3)):
            t = time.perf_counter()
            report = store.rebuild_catalog()
            rebuilds.append(time.perf_counter() - t)

        big = store.create_experiment("big", {"version": "bench"})
        for n in range(100):
            job = store.add_job_dir(big.id, "worker").name
            store.write_job(big.id, job, {"task": {"fn": "train", "rank": n}, "executor": {}})
        big_stats = _fresh_stats(home, repeats, BIG_PROBE, big.id)
    return {
        "experiments": experiments,
        "create_experiment_with_2_jobs_ms": round(created / experiments * 1000, 3),
        "list_fresh": listing,
        "rebuild": {**_stats(rebuilds), "experiments": report.experiments, "jobs": report.jobs},
        "big_experiment_fresh": big_stats,
    }
