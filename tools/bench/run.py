"""Run the benchmark modules of tools/bench and print one JSON document on stdout.

Each module ``tools/bench/bench_<name>.py`` defines ``run(quick: bool) -> dict``. Usage::

    python tools/bench/run.py                 # every benchmark
    python tools/bench/run.py import          # only bench_import
    python tools/bench/run.py --quick         # fewer repetitions (a smoke run)

Modules without the ``bench_`` prefix (``floors.py``, ``sweeps.py``) are helpers the
benchmarks share. Progress goes to stderr, so stdout stays a single JSON document that can be piped.
"""

import argparse
import importlib.util
import json
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent
# The benchmark modules share helpers (floors.py, sweeps.py) that live beside them.
sys.path.insert(0, str(HERE))


def load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load benchmark module {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args(argv)
    available = {p.stem.removeprefix("bench_"): p for p in sorted(HERE.glob("bench_*.py"))}
    unknown = sorted(set(args.names) - set(available))
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; available: {sorted(available)}")
    results: dict[str, object] = {}
    for name in args.names or sorted(available):
        print(f"bench {name} ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        results[name] = load(available[name]).run(quick=args.quick)
        print(f"bench {name} done in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    document = {
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "quick": args.quick,
        "benchmarks": results,
    }
    json.dump(document, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
