"""``nemorun experiment logs``: one job's output, or every job's with ``name | `` prefixes.

`Experiment.logs` writes to ``sys.stdout``; to prefix and interleave the jobs, each job is read
in its own thread and ``sys.stdout`` is replaced by a writer that knows which thread writes.
``--follow`` on a job not submitted yet (pending, or waiting for a dependency) waits until it
has a handle, then follows it. ``--since`` keeps the newer output (see `nr_cli.commands.since`
for what "newer" can mean without per-line times); ``--json`` prints JSON Lines.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TextIO

from nr_experiment.errors import UnknownJobError
from nr_experiment.store import Store

from nr_cli.commands.common import job_ref, load_experiment
from nr_cli.commands.since import LineFilter, last_change
from nr_cli.errors import CLIError
from nr_cli.output import EXIT_OK
from nr_cli.when import parse_since

__all__ = ["cmd_logs"]

_POLL_SECONDS = 1.0


class _Lines:
    """Collects what one thread writes, as whole lines."""

    def __init__(self) -> None:
        self.partial = ""
        self.lines: list[str] = []

    def write(self, text: str) -> list[str]:
        """Add `text`; return the lines it completed."""
        head, *rest = (self.partial + text).split("\n")
        if not rest:
            self.partial = head
            return []
        *done, self.partial = [head, *rest]
        return [line + "\n" for line in done]


class _Router:
    """A ``sys.stdout`` stand-in: each logging thread's lines go through its own sink."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.lock = threading.Lock()
        self.sinks: dict[int, tuple[_Lines, Any]] = {}

    def register(self, emit: Any) -> None:
        """Send the current thread's lines to ``emit(line)``."""
        self.sinks[threading.get_ident()] = (_Lines(), emit)

    def write(self, text: str) -> int:
        """Write `text` for the current thread (passed through for other threads)."""
        sink = self.sinks.get(threading.get_ident())
        if sink is None:
            with self.lock:
                return self.out.write(text)
        for line in sink[0].write(text):
            with self.lock:
                sink[1](line)
        return len(text)

    def close_thread(self) -> None:
        """Emit the current thread's unterminated last line."""
        sink = self.sinks.get(threading.get_ident())
        if sink is not None and sink[0].partial:
            with self.lock:
                sink[1](sink[0].partial + "\n")
            sink[0].partial = ""

    def flush(self) -> None:
        """Flush the real stdout."""
        with self.lock:
            self.out.flush()


@contextlib.contextmanager
def _routed() -> Iterator[_Router]:
    router = _Router(sys.stdout)
    sys.stdout = router
    try:
        yield router
    finally:
        sys.stdout = router.out


def _submitted(store: Store, experiment_id: str, job_id: str) -> Any:
    """Wait until the job has a handle or ended; return it (reloaded)."""
    while True:
        experiment = load_experiment(store, experiment_id, reading=True)
        experiment.status(return_dict=True)
        job = next(j for j in experiment.jobs if j.id == job_id)
        if job.handles or job.direct or job.state.is_terminal:
            return experiment
        time.sleep(_POLL_SECONDS)


