"""Live progress of a run: the experiment id at once, then each job's changes as they happen.

A launch is never silent: :meth:`Progress.start` prints the experiment id before anything is
packaged or submitted, and :meth:`Progress.update` (after each submit step and each poll of
an attached run) prints one line per change of a job's state, handle or message, such as
``  train  SUBMITTED  slurm://cluster/1234`` (a handle is shown when it is new) or
``  train  PENDING: Resources``. A run of more
than :data:`PER_JOB_LIMIT` jobs prints the counts by state instead, when they change and at
most once a second. Lines go to stderr, like the rest of :mod:`nr_experiment.console`.
"""

import time
from collections import Counter
from collections.abc import Callable, Sequence

from nr_experiment.job import BaseJob

__all__ = ["PER_JOB_LIMIT", "Progress"]

#: Runs of up to this many jobs get one line per change; larger ones get counts by state.
PER_JOB_LIMIT = 20
_COUNTS_INTERVAL = 1.0


def _describe(job: BaseJob) -> str:
    """What a line about ``job`` says: its state, reason, exit code and message."""
    text = job.state.value
    if job.reason is not None:
        text = f"{text} ({job.reason.value})"
    if job.message:
        text = f"{text}: {job.message}"
    if job.is_terminal and job.exit_code is not None:
        text = f"{text}  exit {job.exit_code}"
    return text


class Progress:
    """Prints what changed since the last call (see the module documentation).

    Args:
        experiment_id: The experiment.
        say: Where lines go (one call per line).
    """

    def __init__(self, experiment_id: str, say: Callable[[str], None]) -> None:
        self.experiment_id = experiment_id
        self.say = say
        self._seen: dict[str, tuple[str, str]] = {}
        self._counts: dict[str, int] = {}
        self._counted_at = 0.0

    def start(self, jobs: Sequence[BaseJob]) -> None:
        """Announce the launch of ``jobs``."""
        plural = "" if len(jobs) == 1 else "s"
        self.say(f"Experiment {self.experiment_id}: launching {len(jobs)} job{plural}")

    def update(self, jobs: Sequence[BaseJob], *, final: bool = False) -> None:
        """Print the changes of ``jobs`` since the last update.

        Args:
            jobs: The experiment's jobs.
            final: Print the counts even if printed less than a second ago (the last update).
        """
        if len(jobs) > PER_JOB_LIMIT:
            self._update_counts(jobs, final=final)
            return
        for job in jobs:
            if not job.launched and not job.is_terminal:
                continue
            now = (_describe(job), job.handle)
            before = self._seen.get(job.id)
            if before != now:
                self._seen[job.id] = now
                new_handle = job.handle if before is None or before[1] != job.handle else ""
                self.say(f"  {job.id}  {now[0]}" + (f"  {new_handle}" if new_handle else ""))

    def _update_counts(self, jobs: Sequence[BaseJob], *, final: bool) -> None:
        counts = dict(sorted(Counter(job.state.value for job in jobs).items()))
        now = time.monotonic()
        if counts == self._counts or (not final and now - self._counted_at < _COUNTS_INTERVAL):
            return
        self._counts, self._counted_at = counts, now
        summary = ", ".join(f"{count} {state}" for state, count in counts.items())
        self.say(f"  {len(jobs)} jobs: {summary}")
