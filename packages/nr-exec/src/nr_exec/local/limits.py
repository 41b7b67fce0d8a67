"""How many local jobs an attached run keeps running at once (``NEMORUN_LOCAL_MAX_RUNNING``).

An experiment that waits for its jobs (``Experiment.run()`` without ``detach``) starts at
most this many local jobs at a time and starts the next as one ends; a job group counts as
one job and its tasks always start together. Detached runs start every job at once: nothing
would be left to start the held-back jobs once the launcher has gone.

The default, 64, comes from the 1,000-Partial-job local sweep benchmark on 2 cores (shared,
load 11-14, so each figure is beside the floor measured in the same run): a bound of 16 took
2.6x the floor of 1,000 bare processes started at once, 64 took 1.5x, no bound 1.6x; with
64 the launcher also spent less CPU per job (8.4 ms, against 10.6 ms) and peaked lower
(35.5 MB RSS, against 39.6 MB). A small bound leaves the CPUs idle while the launcher starts
the next jobs; no bound lets a sweep of heavy jobs hold every interpreter in memory at once.
"""

import os

from nr_exec.constants import EnvVar

__all__ = ["DEFAULT_MAX_RUNNING", "MAX_RUNNING_ENV", "max_running"]

#: The variable that sets the bound: a positive integer, or ``0`` for no bound.
MAX_RUNNING_ENV = EnvVar.LOCAL_MAX_RUNNING.value

#: The bound when ``NEMORUN_LOCAL_MAX_RUNNING`` is not set.
DEFAULT_MAX_RUNNING = 64


def max_running() -> int | None:
    """The bound on running local jobs of an attached run; None for no bound.

    Raises:
        ValueError: ``NEMORUN_LOCAL_MAX_RUNNING`` is set but is not an integer >= 0.
    """
    text = os.environ.get(MAX_RUNNING_ENV, "").strip()
    if not text:
        return DEFAULT_MAX_RUNNING
    if not text.isdigit():
        raise ValueError(f"{MAX_RUNNING_ENV} must be an integer >= 0 (0: no bound), not {text!r}")
    return int(text) or None
