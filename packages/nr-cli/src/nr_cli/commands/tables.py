"""The columns of the ``list`` table, with the order they give up room in.

In a terminal narrower than the table (see `nr_experiment.table`), ``CREATED`` is dropped,
then ``JOBS``; ``ID`` stays whole, ``STATES`` is shortened at the end. The ``status`` table is
the run summary an attached run prints (`nr_experiment.console.STATUS_COLUMNS`).
"""

from __future__ import annotations

from nr_experiment.table import Column, Shorten

__all__ = ["LIST_COLUMNS"]

LIST_COLUMNS = (
    Column("ID"),
    Column("CREATED", priority=3),
    Column("JOBS", priority=4),
    Column("STATES", shorten=Shorten.END, min_width=12),
)
"""``list`` columns (cells: id, creation time, number of jobs, ``STATE:count`` pairs)."""
