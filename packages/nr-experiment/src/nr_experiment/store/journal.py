"""Updates of many jobs written as one file: a launcher's submit step costs one write, not N.

A submit step records an intent, then a handle, for every job it submits. Written into each
``job.json`` that is two writes per job (10,000 for a 5,000-job array sweep); here the step
writes one *journal* file per record, ``<experiment>/.journal/<time ns>-<pid>.json``, holding
for each job the keys its ``job.json`` would have changed (an *overlay*) and the identity
(:func:`~nr_experiment.store.summaries.file_identity`) of the ``job.json`` it applies to.

A reader takes a job's ``job.json`` and lays over it, oldest first, each overlay made for that
very file: once anyone rewrites the file (every store write reads the job with its overlays
first, so it carries them on), the file's identity changes and the overlays made for the old
one no longer apply. No clock is compared. A journal whose overlays all lost their file is
deleted by the next writer that reads it.

The file is written like every store file (atomically, durably at the write group's flush), so
a process killed at any point leaves either the journal or no trace of that step; an intent
journal is durable before the backend is asked, as an intent in ``job.json`` is.
"""

import contextlib
import json
import os
import re
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple, overload

from nr_experiment.store.atomic import dumps_json
from nr_experiment.store.errors import CorruptMetadataError
from nr_experiment.store.summaries import file_identity
from nr_experiment.store.syncs import DEFERRED

__all__ = ["JOURNAL_DIR", "Found", "Journals", "Overlay", "apply_overlays", "diff", "lay_over"]

#: The directory of an experiment's journals (hidden: job scans skip it).
JOURNAL_DIR = ".journal"
#: The journal format written.
FORMAT = 1
#: A journal's file name: when it was written (ns, fixed width: names sort by time), by whom.
_NAME = re.compile(r"[0-9]{20}-[0-9]+\.json")
#: The key of an overlay listing the keys it removes.
_REMOVED = "$removed"


class Overlay(NamedTuple):
    """One job's changes in a journal.

    Attributes:
        file: The identity of the ``job.json`` the changes apply to.
        changes: The keys set (whole values); ``"$removed"`` lists keys removed.
    """

    file: str
    changes: Mapping[str, Any]


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """The overlay turning ``before`` into ``after`` (top-level keys, whole values)."""
    changes = {key: value for key, value in after.items() if before.get(key, _REMOVED) != value}
    removed = sorted(key for key in before if key not in after)
    if removed:
        changes[_REMOVED] = removed
    return changes


def lay_over(job: dict[str, Any], changes: Mapping[str, Any]) -> None:
    """Apply an overlay's changes to a job's content, in place."""
    for key in changes.get(_REMOVED, ()):
        job.pop(key, None)
    job.update((key, value) for key, value in changes.items() if key != _REMOVED)


class Found(Sequence[tuple[str, Mapping[str, Overlay]]]):
    """An experiment's journals as read, oldest first, with each job's overlays at hand.

    A sequence of ``(journal name, {job id: overlay})``; :meth:`of` gives one job's overlays
    without looking through every journal (a run of 10,000 jobs leaves hundreds).
    """

    def __init__(self, journals: Sequence[tuple[str, Mapping[str, Overlay]]] = ()) -> None:
        self._journals = list(journals)
        self._by_job: dict[str, list[tuple[str, Overlay]]] | None = None

    @overload
    def __getitem__(self, index: int) -> tuple[str, Mapping[str, Overlay]]: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[tuple[str, Mapping[str, Overlay]]]: ...

    def __getitem__(
        self, index: int | slice
    ) -> tuple[str, Mapping[str, Overlay]] | Sequence[tuple[str, Mapping[str, Overlay]]]:
        return self._journals[index]

    def __len__(self) -> int:
        return len(self._journals)

    def of(self, job_id: str) -> list[tuple[str, Overlay]]:
        """The overlays made for one job, oldest first, each with its journal's name."""
        if self._by_job is None:
            by_job: dict[str, list[tuple[str, Overlay]]] = {}
            for name, overlays in self._journals:
                for one, overlay in overlays.items():
                    by_job.setdefault(one, []).append((name, overlay))
            self._by_job = by_job
        return self._by_job.get(job_id, [])


def apply_overlays(found: Found, job_id: str, file: str, job: dict[str, Any]) -> str | None:
    """Lay every overlay made for ``file`` (a ``job.json`` identity) over ``job``, in place.

    Args:
        found: The experiment's journals, as :meth:`Journals.overlays` lists them.
        job_id: The job's id.
        file: The identity of the ``job.json`` whose content ``job`` is.
        job: That content.

    Returns:
        The name of the last journal applied, or None when none applied.
    """
    applied = None
    for name, overlay in found.of(job_id):
        if overlay.file == file:
            lay_over(job, overlay.changes)
            applied = name
    return applied


