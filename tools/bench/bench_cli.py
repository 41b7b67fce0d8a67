"""CLI: ``nemorun --help`` and ``nemorun experiment list`` over 1,000 experiments, fresh processes.

The store is created through the store API in a temporary NEMORUN_HOME (200 experiments with
--quick). Each figure is the wall time of a whole subprocess (interpreter start included); the
target is at most 300 ms each. Children run with bytecode caching enabled.
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from nr_experiment.store import Store

APP = "from nr_cli.app import main; main()"


def _time(home: Path, *args: str, repeat: int) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["NEMORUN_HOME"] = str(home)
    samples = []
    for _ in range(repeat + 1):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", APP, *args], check=True, capture_output=True, env=env)
        samples.append(time.perf_counter() - started)
    samples = samples[1:]  # the first run warms the bytecode cache
    return {"median_ms": statistics.median(samples) * 1e3, "max_ms": max(samples) * 1e3}


def run(quick: bool) -> dict:
    count = 200 if quick else 1000
    repeat = 3 if quick else 10
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        store = Store(home)
        for index in range(count):
            ref = store.create_experiment(f"bench{index % 10}")
            store.write_job(ref.id, store.add_job_dir(ref.id, "job").name, {"kind": "job"})
        store.rebuild_catalog()
        return {
            "experiments": count,
            "target_ms": 300,
            "help": _time(home, "--help", repeat=repeat),
            "experiment_list": _time(home, "experiment", "list", repeat=repeat),
            "experiment_list_json": _time(home, "experiment", "list", "--json", repeat=repeat),
        }
