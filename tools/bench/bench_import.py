"""Import time of each package, of the nemo_run façade and of ``nemorun --help``, with budgets.

Two figures per module, each from fresh interpreters with bytecode caching on:

* ``median_ms`` / ``min_ms``: only the import statement, timed inside the interpreter (so
  interpreter start-up is excluded: this is the cost *over bare Python*), with how many modules it
  loaded (a proxy for accidental heavy imports such as backend SDKs) and whether pydantic was
  among them;
* ``process``: wall and CPU medians of ``python -c "import <module>"`` as a whole process, and
  its CPU beyond ``floor.bare_interpreter`` (``python -c pass``, measured in the same run).

``nemorun_help`` is the whole ``nemorun --help`` process (``python -c "from nr_cli.app import
main; main()" --help``), beside the same floor. ``budgets`` (issue 16, item 6) compares
``import nemo_run`` (<= 20 ms), ``import nr_config`` (<= 40 ms) and ``nemorun --help`` (<= 60 ms
of CPU beyond the bare interpreter) with their budgets.
"""

import json
import statistics
import subprocess
import sys
from typing import Any

import floors

MODULES = [
    "nr_config",
    "nr_package",
    "nr_tunnel",
    "nr_exec",
    "nr_experiment",
    "nr_ray",
    "nr_cli",
    "nemo_run",
]
PROBE = (
    "import sys, time; before = set(sys.modules); t = time.perf_counter(); import {module}; "
    "d = time.perf_counter() - t; new = set(sys.modules) - before; import json; "
    "print(json.dumps([d, len(new), any(m.split('.')[0] == 'pydantic' for m in new)]))"
)
HELP_ARGV = [sys.executable, "-c", "from nr_cli.app import main; main()", "--help"]
#: Issue 16 item 6: milliseconds over bare Python.
BUDGETS_MS = {"nemo_run": 20.0, "nr_config": 40.0, "nemorun_help": 60.0}


def sample(module: str, ws: floors.Workspace) -> tuple[float, int, bool]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(module=module)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ws.root,
        env=ws.env,
    ).stdout
    seconds, loaded, pydantic = json.loads(out)
    return float(seconds), int(loaded), bool(pydantic)


def _over(figures: dict[str, float], bare: dict[str, float]) -> float:
    return round(figures["cpu_median_ms"] - bare["cpu_median_ms"], 3)


def run(quick: bool) -> dict[str, Any]:
    repeats = 3 if quick else 15
    results: dict[str, Any] = {}
    with floors.workspace() as ws:
        bare = floors.process_floor(floors.bare_argv(), ws, repeats)
        for module in MODULES:
            sample(module, ws)  # warm the file-system cache and the bytecode cache
            samples = [sample(module, ws) for _ in range(repeats)]
            times = [s[0] * 1000 for s in samples]
            process = floors.process_floor([sys.executable, "-c", f"import {module}"], ws, repeats)
            results[module] = {
                "median_ms": round(statistics.median(times), 2),
                "min_ms": round(min(times), 2),
                "modules_loaded": samples[-1][1],
                "pydantic_loaded": samples[-1][2],
                "repeats": repeats,
                "process": {**process, "cpu_over_bare_ms": _over(process, bare)},
            }
        help_figures = floors.process_floor(HELP_ARGV, ws, repeats)
    results["nemorun_help"] = {**help_figures, "cpu_over_bare_ms": _over(help_figures, bare)}
    results["floor"] = {"bare_interpreter": bare}
    measured = {
        "nemo_run": results["nemo_run"]["median_ms"],
        "nr_config": results["nr_config"]["median_ms"],
        "nemorun_help": results["nemorun_help"]["cpu_over_bare_ms"],
    }
    results["budgets"] = {
        name: {"budget_ms": budget, "measured_ms": measured[name], "met": measured[name] <= budget}
        for name, budget in BUDGETS_MS.items()
    }
    return results
