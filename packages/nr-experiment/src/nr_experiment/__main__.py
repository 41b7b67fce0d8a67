"""``python -m nr_experiment rebuild-catalog [--home DIR]``: maintenance commands of the store."""

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from nr_experiment.store import Store

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run a store maintenance command; returns the exit code (1 if anything was skipped)."""
    parser = argparse.ArgumentParser(prog="python -m nr_experiment", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    rebuild = commands.add_parser(
        "rebuild-catalog", help="rebuild catalog.sqlite3 from the experiment files"
    )
    rebuild.add_argument("--home", type=Path, help="store root (default: $NEMORUN_HOME or ~/.run)")
    args = parser.parse_args(argv)
    report = Store(args.home).rebuild_catalog()
    print(f"indexed {report.experiments} experiments and {report.jobs} jobs")
    if report.corrupt_catalog is not None:
        print(f"the unreadable old catalog was moved to {report.corrupt_catalog}")
    for skipped in report.skipped:
        print(f"skipped {skipped.path}: {skipped.reason}", file=sys.stderr)
    return 1 if report.skipped else 0


if __name__ == "__main__":
    sys.exit(main())
