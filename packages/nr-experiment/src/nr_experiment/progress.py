"""Live progress of a run: the experiment id at once, then each job's changes as they happen.

A launch is never silent: :meth:`Progress.start` prints the experiment id before anything is
packaged or submitted. Then, on stderr:

* **piped** (stderr is not a terminal): :meth:`Progress.update` (after each submit step and
  each poll of an attached run) prints one line per change of a job's state, handle or
  message, such as ``  train  SUBMITTED  slurm://cluster/1234`` (a handle is shown when it is
  new) or ``  train  PENDING: Resources`` (the scheduler's reason). A run of more than
  :data:`PER_JOB_LIMIT` jobs prints the counts by state instead, when they change and at most
  once a second.
* **on a terminal** (and with ``rich`` installed): a live table of the jobs (job, handle,
  state, reason), redrawn at most :data:`REFRESH_PER_SECOND` times a second and only when
  something changed, as tall as the terminal allows (see :mod:`nr_experiment.live`); it is
  erased when the run ends, and the run summary takes its place. A detached run
  (``run(detach=True)``) ends it when ``run()`` returns, leaving its last drawing (what was
  submitted, with the handles): the launching script's own output follows it, and the
  summary comes when the ``with`` block ends.

Long waits say what they wait for (as :class:`LaunchEvents`, called by the launcher):
packaging the code (``packaging code (git archive) ...``, then ``packaged 1.2 MB in 0.4 s``)
and sending jobs to a remote backend (``sending 2 jobs to slurm ...``, then ``sent 2 jobs to
slurm in 3.1 s``: the upload of scripts and code archives and the scheduler's submit).
"""

import importlib.util
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from nr_package import Packager

from nr_experiment.batch import Piece
from nr_experiment.code import code_dir
from nr_experiment.job import BaseJob

if TYPE_CHECKING:
    from nr_experiment.live import LiveView

__all__ = [
    "PER_JOB_LIMIT",
    "REFRESH_PER_SECOND",
    "LaunchEvents",
    "Progress",
    "describe",
    "detail",
    "live_possible",
]

#: Runs of up to this many jobs get one line per change when piped; larger ones get counts.
PER_JOB_LIMIT = 20
#: At most this many redraws a second of the live table.
REFRESH_PER_SECOND = 4
_COUNTS_INTERVAL = 1.0
#: The backend whose submit sends nothing anywhere (no wait worth a line).
_LOCAL_BACKEND = "local"
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def detail(job: BaseJob) -> str:
    """The job's message without what its state already says.

    A scheduler's message repeats its state (``PENDING: Resources``, or a bare ``COMPLETED``):
    the state's own prefix and a bare upper-case state word are left out, so ``Resources``
    remains (and nothing for the bare word).
    """
    message = " ".join(job.message.split())
    prefix = f"{job.state.value}: "
    if message.startswith(prefix):
        return message[len(prefix) :]
    if message.replace("_", "").isalpha() and message.isupper():
        return ""
    return message


def describe(job: BaseJob) -> str:
    """What a line about ``job`` says: its state, reason, detail and exit code."""
    text = job.state.value
    if job.reason is not None:
        text = f"{text} ({job.reason.value})"
    if message := detail(job):
        text = f"{text}: {message}"
    if job.is_terminal and job.exit_code is not None:
        text = f"{text}  exit {job.exit_code}"
    return text


def live_possible() -> bool:
    """Whether a live table can be drawn: stderr is a terminal (not a dumb one), rich is there."""
    try:
        terminal = sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False
    if not terminal or os.environ.get("TERM") == "dumb":
        return False
    return importlib.util.find_spec("rich") is not None


def _packager_name(packager: Packager) -> str:
    """``GitArchivePackager`` -> ``git archive``."""
    name = type(packager).__name__.removesuffix("Packager") or "packager"
    return _CAMEL.sub(" ", name).lower()


def _ships_code(packager: Packager) -> bool:
    return type(packager) is not Packager and not packager.symlink_from_remote_dir


def _size(count: int) -> str:
    size = float(count)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    raise AssertionError  # pragma: no cover - the loop returns at "GB"


class LaunchEvents:
    """What the launcher reports while a job's code is packaged and jobs are sent.

    This one reports nothing (``clean_mode``, a supervisor); :class:`Progress` says each wait.
    """

    def packaging(self, job: BaseJob) -> None:
        """The code of ``job`` is about to be packaged (``JobDriver.pin``)."""

    def packaged(self, job: BaseJob) -> None:
        """The code of ``job`` was packaged (its ``code`` records name the archives)."""

    def sending(self, backend: str, owners: Sequence[Sequence[Piece]]) -> None:
        """One batch is about to be submitted to ``backend`` (one piece list per request)."""

    def sent(self) -> None:
        """The batch announced by :meth:`sending` returned (submitted, or failed)."""


class _Wait:
    """One announced wait: what it is, since when, and what it did so far."""

    def __init__(self, kind: str, text: str) -> None:
        self.kind, self.text, self.started = kind, text, time.monotonic()
        self.ended: float | None = None
        self.archives: set[Path] = set()
        self.jobs = 0

    def elapsed(self) -> str:
        ended = time.monotonic() if self.ended is None else self.ended
        return f"{ended - self.started:.1f} s"


