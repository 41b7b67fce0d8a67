"""The columns of the ``list`` and ``status`` tables, with the order they give up room in.

In a terminal narrower than a table (see `nr_cli.table`), columns are shortened, then dropped,
least important first:

* ``status``: ``MESSAGE`` (failure messages the table cannot show whole are printed in full
  under it, wrapped between words), then ``RETRIES``, then ``EXECUTOR``, then ``HANDLE``, then
  ``REASON``, then ``EXIT``. ``JOB`` and ``STATUS`` always stay; ``JOB`` names and handles are
  shortened in the middle, executors and messages at the end. ``DIR`` (the job's local
  directory) is shown with ``-o wide`` and when piped.
* ``list``: ``CREATED``, then ``JOBS``; ``ID`` stays whole, ``STATES`` is shortened at the end.
"""

from __future__ import annotations

from nr_cli.table import Column, Shorten

__all__ = ["LIST_COLUMNS", "STATUS_COLUMNS"]

STATUS_COLUMNS = (
    Column("JOB", shorten=Shorten.MIDDLE, min_width=16),
    Column("STATUS"),
    Column("REASON", priority=6),
    Column("RETRIES", priority=2),
    Column("EXIT", priority=7),
    Column("EXECUTOR", priority=3, shorten=Shorten.END, min_width=14),
    Column("HANDLE", priority=5, shorten=Shorten.MIDDLE, min_width=28),
    Column("DIR", wide_only=True),
    Column("MESSAGE", priority=1, shorten=Shorten.END, min_width=12),
)
"""``status`` columns (cells: id, status, reason, retries, exit code, executor, handle, local
directory, message). ``MESSAGE`` is last: free text, the column read least by programs."""

LIST_COLUMNS = (
    Column("ID"),
    Column("CREATED", priority=3),
    Column("JOBS", priority=4),
    Column("STATES", shorten=Shorten.END, min_width=12),
)
"""``list`` columns (cells: id, creation time, number of jobs, ``STATE:count`` pairs)."""
