"""``exp.add`` of 1,000 local Partial jobs: the add calls alone, in total and per job.

A fresh launcher builds the 1,000 ``run.Partial`` tasks first, then times only the
``exp.add`` loop inside ``with run.Experiment(...)`` (no ``exp.run``): ``add_s``,
``add_ms_per_job`` and the launcher's CPU for it (``add_cpu_s``). There is no process floor
for ``add`` (it starts nothing); ``target_launcher_cpu_ms_per_job`` is the issue's bound on the
launcher's whole cost per job (add and run). ``--quick`` adds 100 jobs.
"""

from typing import Any

import floors
import sweeps


def run(quick: bool) -> dict[str, Any]:
    count = 100 if quick else 1000
    with floors.workspace() as ws:
        report = sweeps.local_experiment("partial", count, ws, launch=False)
    return {
        "jobs": count,
        "add_s": report["add_s"],
        "add_ms_per_job": report["add_ms_per_job"],
        "add_cpu_s": report["add_cpu_s"],
        "add_cpu_ms_per_job": round(report["add_cpu_s"] * 1000 / count, 3),
        "launcher_peak_rss_mb": report["launcher_peak_rss_mb"],
        "target_launcher_cpu_ms_per_job": 2.0,
    }