class Progress(LaunchEvents):
    """Prints what changed since the last call (see the module documentation).

    Args:
        experiment_id: The experiment.
        say: Where lines go (one call per line).
        live: Draw a live table (default: when :func:`live_possible`).
        keep: Leave the live table on the terminal when the run ends (when no summary follows).
    """

    def __init__(
        self,
        experiment_id: str,
        say: Callable[[str], None],
        *,
        live: bool | None = None,
        keep: bool = False,
    ) -> None:
        self.experiment_id = experiment_id
        self.say = say
        self.live = live_possible() if live is None else live
        self.keep = keep
        self._view: LiveView | None = None
        self._seen: dict[str, tuple[str, str]] = {}
        self._counts: dict[str, int] = {}
        self._counted_at = 0.0
        self._wait: _Wait | None = None

    def start(self, jobs: Sequence[BaseJob]) -> None:
        """Announce the launch of ``jobs`` (and start the live table on a terminal)."""
        plural = "" if len(jobs) == 1 else "s"
        self.say(f"Experiment {self.experiment_id}: launching {len(jobs)} job{plural}")
        if self.live:
            from nr_experiment.live import LiveView  # noqa: PLC0415 - imports rich

            self._view = LiveView(self.experiment_id, jobs, keep=self.keep)
            self._view.start()

    def update(self, jobs: Sequence[BaseJob], *, final: bool = False) -> None:
        """Show the changes of ``jobs`` since the last update.

        Args:
            jobs: The experiment's jobs.
            final: The last update: print the counts even if printed less than a second
                ago, and stop the live table.
        """
        self._end_wait()
        if self._view is not None:
            self._view.update(jobs, force=final)
            if final:
                self.close()
            return
        if self.live:
            return  # the live table was closed: the run summary says the rest
        if len(jobs) > PER_JOB_LIMIT:
            self._update_counts(jobs, final=final)
            return
        for job in jobs:
            if not job.launched and not job.is_terminal:
                continue
            now = (describe(job), job.handle)
            before = self._seen.get(job.id)
            if before != now:
                self._seen[job.id] = now
                new_handle = job.handle if before is None or before[1] != job.handle else ""
                self.say(f"  {job.id}  {now[0]}" + (f"  {new_handle}" if new_handle else ""))

    def detached(self, jobs: Sequence[BaseJob]) -> None:
        """The run returned without waiting for ``jobs``: show their last changes and stop.

        The live table stops, its last drawing left on the terminal.
        """
        if self._view is not None:
            self._view.keep = True
        self.update(jobs, final=True)

    def close(self) -> None:
        """Stop the live table (erased unless ``keep``); lines go on as before. Idempotent."""
        self._end_wait()
        if self._view is not None:
            view, self._view = self._view, None
            view.stop()

    # -- long waits -----------------------------------------------------------------------------

    def packaging(self, job: BaseJob) -> None:
        """Announce packaging (once for a run of packagings); nothing if nothing is shipped."""
        shipping = [e.packager for e in job.read_executors() if _ships_code(e.packager)]
        if not shipping or (self._wait is not None and self._wait.kind == "packaging"):
            return
        self._end_wait()
        names = ", ".join(sorted({_packager_name(packager) for packager in shipping}))
        self._begin(_Wait("packaging", f"packaging code ({names}) ..."))

    def packaged(self, job: BaseJob) -> None:
        """Count ``job``'s archives in the packaging announced (said when it ends)."""
        wait = self._wait
        if wait is None or wait.kind != "packaging":
            return
        archives = [
            r["archive"] for r in job.code or [] if isinstance(r, dict) and r.get("archive")
        ]
        wait.archives.update(code_dir(job.job_dir) / archive for archive in archives)
        wait.jobs += 1
        wait.ended = time.monotonic()

    def sending(self, backend: str, owners: Sequence[Sequence[Piece]]) -> None:
        """Announce a batch sent to a remote backend (nothing for the local one)."""
        self._end_wait()
        if backend == _LOCAL_BACKEND:
            return
        count = len({id(piece.job) for pieces in owners for piece in pieces})
        wait = _Wait("sending", f"sending {count} job{'' if count == 1 else 's'} to {backend}")
        wait.jobs = count
        self._begin(wait)

    def sent(self) -> None:
        """Say how long the batch took to send."""
        if self._wait is not None and self._wait.kind == "sending":
            self._end_wait()

    def _begin(self, wait: _Wait) -> None:
        self._wait = wait
        text = wait.text if wait.text.endswith("...") else f"{wait.text} ..."
        if self._view is not None:
            self._view.activity(text)
        else:
            self.say(f"  {text}")

    def _end_wait(self) -> None:
        wait, self._wait = self._wait, None
        if wait is None:
            return
        if wait.kind == "packaging":
            if not wait.jobs:
                return  # packaging failed: the error says why
            size = sum(path.stat().st_size for path in wait.archives if path.is_file())
            jobs = f" for {wait.jobs} jobs" if wait.jobs > 1 else ""
            line = f"packaged {_size(size)}{jobs} in {wait.elapsed()}"
        else:
            line = wait.text.replace("sending", "sent", 1) + f" in {wait.elapsed()}"
        if self._view is not None:
            self._view.activity("")
            self._view.print(f"  {line}")
        else:
            self.say(f"  {line}")

    def _update_counts(self, jobs: Sequence[BaseJob], *, final: bool) -> None:
        counts = dict(sorted(Counter(job.state.value for job in jobs).items()))
        now = time.monotonic()
        if counts == self._counts or (not final and now - self._counted_at < _COUNTS_INTERVAL):
            return
        self._counts, self._counted_at = counts, now
        summary = ", ".join(f"{count} {state}" for state, count in counts.items())
        self.say(f"  {len(jobs)} jobs: {summary}")
