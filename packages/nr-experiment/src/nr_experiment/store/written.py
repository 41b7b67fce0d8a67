"""The ``job.json`` files a store wrote itself, so that it need not read them back.

A launcher rewrites each job's file several times (intent, handle, end state), each time under
the experiment's lock, from the file's current content. When the file is still the one this
store wrote (same :func:`~nr_experiment.store.summaries.file_identity`: inode, mtime, size),
its content is taken from here instead of being read again; a file written since by anyone
else has another identity and is read.

The memory it takes is bounded: a job that ended is forgotten (its file is seldom written
again), and only the :data:`KEPT` files written last are kept (a launcher rewrites a job's
file within one submit step or poll of the last write; one it forgot is read again, which
costs a read, not a wrong answer).
"""

import threading
from collections import OrderedDict
from typing import Any, NamedTuple

from nr_experiment.store.records import JobRecord
from nr_experiment.store.summaries import file_identity

__all__ = ["KEPT", "Current", "WrittenJobs"]

#: How many files are kept at most (the ones written last): their records, ~13 KB each for a
#: typical Slurm job, ~130 MB at most. A submit step updates each job of a sweep twice
#: (intent, then handle): keeping fewer files than it has jobs reads most of them again.
KEPT = 10_240


class _Written(NamedTuple):
    identity: str
    record: JobRecord


class Current(NamedTuple):
    """A file's record as this store wrote it last.

    Attributes:
        record: The record.
        content: A shallow copy of its content: its keys may be set or removed, its
            values (shared with ``record``) must not be changed in place.
        identity: The file's identity (the version written).
    """

    record: JobRecord
    content: dict[str, Any]
    identity: str


class WrittenJobs:
    """What this store last wrote to each ``job.json``: its identity and record.

    The records are kept as they are, not copied: no one changes a record's content in place
    (updates work on shallow copies and replace top-level values).

    Args:
        kept: How many files to keep at most (the ones written last).
    """

    def __init__(self, kept: int = KEPT) -> None:
        self._lock = threading.Lock()
        self._kept = kept
        self._files: OrderedDict[str, _Written] = OrderedDict()

    def __len__(self) -> int:
        return len(self._files)

    def __contains__(self, file: object) -> bool:
        """Whether this store remembers writing ``file`` (it may have been replaced since)."""
        return file in self._files

    def remember(self, file: str, identity: str, record: JobRecord) -> None:
        """Note that ``file`` now holds ``record``, with ``identity``.

        ``record`` may be the file's content with journal overlays laid over it
        (:mod:`nr_experiment.store.journal`): what a reader of the file and its journals reads.

        A job that ended is forgotten instead; beyond :data:`KEPT` files the one written
        longest ago is.
        """
        with self._lock:
            self._files.pop(file, None)
            if record.state.is_terminal:
                return
            self._files[file] = _Written(identity, record)
            if len(self._files) > self._kept:
                self._files.popitem(last=False)

    def current(self, file: str) -> Current | None:
        """The file's record and a copy of its content, if it is still what was written.

        Returns:
            The record and a shallow copy of its content, or None when this store did not
            write the file, forgot it, or it was replaced since (read it then).
        """
        with self._lock:
            written = self._files.get(file)
        if written is None:
            return None
        try:
            if file_identity(file) != written.identity:
                return None
        except FileNotFoundError:
            return None
        return Current(written.record, dict(written.record.raw), written.identity)

    def forget_under(self, directory: str) -> None:
        """Drop every file below ``directory`` (an experiment that was deleted)."""
        prefix = directory.rstrip("/") + "/"
        with self._lock:
            for file in [f for f in self._files if f.startswith(prefix)]:
                del self._files[file]
