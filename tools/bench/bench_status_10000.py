"""Status of a 10,000-job experiment from a new process (target <= 0.3 s).

The store is built once, honestly: one local experiment of 10,000 Script jobs (inline
``true``) added and run to the end by a fresh launcher (``build``: the :mod:`sweeps` figures of
that run). Then, each in a fresh interpreter (one warm-up, then medians of wall and CPU):

* ``api``: ``run.Experiment.from_id(id).status(return_dict=True)``;
* ``cli``: ``nemorun experiment status <id>`` (the table printed to /dev/null).

Floors in the same run: ``python -c pass`` and ``python -c "import nemo_run"``.
``--quick`` builds 300 jobs.
"""

import sys
from pathlib import Path
from typing import Any

import floors
import sweeps

API = """
import sys
import nemo_run as run
rows = run.Experiment.from_id(sys.argv[1]).status(return_dict=True)
assert len(rows) == int(sys.argv[2]), len(rows)
assert all(row["status"] == "SUCCEEDED" for row in rows.values())
"""


def run(quick: bool) -> dict[str, Any]:
    count = 300 if quick else 10_000
    repeats = 3 if quick else 5
    nemorun = str(Path(sys.executable).with_name("nemorun"))
    with floors.workspace() as ws:
        build = sweeps.local_experiment("script", count, ws)
        eid = build["experiment_id"]
        api = floors.process_floor([sys.executable, "-c", API, eid, str(count)], ws, repeats)
        cli = floors.process_floor([nemorun, "experiment", "status", eid], ws, repeats)
        bare = floors.process_floor(floors.bare_argv(), ws, repeats)
        facade = floors.process_floor([sys.executable, "-c", "import nemo_run"], ws, repeats)
    return {
        "jobs": count,
        "api": api,
        "cli": cli,
        "floor": {"bare_interpreter": bare, "import_nemo_run": facade},
        "target_wall_ms": 300.0,
        "build": {
            key: build[key]
            for key in ("succeeded", "add_s", "run_s", "launcher_cpu_s", "launcher_peak_rss_mb")
        },
    }
