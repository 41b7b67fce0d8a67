"""Peak RSS of the launcher of a 1,000-job local Partial experiment (target <= 100 MB).

The launcher (see :mod:`sweeps`) adds and runs the jobs in a fresh interpreter and reads its
own ``VmHWM`` at the end: ``launcher_peak_rss_mb``. Floors, in the same run (``VmHWM`` read
inside the process): a bare interpreter (``python -c pass``) and one that imports the façade
(``python -c "import nemo_run"``). ``--quick`` runs 50 jobs.
"""

from typing import Any

import floors
import sweeps


def run(quick: bool) -> dict[str, Any]:
    count = 50 if quick else 1000
    with floors.workspace() as ws:
        bare = floors.peak_rss_mb("pass", ws)
        facade = floors.peak_rss_mb("import nemo_run", ws)
        report = sweeps.local_experiment("partial", count, ws)
    return {
        "jobs": count,
        "succeeded": report["succeeded"],
        "launcher_peak_rss_mb": report["launcher_peak_rss_mb"],
        "floor": {"bare_interpreter_rss_mb": bare, "import_nemo_run_rss_mb": facade},
        "target_launcher_peak_rss_mb": 100.0,
    }