class _Job:
    """Prints one job's output: prefixed (or as JSON), newer than ``--since``, cut, followed."""

    def __init__(
        self, store: Store, experiment: Any, job: Any, args: argparse.Namespace, prefix: str
    ) -> None:
        self.store = store
        self.experiment = experiment
        self.job = job
        self.args = args
        self.prefix = prefix

    def _printer(self, out: TextIO) -> Callable[[str], object]:
        if not self.args.json:
            return lambda line: out.write(self.prefix + line)
        job_id, name = self.job.id, self.job.name

        def as_json(line: str) -> None:
            data = {"job": job_id, "name": name, "line": line.removesuffix("\n")}
            out.write(json.dumps(data, separators=(",", ":")) + "\n")

        return as_json

    def _tail(self) -> int | None:
        """The lines to start from: ``--tail``, or none when the log is older than ``--since``."""
        since = self.args.since_time
        if since is not None:
            changed = last_change(self.job.job_dir)
            if changed is not None and changed < since:
                return 0
        tail: int | None = self.args.tail
        return tail

    def run(self, router: _Router) -> None:
        """Print the job's output through `router` (call it in the job's own thread)."""
        out = router.out
        tail = self._tail()
        printer = self._printer(out)
        since = self.args.since_time
        newer = None if since is None else LineFilter(since, printer)
        emit = printer if newer is None else newer
        if tail is None:
            router.register(emit)
        experiment = self.experiment
        if self.args.follow:
            experiment = _submitted(self.store, experiment.id, self.job.id)
        if tail == 0 and not self.args.follow:
            return
        if tail is not None:
            kept: collections.deque[str] = collections.deque(maxlen=max(tail, 0))
            count = self._count_lines(experiment, router, kept, newer)
            for line in kept:
                printer(line)
            if not self.args.follow:
                return
            router.register(_Skip(count, emit))
        try:
            experiment.logs(self.job.id, follow=self.args.follow, strict=True)
        finally:
            router.close_thread()

    def _count_lines(
        self,
        experiment: Any,
        router: _Router,
        kept: collections.deque[str],
        newer: LineFilter | None,
    ) -> int:
        """Read the output so far into `kept`; return how many lines it had.

        With ``--since`` only the newer lines reach `kept` (``--tail`` counts those), and
        `newer` goes on from the time of the last line read.
        """
        keep: Callable[[str], object] = kept.append
        if newer is not None:
            keep = LineFilter(newer.since, kept.append)
        counter = _Counter(keep)
        router.register(counter)
        experiment.logs(self.job.id, strict=True)
        router.close_thread()
        if newer is not None and isinstance(keep, LineFilter):
            newer.current = keep.current
        return counter.count


class _Counter:
    """Passes lines on, counting them."""

    def __init__(self, emit: Any) -> None:
        self.emit = emit
        self.count = 0

    def __call__(self, line: str) -> None:
        self.count += 1
        self.emit(line)


class _Skip:
    """Drops the first `count` lines (already printed), passes the others on."""

    def __init__(self, count: int, emit: Any) -> None:
        self.left = count
        self.emit = emit

    def __call__(self, line: str) -> None:
        if self.left > 0:
            self.left -= 1
        else:
            self.emit(line)


def _selected(experiment: Any, job: str | None) -> list[Any]:
    if job is None:
        return list(experiment.jobs)
    ref = job_ref(job)
    if isinstance(ref, int):
        if not 0 <= ref < len(experiment.jobs):
            raise UnknownJobError(ref, [j.id for j in experiment.jobs], "no job at index")
        return [experiment.jobs[ref]]
    for candidate in experiment.jobs:
        if ref in (candidate.id, candidate.name):
            return [candidate]
    raise UnknownJobError(ref, [j.id for j in experiment.jobs])


def cmd_logs(args: argparse.Namespace) -> int:
    """``experiment logs <id> [job] [--follow] [--tail N] [--since WHEN] [--no-prefix] [--json]``.

    With ``--json`` each line is a JSON object on a line of its own (JSON Lines):
    ``{"job": id, "name": name, "line": text}``.
    """
    if args.tail is not None and args.tail < 0:
        raise CLIError("--tail takes a number of lines, 0 or more", argument="--tail")
    args.since_time = None if args.since is None else parse_since(args.since, option="--since")
    store = Store()
    experiment = load_experiment(store, args.experiment, reading=True)
    jobs = _selected(experiment, args.job)
    prefixed = len(jobs) > 1 and not args.no_prefix
    width = max((len(j.name) for j in jobs), default=0)
    printers = [
        _Job(store, experiment, job, args, f"{job.name.ljust(width)} | " if prefixed else "")
        for job in jobs
    ]
    errors: list[BaseException] = []
    with _routed() as router:

        def work(printer: _Job) -> None:
            try:
                printer.run(router)
            except Exception as error:  # noqa: BLE001 - reported once all threads ended
                errors.append(error)

        if args.follow and len(printers) > 1:
            threads = [threading.Thread(target=work, args=(p,), daemon=True) for p in printers]
            for thread in threads:
                thread.start()
            for thread in threads:
                while thread.is_alive():
                    thread.join(0.2)
        else:
            for printer in printers:
                work(printer)
        router.flush()
    if errors:
        raise errors[0]
    return EXIT_OK
