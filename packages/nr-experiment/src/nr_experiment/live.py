"""The live table of an attached run on a terminal (``rich.live.Live``), redrawn as jobs change.

Importing this module imports rich; :mod:`nr_experiment.progress` imports it only when a live
table starts (stderr is a terminal). The table is laid out by :mod:`nr_experiment.table` in
the terminal's width (columns ``JOB``, ``HANDLE``, ``STATE``, ``REASON``: ``REASON`` is cut,
then dropped, then ``HANDLE`` is shortened in the middle, then dropped), above a title with
the counts by state and a line saying what the launch waits for (packaging, sending). Rich
only draws it: there is no refresh thread; :meth:`LiveView.update` looks for changes (cheap
tuple comparisons) and redraws at most :data:`~nr_experiment.progress.REFRESH_PER_SECOND`
times a second, and only when something changed. A run of more jobs than the terminal has
lines shows the jobs that changed last, running ones first, and how many are not shown, so a
redraw costs the same whatever the number of jobs and changes.
"""

import atexit
import sys
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.text import Text

from nr_experiment.job import BaseJob
from nr_experiment.progress import REFRESH_PER_SECOND, detail
from nr_experiment.table import GAP, Column, Layout, Shorten, fit, shorten

__all__ = ["LIVE_COLUMNS", "LiveView"]

LIVE_COLUMNS = (
    Column("JOB", shorten=Shorten.MIDDLE, min_width=16),
    Column("HANDLE", priority=2, shorten=Shorten.MIDDLE, min_width=24),
    Column("STATE"),
    Column("REASON", priority=1, shorten=Shorten.END, min_width=12),
)
"""The live table's columns (cells: job id, handle, state, reason)."""

_STYLES = {
    "SUCCEEDED": "green",
    "FAILED": "bold red",
    "CANCELLED": "yellow",
    "UNKNOWN": "bold yellow",
    "RUNNING": "cyan",
    "PENDING": "magenta",
    "SUBMITTED": "blue",
    "UNSUBMITTED": "dim",
}
#: Lines the title, the header and the footer take.
_CHROME = 4


def _reason(job: BaseJob) -> str:
    """Why the job is where it is: its failure reason, the scheduler's word, a non-zero exit."""
    parts = [] if job.reason is None else [job.reason.value]
    if text := detail(job):
        parts.append(text)
    if job.is_terminal and job.exit_code not in {None, 0}:
        parts.append(f"exit {job.exit_code}")
    return ", ".join(parts)


class LiveView:
    """A live table of an experiment's jobs on stderr.

    Args:
        experiment_id: The experiment.
        jobs: Its jobs.
        keep: Leave the last drawing on the terminal when stopped (else it is erased).
    """

    def __init__(self, experiment_id: str, jobs: Sequence[BaseJob], *, keep: bool = False) -> None:
        self.experiment_id = experiment_id
        self.keep = keep
        self._jobs = list(jobs)
        self._last: dict[str, tuple[Any, ...]] = {}
        self._changed: dict[str, int] = {}
        self._changes = 0
        self._dirty = True
        self._drawn_at = 0.0
        self._activity = ""
        self._live: Live | None = None

    def start(self) -> None:
        """Start drawing (stdout and stderr written meanwhile appear above the table)."""
        console = Console(file=sys.stderr)
        self._live = Live(
            console=console, auto_refresh=False, transient=not self.keep, redirect_stdout=True,
            redirect_stderr=True, vertical_overflow="crop",
        )  # fmt: skip
        self._live.start()
        atexit.register(self.stop)
        self.update(self._jobs, force=True)

    def update(self, jobs: Sequence[BaseJob], *, force: bool = False) -> None:
        """Note what changed in ``jobs``; redraw if something did and the last redraw is old.

        Args:
            jobs: The experiment's jobs.
            force: Redraw now if anything changed (the last update).
        """
        self._jobs = list(jobs)
        for job in jobs:
            key = (job.state, job.reason, job.message, job.exit_code, job.handle)
            if self._last.get(job.id) != key:
                self._last[job.id] = key
                self._changes += 1
                self._changed[job.id] = self._changes
                self._dirty = True
        now = time.monotonic()
        if self._dirty and (force or now - self._drawn_at >= 1 / REFRESH_PER_SECOND):
            self._draw(now)

    def activity(self, text: str) -> None:
        """Show what the launch waits for under the table ("" for nothing); redraws now."""
        self._activity = text
        self._draw(time.monotonic())

    def print(self, line: str) -> None:
        """Print ``line`` above the table (it stays when the table is erased)."""
        if self._live is not None:
            self._live.console.print(Text(line), soft_wrap=True)

    def stop(self) -> None:
        """Stop drawing: the table is erased (unless ``keep``) and the cursor shown. Idempotent.

        ``keep`` is read now: it may have been set since :meth:`start`.
        """
        live, self._live = self._live, None
        if live is not None:
            atexit.unregister(self.stop)
            live.transient = not self.keep
            live.stop()

    # -- drawing --------------------------------------------------------------------------------

    def _shown(self, room: int) -> list[BaseJob]:
        """The jobs that fit in ``room`` lines: running ones, then those that changed last."""
        if len(self._jobs) <= room:
            return self._jobs
        order = {job.id: index for index, job in enumerate(self._jobs)}
        ranked = sorted(
            self._jobs, key=lambda job: (job.is_terminal, -self._changed.get(job.id, 0))
        )
        return sorted(ranked[:room], key=lambda job: order[job.id])

    def _draw(self, now: float) -> None:
        live = self._live
        if live is None:
            return
        self._dirty, self._drawn_at = False, now
        width, height = live.console.width, live.console.height
        shown = self._shown(max(height - _CHROME, 1))
        rows = [(job.id, job.handle, job.state.value, _reason(job)) for job in shown]
        table = fit(LIVE_COLUMNS, rows, layout=Layout.FIT, width=width)
        counts = Counter(job.state.value for job in self._jobs)
        summary = ", ".join(f"{count} {state}" for state, count in sorted(counts.items()))
        text = Text(no_wrap=True, overflow="crop")
        title = f"Experiment {self.experiment_id}: {summary}"
        text.append(shorten(title, width, Shorten.END), style="bold")
        text.append("\n")
        text.append(_joined(table.header, table.widths), style="bold")
        state_column = table.kept.index(2)
        for cells in table.rows:
            text.append("\n")
            for position, (cell, cell_width) in enumerate(zip(cells, table.widths, strict=True)):
                last = position == len(cells) - 1
                shown_cell = cell if last else cell.ljust(cell_width + GAP)
                style = _STYLES.get(cell, "") if position == state_column else ""
                text.append(shown_cell, style=style)
        hidden = len(self._jobs) - len(shown)
        footer = [f"... and {hidden} more jobs" if hidden else "", self._activity]
        if line := "  ".join(part for part in footer if part):
            text.append("\n")
            text.append(shorten(line, width, Shorten.END), style="italic")
        live.update(text, refresh=True)


def _joined(cells: Sequence[str], widths: Sequence[int]) -> str:
    return (" " * GAP).join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()
