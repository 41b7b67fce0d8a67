"""Import time of each package and of the nemo_run façade, in fresh interpreters.

Each sample starts a new interpreter and times only the import statement, so interpreter start-up
is excluded. Reported: median and minimum in milliseconds, and how many modules the import loaded
(a proxy for accidental heavy imports such as backend SDKs).
"""

import json
import statistics
import subprocess
import sys

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
    "d = time.perf_counter() - t; import json; "
    "print(json.dumps([d, len(set(sys.modules) - before)]))"
)


def sample(module: str) -> tuple[float, int]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(module=module)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    seconds, loaded = json.loads(out)
    return float(seconds), int(loaded)


def run(quick: bool) -> dict[str, object]:
    repeats = 3 if quick else 15
    results: dict[str, object] = {}
    for module in MODULES:
        sample(module)  # warm the file-system cache and the bytecode cache
        samples = [sample(module) for _ in range(repeats)]
        times = [s[0] * 1000 for s in samples]
        results[module] = {
            "median_ms": round(statistics.median(times), 2),
            "min_ms": round(min(times), 2),
            "modules_loaded": samples[-1][1],
            "repeats": repeats,
        }
    return results
