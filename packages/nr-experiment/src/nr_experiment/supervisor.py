"""The detached experiment supervisor: ``python -m nr_experiment.supervisor --home H <id>``.

Started by ``Experiment.run(detach=True)`` or ``resume(detach=True)`` (or when a launcher
leaves early) when some jobs wait for parents on a backend without native dependencies. It
reconstructs the experiment from the store, submits each waiting job once its parents
succeeded (or records it ``CANCELLED`` when a parent did not), and exits when nothing is
left to submit. ``--resume`` names jobs whose earlier submit was never received and that it
may submit again. Its output goes to ``supervisor.log`` in the experiment directory.
"""

import argparse
import os
import sys
from collections.abc import Sequence

from nr_experiment.experiment import Experiment, release_driver
from nr_experiment.store import write_json_atomic

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Drive the experiment's waiting jobs until all are submitted; return 0."""
    parser = argparse.ArgumentParser(prog="python -m nr_experiment.supervisor")
    parser.add_argument("--home", required=True, help="the store root")
    parser.add_argument(
        "--resume", nargs="*", default=[], metavar="JOB", help="never-received jobs to resubmit"
    )
    parser.add_argument("experiment_id")
    args = parser.parse_args(argv)
    exp = Experiment.from_id(args.experiment_id, base_dir=args.home)
    write_json_atomic(
        exp.path / "supervisor.json", {"pid": os.getpid(), "host": os.uname().nodename}
    )
    driver = exp._driver()
    driver.resumable = set(args.resume)
    try:
        driver.wait(detach=True, until_submitted=True)
    finally:
        driver.close()
    exp.store.update_experiment(exp.id, release_driver)
    print(f"supervisor: every job of {exp.id} is submitted or settled", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
