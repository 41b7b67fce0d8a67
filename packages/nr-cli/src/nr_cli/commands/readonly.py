"""Read commands on a read-only ``NEMORUN_HOME``: live states shown, nothing recorded.

Asking backends for states records what changed (a job that ended, a submit in doubt
resolved) in ``job.json`` and the catalog. Where the home cannot be written (a shared or
archived store) ``status``, ``wait`` and ``logs`` still show the live states: the store of the
experiment they load drops those writes, and one ``warning:`` line says so.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from nr_experiment.store import Store

__all__ = ["drop_state_writes"]

_WARNING = "warning: NEMORUN_HOME {home} is read-only: showing live states without recording them"


class _Dropped:
    """Replacements of a `Store`'s state writes that write nothing (one warning in all)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.warned = False

    def _warn(self) -> None:
        if not self.warned:
            self.warned = True
            print(_WARNING.format(home=self.store.home), file=sys.stderr)

    def write_job(self, experiment_id: str, job_id: str, data: Any) -> Any:
        """Drop a ``job.json`` write; the record stays as it is."""
        del data
        self._warn()
        return self.store.load_job(experiment_id, job_id)

    def write_jobs(self, experiment_id: str, contents: Any) -> list[Any]:
        """Drop the writes of many jobs (a poll's ended jobs); the records stay as they are."""
        if contents:
            self._warn()
        return [self.store.load_job(experiment_id, job_id) for job_id, _ in contents]

    def record_submitted(self, experiment_id: str, job_id: str, *args: Any, **kwargs: Any) -> Any:
        """Drop a handle's write (a submit in doubt found on its backend)."""
        del args, kwargs
        self._warn()
        return self.store.load_job(experiment_id, job_id)

    def update_states(self, states: Any) -> int:
        """Drop a catalog state update."""
        del states
        self._warn()
        return 0


def drop_state_writes(experiment: Any) -> None:
    """On a read-only ``NEMORUN_HOME``, make `experiment` record no state it learns.

    Args:
        experiment: An `Experiment` loaded for a read command (its ``store`` is changed).
    """
    store = experiment.store
    if not store.home.is_dir() or os.access(store.home, os.W_OK):
        return
    dropped = _Dropped(store)
    for name in ("write_job", "write_jobs", "record_submitted", "update_states"):
        setattr(store, name, getattr(dropped, name))