class _Parsed(NamedTuple):
    identity: str
    overlays: dict[str, Overlay]


def _parse(path: Path, data: object) -> dict[str, Overlay]:
    if not isinstance(data, dict) or not isinstance(data.get("jobs"), dict):
        raise CorruptMetadataError(path, "not a journal (expected an object with 'jobs')")
    if data.get("format") != FORMAT:
        raise CorruptMetadataError(path, f"journal format {data.get('format')!r}, not {FORMAT}")
    overlays = {}
    for job_id, entry in data["jobs"].items():
        if not (
            isinstance(entry, dict)
            and isinstance(entry.get("file"), str)
            and isinstance(entry.get("changes"), dict)
        ):
            raise CorruptMetadataError(path, f"job {job_id!r}: expected 'file' and 'changes'")
        overlays[job_id] = Overlay(entry["file"], entry["changes"])
    return overlays


class Journals:
    """The journals of the experiments a store reads, each file parsed once while unchanged."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._parsed: dict[str, _Parsed] = {}

    def write(self, exp_dir: Path, name: str, overlays: Mapping[str, Overlay]) -> Path:
        """Write the journal ``name`` (:meth:`new_name`) of ``overlays`` (``{job id: overlay}``).

        Durable now, or at the write group's flush when syncs are deferred.

        Returns:
            The journal file.
        """
        directory = exp_dir / JOURNAL_DIR
        if not directory.is_dir():
            directory.mkdir(exist_ok=True)
            DEFERRED.sync_dir(exp_dir)
        file = directory / name
        jobs = {job_id: {"file": o.file, "changes": o.changes} for job_id, o in overlays.items()}
        DEFERRED.write_text(file, dumps_json({"format": FORMAT, "jobs": jobs}))
        with contextlib.suppress(FileNotFoundError):  # deleted at once: read it as it comes
            parsed = _Parsed(file_identity(file), dict(overlays))
            with self._lock:  # its writer reads it next: not again from the file
                self._parsed[str(file)] = parsed
        return file

    def new_name(self) -> str:
        """The file name of a journal written now (names sort in the order written)."""
        return f"{time.time_ns():020d}-{os.getpid()}.json"

    @staticmethod
    def names(exp_dir: Path) -> list[str]:
        """The file names of an experiment's journals, oldest first (nothing is read)."""
        try:
            with os.scandir(exp_dir / JOURNAL_DIR) as entries:
                return sorted(e.name for e in entries if _NAME.fullmatch(e.name))
        except (FileNotFoundError, NotADirectoryError):
            return []

    def overlays(self, exp_dir: Path) -> Found:
        """Every journal of an experiment, oldest first: its file name and overlays by job id.

        Raises:
            CorruptMetadataError: A journal is damaged (named in the error).
        """
        found = []
        for name in self.names(exp_dir):
            parsed = self._read(exp_dir / JOURNAL_DIR / name)
            if parsed is not None:
                found.append((name, parsed))
        return Found(found)

    def _read(self, path: Path) -> dict[str, Overlay] | None:
        key = str(path)
        try:
            identity = file_identity(key)
        except FileNotFoundError:
            return None  # deleted since it was listed
        with self._lock:
            cached = self._parsed.get(key)
        if cached is not None and cached.identity == identity:
            return cached.overlays
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            overlays = _parse(path, json.loads(text))
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise CorruptMetadataError(path, f"not valid JSON ({error})") from None
        with self._lock:
            self._parsed[key] = _Parsed(identity, overlays)
        return overlays

    def prune(self, exp_dir: Path, current: Mapping[str, str]) -> list[str]:
        """Delete the journals none of whose overlays applies any more.

        Args:
            exp_dir: The experiment's directory.
            current: ``{job id: identity of its job.json now}``.

        Returns:
            The names of the journals deleted.
        """
        deleted: list[str] = []
        for name, overlays in self.overlays(exp_dir):
            if any(current.get(job_id) == o.file for job_id, o in overlays.items()):
                continue
            path = exp_dir / JOURNAL_DIR / name
            try:
                path.unlink()
            except FileNotFoundError:
                continue
            except OSError:
                return deleted  # a read-only home: the journals stay, still read right
            deleted.append(name)
            with self._lock:
                self._parsed.pop(str(path), None)
        return deleted
