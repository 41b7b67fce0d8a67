"""The experiment store: experiment and job files under ``$NEMORUN_HOME``, plus the catalog.

Layout (one directory per experiment, one per job; every file JSON, written atomically)::

    $NEMORUN_HOME/catalog.sqlite3
    $NEMORUN_HOME/experiments/<title>/<experiment-id>/experiment.json
    $NEMORUN_HOME/experiments/<title>/<experiment-id>/main.py
    $NEMORUN_HOME/experiments/<title>/<experiment-id>/<job-id>/job.json  (+ scripts/ code/ logs/)

Every write is atomic; it is durable when it returns, except inside
:meth:`Store.deferred_syncs` or :meth:`Store.write_group`, whose fsyncs wait for one
:meth:`Store.flush` (see :mod:`nr_experiment.store.syncs`), as do their jobs' catalog rows
(then written in one transaction, after the files are durable). Ids and job directories are
allocated with an atomic ``mkdir``, so concurrent launchers never collide. Read-modify-write
of a file happens under the experiment's lock (``.lock`` in its directory). The files are the
source of truth; the catalog is a rebuildable index.
"""

import json
import os
import re
import shutil
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from nr_exec.paths import nemorun_home
from nr_exec.states import JobState

from nr_experiment.store.atomic import (
    decode_json_object,
    dumps_json,
    read_json_object,
    write_json_atomic,
)
from nr_experiment.store.catalog import (
    Catalog,
    ExperimentRow,
    ExperimentSummary,
    JobRow,
    RebuildReport,
    Scan,
    Skipped,
)
from nr_experiment.store.errors import (
    CatalogError,
    CorruptMetadataError,
    ExperimentNotFoundError,
    IncompleteJobError,
    JobNotFoundError,
    StoreError,
    StoreWarning,
)
from nr_experiment.store.gcpause import gc_paused
from nr_experiment.store.journal import Found, Journals, Overlay, apply_overlays, diff
from nr_experiment.store.locks import file_lock
from nr_experiment.store.names import (
    backend_job_name,
    is_experiment_id,
    make_experiment_id,
    parse_backend_job_name,
    title_of,
    validate_experiment_id,
    validate_job_name,
    validate_title,
)
from nr_experiment.store.records import ExperimentRecord, Intent, JobRecord
from nr_experiment.store.summaries import (
    dumps_compact,
    file_identity,
    stat_identity,
    status_summary,
)
from nr_experiment.store.syncs import DEFERRED
from nr_experiment.store.written import WrittenJobs

__all__ = ["ExperimentRef", "Store"]

EXPERIMENT_FILE = "experiment.json"
JOB_FILE = "job.json"
MAIN_FILE = "main.py"
LOCK_FILE = ".lock"
#: How many experiment directories a store remembers (:meth:`Store.experiment_dir`).
_EXPERIMENT_DIRS_KEPT = 256
_NEVER_WRITTEN = "its job.json holds only the store's keys (the job's content was never written)"
_NO_JOB_FILE = f"it has no {JOB_FILE}"
_R = TypeVar("_R")


_Mutate = Callable[[dict[str, Any], JobRecord], None]


class IntentRequest(NamedTuple):
    """One job's submit intent, for :meth:`Store.record_intents`.

    Attributes:
        job_id: The job.
        backend: The backend's name.
        details: Extra facts about the submit (see :meth:`Store.record_intent`).
        replace_unresolved: Overwrite an earlier intent that never got a handle.
        content: Caller-owned content written with the intent (as ``write_job`` takes it).
    """

    job_id: str
    backend: str
    details: Mapping[str, Any] | None = None
    replace_unresolved: bool = False
    content: Mapping[str, Any] | None = None


class SubmittedRequest(NamedTuple):
    """One job's handle, for :meth:`Store.record_submits`.

    Attributes:
        job_id: The job.
        handle: The backend's handle.
        content: Makes the caller-owned content written with the handle from the job's record
            as it is before (see :meth:`Store.record_submitted`).
    """

    job_id: str
    handle: str
    content: Callable[[JobRecord], Mapping[str, Any]] | None = None


class ExperimentRef(NamedTuple):
    """Where an experiment lives.

    Attributes:
        id: The experiment id (``<title>_<ns>``).
        title: Its title.
        path: Its directory.
    """

    id: str
    title: str
    path: Path


def _read_experiment(file: Path) -> ExperimentRecord:
    return ExperimentRecord.from_json(file, read_json_object(file))


def _warn(error: IncompleteJobError) -> None:
    warnings.warn(f"skipped {error}", StoreWarning, stacklevel=3)


def _checked(
    parse: Callable[[Path, Mapping[str, Any]], _R], file: Path, data: dict[str, Any]
) -> _R:
    """Parse content about to be written, refusing content the store could not read back."""
    try:
        return parse(file, data)
    except CorruptMetadataError as error:
        raise StoreError(f"refusing to write {file}: {error.reason}") from None


def _check_content(data: Mapping[str, Any]) -> None:
    """Refuse caller content that uses a key the store owns."""
    if clash := sorted(JobRecord.STORE_KEYS & data.keys()):
        raise StoreError(f"job keys {clash} are set by the store; rename them")


def _replacing(data: Mapping[str, Any]) -> Callable[[dict[str, Any], JobRecord], None]:
    """A ``job.json`` update replacing the caller-owned content with ``data``."""

    def replace(job: dict[str, Any], before: JobRecord) -> None:
        del before
        for key in set(job) - JobRecord.STORE_KEYS:
            del job[key]
        job.update(data, written=time.time())

    return replace


def _intent_mark(experiment_id: str, request: IntentRequest) -> tuple[Intent, _Mutate]:
    """The intent of ``request``, and the update writing it into its job's content."""
    job_id, backend = request.job_id, request.backend
    intent = Intent.now(backend, backend_job_name(experiment_id, job_id), request.details or {})
    written = intent.to_json()
    if request.content is not None:
        _check_content(request.content)
    replace = None if request.content is None else _replacing(request.content)

    def mark(job: dict[str, Any], before: JobRecord) -> None:
        old = before.intent
        if old is not None and before.handle is None and not request.replace_unresolved:
            raise StoreError(
                f"job {job_id!r} of {experiment_id!r} has an unresolved submit intent from "
                f"{old.host} (backend name {old.backend_job_name!r}); check the backend for "
                "it, then pass replace_unresolved=True"
            )
        if before.handle is not None:
            attempt = {key: job[key] for key in ("intent", "handle", "submitted")}
            job["attempts"] = [*job["attempts"], attempt]  # a new list: see _mutated
        if replace is not None:
            replace(job, before)
        job.update(backend=backend, intent=written, handle=None, submitted=None)

    return intent, mark


def _submitted_mark(experiment_id: str, request: SubmittedRequest, when: float) -> _Mutate:
    """The update writing ``request``'s handle (and content) into its job's content."""

    def mark(job: dict[str, Any], before: JobRecord) -> None:
        if before.intent is None:
            raise StoreError(f"job {request.job_id!r} of {experiment_id!r}: record_intent() first")
        if request.content is not None:
            data = request.content(before)
            _check_content(data)
            _replacing(data)(job, before)
        job.update(handle=request.handle, submitted=when)

    return mark


def _skipped(error: IncompleteJobError) -> Skipped:
    return Skipped(error.path, f"incomplete job: {error.explanation}")


#: A step updating this many jobs at once writes one journal instead of each ``job.json``.
JOURNAL_FROM = 2


class _Version(NamedTuple):
    """A job as a reader sees it: ``job.json`` with the journal overlays made for it."""

    record: JobRecord
    identity: str  # of the job.json read
    journal: str | None  # the last journal laid over it

    @property
    def row_identity(self) -> str:
        """What the catalog row made from this version records (see ``job_summaries``)."""
        return _row_identity(self.identity, self.journal)


def _row_identity(identity: str, journal: str | None) -> str:
    return identity if journal is None else f"{identity}@{journal}"


_Matches = Callable[[str, str], bool]
"""Whether a job's catalog row identity (second argument) matches its files (see below)."""


def _expected(found: Found, files: Mapping[str, str]) -> _Matches:
    """Match the row identity each job must have, given its ``job.json`` and the journals."""
    last: dict[str, str] = {}
    for name, overlays in found:
        for job_id, overlay in overlays.items():
            if files.get(job_id) == overlay.file:
                last[job_id] = name
    expected = {job_id: _row_identity(file, last.get(job_id)) for job_id, file in files.items()}
    return lambda job_id, row_file: row_file == expected[job_id]


def _vouched(files: Mapping[str, str], present: frozenset[str]) -> _Matches:
    """Whether a catalog row identity still matches, when the catalog accounts for every journal.

    The row must be of the very ``job.json`` there now, and the journal it names (if any)
    must still be there; no other journal present changes the job (see
    :meth:`~nr_experiment.store.catalog.Catalog.known_journals`).
    """

    def matches(job_id: str, row_file: str) -> bool:
        identity, _, journal = row_file.partition("@")
        return identity == files[job_id] and (not journal or journal in present)

    return matches


def _read_job_file(file: Path) -> tuple[dict[str, Any], str]:
    """A ``job.json``'s content and the identity of the very version read."""
    with open(file, "rb") as handle:  # noqa: PTH123 - one fd: fstat and read the same file
        identity = stat_identity(os.fstat(handle.fileno()))
        raw = handle.read()
    return decode_json_object(file, raw), identity


def _check_owner(record: JobRecord, file: Path, experiment_id: str) -> JobRecord:
    if record.id != file.parent.name:
        raise CorruptMetadataError(file, f"'id' is {record.id!r}, not its directory's name")
    if record.experiment_id != experiment_id:
        raise CorruptMetadataError(file, f"belongs to {record.experiment_id!r}")
    return record


class Store:
    """Experiment and job metadata under one home directory.

    Every method may be called concurrently from many threads and processes.

    Args:
        home: The store root; defaults to :func:`nemorun_home` (resolved now, at call time).
        lock_timeout: Seconds to wait for an experiment's lock before raising
            :class:`~nr_experiment.store.errors.LockTimeoutError`.
    """

    def __init__(self, home: Path | None = None, *, lock_timeout: float = 30.0) -> None:
        self.home = (home if home is not None else nemorun_home()).expanduser().absolute()
        self.lock_timeout = lock_timeout
        self.catalog = Catalog(self.home)
        self.syncs = DEFERRED
        self._written = WrittenJobs()
        self._journals = Journals()
        # The directory of each experiment id asked for (a launcher asks per write).
        self._experiment_dirs: dict[str, Path] = {}

    # -- durability ----------------------------------------------------------------------------

    @contextmanager
    def deferred_syncs(self) -> Iterator[None]:
        """Defer the fsyncs of this thread's writes until :meth:`flush` (nestable).

        Inside the block every write stays atomic (a reader, or a process killed at any
        point, sees a file's old content or its new one), but is durable across a power
        failure only after the next :meth:`flush`, which also writes the jobs' catalog rows
        (until then the catalog does not vouch for those jobs, and their files are read).

        Yields:
            Nothing; leaving the block does not flush.
        """
        with self.syncs.deferring():
            yield

    @contextmanager
    def write_group(self) -> Iterator[None]:
        """Write a group durably at once: defer the fsyncs inside, flush on leaving.

        The flush happens on leaving every group, also a nested one and also when the block
        raises, so what a group wrote is durable once it is left (a submit intent written in
        a group is durable before the submit that follows it).

        Yields:
            Nothing.
        """
        try:
            with self.syncs.deferring():
                yield
        finally:
            self.flush()

    def flush(self) -> int:
        """Make every write deferred so far durable, then index its jobs in one transaction.

        Files are synced first (each file, then each directory, once), then the catalog rows
        of this store's deferred job writes are written together. The deferred syncs are the
        process's: this also syncs what other stores deferred.

        Returns:
            How many fsyncs it took (0 when nothing was deferred).
        """
        synced = self.syncs.flush()
        self.catalog.commit_deferred()
        return synced

    @property
    def experiments_root(self) -> Path:
        """The directory holding one directory per title."""
        return self.home / "experiments"

    # -- paths ---------------------------------------------------------------------------------

    def experiment_dir(self, experiment_id: str) -> Path:
        """Return the directory of an experiment (which may not exist).

        Args:
            experiment_id: An experiment id.

        Returns:
            ``<home>/experiments/<title>/<experiment_id>``.

        Raises:
            InvalidNameError: ``experiment_id`` is not a valid id.
        """
        path = self._experiment_dirs.get(experiment_id)
        if path is None:
            path = self.experiments_root / title_of(experiment_id) / experiment_id
            if len(self._experiment_dirs) < _EXPERIMENT_DIRS_KEPT:
                self._experiment_dirs[experiment_id] = path
        return path

    def job_dir(self, experiment_id: str, job_id: str) -> Path:
        """Return the directory of a job (which may not exist).

        Args:
            experiment_id: An experiment id.
            job_id: A job id (its directory name, as returned by :meth:`add_job_dir`).

        Returns:
            ``<experiment dir>/<job_id>``.

        Raises:
            InvalidNameError: An argument is not a valid id.
        """
        return self.experiment_dir(experiment_id) / validate_job_name(job_id)

    def _existing(self, experiment_id: str) -> Path:
        path = self.experiment_dir(experiment_id)
        if not (path / EXPERIMENT_FILE).is_file():
            raise ExperimentNotFoundError(
                experiment_id, self.home, self._close_matches(experiment_id)
            )
        return path

    def _relative(self, path: Path) -> str:
        home, text = str(self.home), str(path)
        if text.startswith(home + "/"):  # the store's own paths: no Path arithmetic per write
            return text[len(home) + 1 :]
        return path.relative_to(self.home).as_posix()

    # -- experiments ---------------------------------------------------------------------------

    def create_experiment(
        self,
        title: str,
        metadata: Mapping[str, Any] | None = None,
        *,
        experiment_id: str | None = None,
    ) -> ExperimentRef:
        """Allocate a new experiment id and directory and write its ``experiment.json``.

        The id is ``<title>_<time_ns>``; the directory is created with an atomic ``mkdir`` and a
        collision (another process, same nanosecond) retries with a later value.

        Args:
            title: The experiment title (see :func:`~nr_experiment.store.names.validate_title`).
            metadata: JSON-serialisable content for ``experiment.json`` (tool version, jobs,
                dependencies, executors, plugins, ...); must not use
                :attr:`ExperimentRecord.STORE_KEYS`.
            experiment_id: Use this id (``<title>_<19 digits>``) instead of a new one.

        Returns:
            The new experiment's id, title and directory.

        Raises:
            InvalidNameError: The title or the id is not allowed.
            StoreError: ``metadata`` uses a key the store owns, or ``experiment_id`` exists.
            TypeError: ``metadata`` is not JSON-serialisable (nothing is created).
        """
        validate_title(title)
        if experiment_id is not None:
            validate_experiment_id(experiment_id, title)
        content = dict(metadata or {})
        if clash := sorted(ExperimentRecord.STORE_KEYS & content.keys()):
            raise StoreError(f"metadata keys {clash} are set by the store; rename them")
        dumps_json(content)  # fail on unserialisable metadata before allocating anything
        title_dir = self.experiments_root / title
        title_dir.mkdir(parents=True, exist_ok=True)
        ns = time.time_ns()
        while True:
            eid = experiment_id or make_experiment_id(title, ns)
            path = title_dir / eid
            try:
                path.mkdir()
                break
            except FileExistsError:
                if experiment_id is not None:
                    raise StoreError(
                        f"experiment {experiment_id} already exists in {self.home}; open it "
                        f"with Experiment.from_id({experiment_id!r}) or choose another id"
                    ) from None
                ns = max(time.time_ns(), ns + 1)
        created = ns / 1e9
        content.update(format=ExperimentRecord.FORMAT, id=eid, title=title, created=created)
        try:
            self.syncs.sync_dir(title_dir)
            write_json_atomic(path / EXPERIMENT_FILE, content)
        except BaseException:
            path.rmdir()
            raise
        self.catalog.record(experiments=[ExperimentRow(eid, title, created, self._relative(path))])
        return ExperimentRef(eid, title, path)

    def delete_experiment(self, experiment_id: str) -> None:
        """Delete an experiment's directory and its catalog entries (for ``dryrun``).

        Args:
            experiment_id: An experiment id.

        Raises:
            ExperimentNotFoundError: No such experiment.
        """
        path = self._existing(experiment_id)
        self.catalog.forget(experiment_id)
        self._written.forget_under(str(path))
        shutil.rmtree(path)

    def load_experiment(self, experiment_id: str) -> ExperimentRecord:
        """Read an experiment's ``experiment.json`` (from the file, not the catalog).

        Args:
            experiment_id: An experiment id.

        Returns:
            The experiment's record.

        Raises:
            ExperimentNotFoundError: No such experiment.
            CorruptMetadataError: The file is damaged, or of a newer format.
        """
        return _read_experiment(self._existing(experiment_id) / EXPERIMENT_FILE)

    def update_experiment(
        self, experiment_id: str, mutate: Callable[[dict[str, Any]], dict[str, Any]]
    ) -> ExperimentRecord:
        """Read-modify-write ``experiment.json`` under the experiment's exclusive lock.

        Args:
            experiment_id: An experiment id.
            mutate: Receives the current content and returns the new content (it may modify
                and return its argument); it must not change
                :attr:`ExperimentRecord.STORE_KEYS`.

        Returns:
            The record written.

        Raises:
            ExperimentNotFoundError: No such experiment.
            CorruptMetadataError: The file is damaged (it is left as it is).
            StoreError: ``mutate`` changed a key the store owns, or gave a key the store reads
                a wrong type (nothing is written).
            LockTimeoutError: Another process held the lock too long.
        """
        path = self._existing(experiment_id)
        file = path / EXPERIMENT_FILE
        owned_keys = ExperimentRecord.STORE_KEYS
        with file_lock(path / LOCK_FILE, timeout=self.lock_timeout):
            current = _read_experiment(file).to_json()
            owned = {key: current.get(key) for key in owned_keys}
            updated = mutate(current)
            if {key: updated.get(key) for key in owned_keys} != owned:
                raise StoreError(f"{file}: keys {sorted(owned_keys)} cannot be changed")
            record = _checked(ExperimentRecord.from_json, file, updated)
            write_json_atomic(file, updated)
        return record

    def save_main_source(self, experiment_id: str, source: str) -> Path:
        """Save the launching script's ``__main__`` source as ``main.py``.

        Args:
            experiment_id: An experiment id.
            source: The Python source.

        Returns:
            The written file.

        Raises:
            ExperimentNotFoundError: No such experiment.
        """
        file = self._existing(experiment_id) / MAIN_FILE
        self.syncs.write_text(file, source)
        return file

    # -- jobs ----------------------------------------------------------------------------------

    def add_job_dir(
        self,
        experiment_id: str,
        job_name: str,
        job_id: str | None = None,
        *,
        content: Callable[[Path], Mapping[str, Any]] | None = None,
    ) -> Path:
        """Create a job directory and its ``job.json``.

        The directory starts with ``job.json`` alone: ``logs/``, ``scripts/`` and ``code/``
        are made by whatever writes there first (the backend starting the job).

        The directory is named ``job_id`` (default: the job's name); when that name is taken
        it is ``<job_id>_1``, ``<job_id>_2``, ... (NeMo-Run's separator; stores written before
        used ``-1``, and those ids still open). The directory name is the job's id.

        With ``content``, ``job.json`` is written once, complete: ``content`` receives the new
        directory and returns the caller's content (as :meth:`write_job` takes it); if it
        raises or its content cannot be written, the directory is removed again. Without it
        ``job.json`` holds only the store's keys, and the job is complete, listed and indexed
        once :meth:`write_job` gave it its content. A directory left without content (the
        process was killed in between) is reported as an
        :class:`~nr_experiment.store.errors.IncompleteJobError`.

        Args:
            experiment_id: An experiment id.
            job_name: The job's name.
            job_id: The id wanted (see :func:`~nr_experiment.naming.repeated_job_id`).
            content: Makes the job's content from its directory.

        Returns:
            The new job directory.

        Raises:
            ExperimentNotFoundError: No such experiment.
            InvalidNameError: The job name is not allowed.
            StoreError: ``content`` returned a key the store owns, or a key the store reads
                of a wrong type (the directory is removed).
        """
        validate_job_name(job_name)
        wanted = validate_job_name(job_id or job_name)
        exp_dir = self._existing(experiment_id)
        chosen, suffix = wanted, 0
        while True:
            try:
                (exp_dir / chosen).mkdir()
                break
            except FileExistsError:
                suffix += 1
                chosen = f"{wanted}_{suffix}"
        path = exp_dir / chosen
        self.syncs.sync_dir(exp_dir)
        job = JobRecord.new(experiment_id, chosen, job_name)
        if content is None:
            write_json_atomic(path / JOB_FILE, job)
            return path
        try:
            data = content(path)
            _check_content(data)
            job.update(data, written=time.time())
            self._write_job_file(path / JOB_FILE, job)
        except BaseException:
            shutil.rmtree(path, ignore_errors=True)
            raise
        return path

    def _job_file(self, experiment_id: str, job_id: str) -> Path:
        file = self.job_dir(experiment_id, job_id) / JOB_FILE
        if not file.is_file():
            self._existing(experiment_id)
            if file.parent.is_dir():
                raise IncompleteJobError(file.parent, _NO_JOB_FILE)
            raise JobNotFoundError(experiment_id, job_id)
        return file

    def _write_job_file(self, file: Path, job: dict[str, Any]) -> JobRecord:
        """Write a job's content (checked first), remember it and index it; return its record.

        The content is serialised once: the record kept (and returned) is parsed from that
        text, so it shares nothing with ``job``. Inside a write group the catalog row waits
        for the group's flush.
        """
        text = dumps_json(job)
        record = _checked(JobRecord.from_json, file, json.loads(text))
        self.syncs.write_text(file, text)
        row = self._job_row(record, file)
        if row.file is not None:
            self._written.remember(str(file), row.file, record)
        self._index([row])
        return record

    def _index(self, rows: list[JobRow], journals: Sequence[tuple[str, str]] = ()) -> None:
        """Record catalog rows (and the journals they account for) now, or at the flush."""
        if self.syncs.active:
            self.catalog.defer(rows, journals)
        else:
            self.catalog.record(jobs=rows, journals=journals)

    def _read_job(self, file: Path, experiment_id: str, found: Found | None = None) -> _Version:
        """Read and check a ``job.json`` with the journal overlays made for it.

        The file must belong to its directory and experiment. ``found``: the experiment's
        journals, when the caller listed them already (once for many jobs).
        """
        data, identity = _read_job_file(file)
        if found is None:
            found = self._journals.overlays(file.parent.parent)
        journal = apply_overlays(found, file.parent.name, identity, data) if found else None
        record = _check_owner(JobRecord.from_json(file, data), file, experiment_id)
        return _Version(record, identity, journal)

    def _job_row(self, job: JobRecord, file: Path, identity: str | None = None) -> JobRow:
        if identity is None:
            try:
                identity = file_identity(file)
            except FileNotFoundError:
                identity = None
        return JobRow(
            job.experiment_id, job.id, job.name, self._relative(file.parent), job.backend,
            job.handle, job.state.value, job.updated, identity,
            dumps_compact(status_summary(job)),
        )  # fmt: skip

    def load_job(self, experiment_id: str, job_id: str) -> JobRecord:
        """Read one job's ``job.json``.

        Args:
            experiment_id: An experiment id.
            job_id: A job id.

        Returns:
            The job's record.

        Raises:
            ExperimentNotFoundError: No such experiment.
            JobNotFoundError: No such job.
            IncompleteJobError: The job's creation was interrupted (the error says what to do).
            CorruptMetadataError: The file is damaged, or of a newer format.
        """
        record = self._read_job(self._job_file(experiment_id, job_id), experiment_id).record
        if not record.complete:
            raise IncompleteJobError(self.job_dir(experiment_id, job_id), _NEVER_WRITTEN)
        return record

    def _update_job(
        self,
        experiment_id: str,
        job_id: str,
        mutate: Callable[[dict[str, Any], JobRecord], None],
        *,
        require_complete: bool = True,
    ) -> tuple[JobRecord, JobRecord]:
        """Read-modify-write ``job.json`` and index it, under the lock; return both records.

        A file of an older format is rewritten in the current one. A file this store wrote
        last is not read again (see :mod:`nr_experiment.store.written`). The catalog row is
        made under the lock, so its file identity is that of the content it summarises.
        """
        file = self.job_dir(experiment_id, job_id) / JOB_FILE
        if str(file) not in self._written:  # else it was this store's: no need to look first
            self._job_file(experiment_id, job_id)
        with file_lock(file.parent.parent / LOCK_FILE, timeout=self.lock_timeout):
            before, job, _ = self._mutated(file, experiment_id, mutate, require_complete)
            after = self._write_job_file(file, job)
        return before, after

    def _mutated(
        self,
        file: Path,
        experiment_id: str,
        mutate: _Mutate,
        require_complete: bool,
        journals: Found | None = None,
    ) -> tuple[JobRecord, dict[str, Any], str]:
        """A job's record, its content once ``mutate`` changed it, and the file's identity.

        Called under the experiment's lock. The content is the one this store wrote last
        when the file is still that one, else the file read with its journal overlays. It is
        a shallow copy of the record's: ``mutate`` sets, replaces or removes top-level keys
        and never changes a value in place (that value is the record's too).
        """
        current = self._written.current(str(file))
        if current is None:
            version = self._read_job(file, experiment_id, journals)
            before, job, identity = version.record, dict(version.record.raw), version.identity
        else:
            before, job, identity = current
        if require_complete and not before.complete:
            raise StoreError(
                f"job {file.parent.name!r} of {experiment_id!r} has no content yet: write_job() "
                "it before recording a submit"
            )
        job.update(format=JobRecord.FORMAT, written=before.written)
        mutate(job, before)
        return before, job, identity

    def _update_jobs(
        self,
        experiment_id: str,
        updates: Sequence[tuple[str, _Mutate]],
        *,
        require_complete: bool = True,
    ) -> list[tuple[JobRecord, JobRecord]]:
        """:meth:`_update_job` for many jobs, written as one journal; return both records of each.

        Fewer than :data:`JOURNAL_FROM` jobs are written to their ``job.json``. Otherwise every
        update is made first, under the lock held once; if any raises nothing is written. Then
        one journal holds every job's changes (see :mod:`nr_experiment.store.journal`), and
        each job's record as read back (file and journal) is remembered and indexed.
        """
        if len(updates) < JOURNAL_FROM:
            return [
                self._update_job(experiment_id, job_id, mutate, require_complete=require_complete)
                for job_id, mutate in updates
            ]
        with gc_paused():  # every record made here stays alive: nothing for it to free
            return self._journal_updates(experiment_id, updates, require_complete)

    def _journal_updates(
        self, experiment_id: str, updates: Sequence[tuple[str, _Mutate]], require_complete: bool
    ) -> list[tuple[JobRecord, JobRecord]]:
        """The journaled half of :meth:`_update_jobs`."""
        exp_dir = self._existing(experiment_id)
        name = self._journals.new_name()
        overlays: dict[str, Overlay] = {}
        made: list[tuple[Path, str, JobRecord, JobRecord]] = []
        with file_lock(exp_dir / LOCK_FILE, timeout=self.lock_timeout):
            journals = self._journals.overlays(exp_dir)
            for job_id, mutate in updates:
                file = self.job_dir(experiment_id, job_id) / JOB_FILE
                if str(file) not in self._written:
                    self._job_file(experiment_id, job_id)  # the errors of a missing job
                before, job, identity = self._mutated(
                    file, experiment_id, mutate, require_complete, journals
                )
                after = _checked(JobRecord.from_json, file, job)  # job.json is not rewritten
                overlays[job_id] = Overlay(identity, diff(before.raw, job))
                made.append((file, identity, before, after))
            self._journals.write(exp_dir, name, overlays)
            rows = []
            for file, identity, _, after in made:
                self._written.remember(str(file), identity, after)
                rows.append(self._job_row(after, file, _row_identity(identity, name)))
        self._index(rows, [(experiment_id, name)])
        return [(before, after) for _, _, before, after in made]

    def write_jobs(
        self, experiment_id: str, contents: Sequence[tuple[str, Mapping[str, Any]]]
    ) -> list[JobRecord]:
        """:meth:`write_job` for many jobs, in one write (a journal from :data:`JOURNAL_FROM`).

        Args:
            experiment_id: An experiment id.
            contents: ``(job id, content)`` per job.

        Returns:
            The records written, in order.

        Raises:
            StoreError: A content uses a key the store owns (nothing is written).
            JobNotFoundError: No such job (nothing is written).
        """
        for _, data in contents:
            _check_content(data)
        updates = [(job_id, _replacing(data)) for job_id, data in contents]
        pairs = self._update_jobs(experiment_id, updates, require_complete=False)
        return [after for _, after in pairs]

    def write_job(self, experiment_id: str, job_id: str, data: Mapping[str, Any]) -> JobRecord:
        """Replace the caller-owned content of ``job.json`` (task config, executor config, ...).

        Store-owned keys (:attr:`JobRecord.STORE_KEYS`: ids, intent, handle, submit time) are
        kept. The first write completes a job made by :meth:`add_job_dir`; every write indexes it
        in the catalog (with the status summary :meth:`job_summaries` reads). The keys the
        store reads (``state``, ``updated``, ``reason``, ``retries``, ``exit_code``,
        ``message``, ``handles``) must have the types :class:`JobRecord` gives.

        Args:
            experiment_id: An experiment id.
            job_id: A job id.
            data: JSON-serialisable content; must not use :attr:`JobRecord.STORE_KEYS`.

        Returns:
            The record written.

        Raises:
            StoreError: ``data`` uses a key the store owns, or gives a key the store reads a
                wrong type (nothing is written).
            TypeError: ``data`` is not JSON-serialisable (nothing is written).
            JobNotFoundError: No such job.
        """
        _check_content(data)
        replace = _replacing(data)
        return self._update_job(experiment_id, job_id, replace, require_complete=False)[1]

    def job_summaries(
        self, experiment_id: str, listed: Sequence[str]
    ) -> list[tuple[str, str, dict[str, Any]]] | None:
        """The status summaries of every job from the catalog, if they match the files.

        They match when the catalog is usable, the experiment's job directories are exactly
        ``listed`` (as ``experiment.json`` lists them) and every ``job.json`` is still the
        file its summary was made from. Only the files' metadata is read (one ``stat`` each),
        and the experiment's journals only when the catalog does not account for one of them
        (written by a launcher killed before its catalog rows, or by an older version).

        Args:
            experiment_id: An experiment id.
            listed: The job ids ``experiment.json`` lists, in creation order.

        Returns:
            ``(job id, job directory as a string, summary)`` per job in ``listed`` order
            (the summary as :func:`~nr_experiment.store.summaries.status_summary` made it),
            or None when anything does not match (read the files with :meth:`jobs` instead).
        """
        known = self.catalog.known_journals(experiment_id)  # before the rows: see its doc
        indexed = self.catalog.job_summaries(experiment_id)
        if indexed is None or len(indexed) != len(listed):
            return None
        exp_dir = self.experiment_dir(experiment_id)
        with os.scandir(exp_dir) as entries:
            present = {e.name for e in entries if not e.name.startswith(".") and e.is_dir()}
        by_id = {row.job_id: row for row in indexed}
        if present != by_id.keys() or present != set(listed):
            return None
        home = str(self.home)
        dirs = [f"{home}/{by_id[job_id].dir}" for job_id in listed]  # strings: this runs per job
        try:
            files = {
                job_id: file_identity(f"{job_dir}/{JOB_FILE}")
                for job_id, job_dir in zip(listed, dirs, strict=True)
            }
        except FileNotFoundError:
            return None
        journal_names = frozenset(self._journals.names(exp_dir))
        if known is not None and known >= journal_names:
            matches = _vouched(files, journal_names)
        else:  # a journal the catalog does not account for: read them all
            matches = _expected(self._journals.overlays(exp_dir), files)
        texts = []
        for job_id in listed:
            row = by_id[job_id]
            if row.summary is None or row.file is None or not matches(job_id, row.file):
                return None
            texts.append(row.summary)
        summaries = json.loads(f"[{','.join(texts)}]")  # one decode for all
        return list(zip(listed, dirs, summaries, strict=True))

    def jobs(self, experiment_id: str) -> list[JobRecord]:
        """Read every job of an experiment, in creation order.

        An incomplete job (its creation was interrupted; see
        :class:`~nr_experiment.store.errors.IncompleteJobError`) is left out with a
        :class:`~nr_experiment.store.errors.StoreWarning` naming its directory, as is a job
        ``experiment.json`` lists whose directory is missing; the other jobs stay readable.

        Args:
            experiment_id: An experiment id.

        Returns:
            The record of each complete job.

        Raises:
            ExperimentNotFoundError: No such experiment.
            CorruptMetadataError: A ``job.json`` is damaged (named in the error).
        """
        exp_dir = self._existing(experiment_id)
        found: list[JobRecord] = []
        present: set[str] = set()
        journals = self._journals.overlays(exp_dir)
        files: dict[str, str] = {}
        with os.scandir(exp_dir) as entries:
            for entry in entries:
                if entry.name.startswith(".") or not entry.is_dir():
                    continue
                present.add(entry.name)
                file = Path(entry.path, JOB_FILE)
                if not file.is_file():
                    _warn(IncompleteJobError(Path(entry.path), _NO_JOB_FILE))
                    continue
                version = self._read_job(file, experiment_id, journals)
                record = version.record
                files[entry.name] = version.identity
                if record.complete:
                    found.append(record)
                else:
                    _warn(IncompleteJobError(Path(entry.path), _NEVER_WRITTEN))
        if journals:
            deleted = self._journals.prune(exp_dir, files)
            if deleted:
                self.catalog.forget_journals(experiment_id, deleted)
        listed = _read_experiment(exp_dir / EXPERIMENT_FILE).jobs
        for missing in [job_id for job_id in listed if job_id not in present]:
            warnings.warn(
                f"{exp_dir / missing}: {EXPERIMENT_FILE} lists job {missing!r} but its directory "
                "is missing (deleted?); the experiment's other jobs are shown",
                StoreWarning,
                stacklevel=2,
            )
        return sorted(found, key=lambda job: (job.created, job.id))

    def record_intent(
        self,
        experiment_id: str,
        job_id: str,
        backend: str,
        *,
        details: Mapping[str, Any] | None = None,
        replace_unresolved: bool = False,
    ) -> Intent:
        """Write the intent to submit a job, before talking to the backend.

        An intent without a handle marks a submit that may or may not have happened; the
        recorded ``backend_job_name`` lets a later process find the job on the backend instead of
        submitting it twice, and the launcher's host, pid and start time tell whether the
        submitting process still runs (:meth:`Intent.launcher_running`). A previous attempt
        that got a handle is kept in ``attempts``.

        Args:
            experiment_id: An experiment id.
            job_id: A job id.
            backend: The backend's name (``"slurm"``, ``"local"``, ...).
            details: Extra JSON-serialisable facts about the submit (cluster, account, ...);
                ``commands``, a list of argv lists, is read back by :attr:`Intent.commands`.
            replace_unresolved: Overwrite an earlier intent that never got a handle (only once
                the backend has been checked for that submit).

        Returns:
            The intent record.

        Raises:
            StoreError: The job has an unresolved intent and ``replace_unresolved`` is False, or
                :meth:`write_job` never gave it its content.
            JobNotFoundError: No such job.
        """
        request = IntentRequest(job_id, backend, details, replace_unresolved=replace_unresolved)
        intent, mark = _intent_mark(experiment_id, request)
        self._update_job(experiment_id, job_id, mark)
        return intent

    def record_intents(
        self, experiment_id: str, requests: Sequence["IntentRequest"]
    ) -> list[Intent]:
        """:meth:`record_intent` for the jobs of one submit step, in one write.

        From :data:`JOURNAL_FROM` jobs on, the intents go into one journal file (see
        :mod:`nr_experiment.store.journal`), read with each ``job.json``. Every request is
        checked before anything is written: one refused leaves no intent behind.

        Args:
            experiment_id: An experiment id.
            requests: One per job; ``content`` (caller-owned content, as :meth:`write_job`
                takes it) is written in the same write.

        Returns:
            The intents, in ``requests`` order.

        Raises:
            StoreError: As :meth:`record_intent` (nothing is written).
            JobNotFoundError: No such job (nothing is written).
        """
        with gc_paused():  # see _update_jobs
            made = [_intent_mark(experiment_id, request) for request in requests]
            self._update_jobs(
                experiment_id,
                [(r.job_id, mark) for r, (_, mark) in zip(requests, made, strict=True)],
            )
        return [intent for intent, _ in made]

    def record_submitted(
        self,
        experiment_id: str,
        job_id: str,
        handle: str,
        *,
        submitted: float | None = None,
        content: Callable[[JobRecord], Mapping[str, Any]] | None = None,
    ) -> JobRecord:
        """Record the handle the backend returned for a submit recorded by :meth:`record_intent`.

        Args:
            experiment_id: An experiment id.
            job_id: A job id.
            handle: The backend's handle (``<backend>://<cluster-or-host>/<job-id>``).
            submitted: Submit time in epoch seconds; defaults to now.
            content: Receives the job's record as it is before this write and returns new
                caller-owned content, written with the handle in the same write (as
                :meth:`write_job` writes it).

        Returns:
            The updated record.

        Raises:
            StoreError: No intent was recorded first, or ``content`` gave a key the store owns.
            JobNotFoundError: No such job.
        """
        when = time.time() if submitted is None else submitted
        mark = _submitted_mark(experiment_id, SubmittedRequest(job_id, handle, content), when)
        return self._update_job(experiment_id, job_id, mark)[1]

    def record_submits(
        self,
        experiment_id: str,
        requests: Sequence["SubmittedRequest"],
        *,
        submitted: float | None = None,
    ) -> list[JobRecord]:
        """:meth:`record_submitted` for the jobs of one submit step, in one write.

        From :data:`JOURNAL_FROM` jobs on, the handles go into one journal file (see
        :meth:`record_intents`).

        Args:
            experiment_id: An experiment id.
            requests: One per job.
            submitted: Submit time in epoch seconds; defaults to now.

        Returns:
            The updated records, in ``requests`` order.

        Raises:
            StoreError: As :meth:`record_submitted` (nothing is written).
            JobNotFoundError: No such job (nothing is written).
        """
        when = time.time() if submitted is None else submitted
        updates = [(r.job_id, _submitted_mark(experiment_id, r, when)) for r in requests]
        return [after for _, after in self._update_jobs(experiment_id, updates)]

    def resolve_backend_job_name(self, name: str) -> tuple[str, str] | None:
        """Find the experiment and job a scheduler-side job name was made for.

        Args:
            name: A name from :func:`~nr_experiment.store.names.backend_job_name`.

        Returns:
            ``(experiment_id, job_id)``, or None if ``name`` is not ours or matches nothing here.
        """
        parsed = parse_backend_job_name(name)
        if parsed is None:
            return None
        for exp_dir in self.experiments_root.glob(f"*/*_{parsed.ns:019d}"):
            for job_dir in exp_dir.iterdir():
                if parsed.matches(exp_dir.name, job_dir.name):
                    return exp_dir.name, job_dir.name
        return None

    # -- lookup and catalog --------------------------------------------------------------------

    def _close_matches(self, query: str) -> list[str]:
        import difflib  # noqa: PLC0415 (only on the error path)

        candidates: list[str] = []
        if self.experiments_root.is_dir():
            candidates = [p.name for p in self.experiments_root.iterdir() if p.is_dir()]
            title = query.rpartition("_")[0]
            if title in candidates:
                candidates += [p.name for p in (self.experiments_root / title).iterdir()]
        return difflib.get_close_matches(query, candidates, n=5, cutoff=0.6)

    def find(self, id_or_title: str) -> ExperimentRef:
        """Find an experiment by exact id, or the newest experiment with a title.

        A string is never both: titles shaped like ids are rejected at creation.

        Args:
            id_or_title: An experiment id (``<title>_<19 digits>``) or a title.

        Returns:
            The experiment.

        Raises:
            ExperimentNotFoundError: Nothing matches (the error lists close matches).
            InvalidNameError: The string is neither a valid id nor a valid title.
        """
        if is_experiment_id(id_or_title):
            path = self._existing(id_or_title)
            return ExperimentRef(id_or_title, title_of(id_or_title), path)
        title = validate_title(id_or_title)
        shape = re.compile(re.escape(title) + r"_[0-9]{19}")
        title_dir = self.experiments_root / title
        names = sorted(
            (p.name for p in title_dir.iterdir() if shape.fullmatch(p.name))
            if title_dir.is_dir()
            else (),
            key=lambda name: name[-19:],
            reverse=True,
        )
        for name in names:
            if (title_dir / name / EXPERIMENT_FILE).is_file():
                return ExperimentRef(name, title, title_dir / name)
        raise ExperimentNotFoundError(title, self.home, self._close_matches(title))

    def list_experiments(self, title: str | None = None) -> list[ExperimentSummary]:
        """List experiments from the catalog, oldest first.

        A missing, stale or damaged catalog is rebuilt from the files first; anything skipped
        then is reported with a :class:`~nr_experiment.store.errors.StoreWarning`.

        Args:
            title: Only experiments with this title.

        Returns:
            One summary per experiment, with its jobs' last known states.

        Raises:
            CatalogError: The catalog is locked, or was written by a newer version.
        """
        if title is not None:
            validate_title(title)
        summaries = self.catalog.list_experiments(title)
        if summaries is None:
            report = self.rebuild_catalog()
            if report.skipped:
                skipped = "; ".join(f"{s.path}: {s.reason}" for s in report.skipped)
                warnings.warn(
                    f"catalog rebuilt; skipped {len(report.skipped)}: {skipped}",
                    StoreWarning,
                    stacklevel=2,
                )
            summaries = self.catalog.list_experiments(title, ignore_stale=True)
            if summaries is None:
                raise CatalogError(self.catalog.path, "unusable even after a rebuild")
        return summaries

    def update_states(self, states: Mapping[tuple[str, str], tuple[JobState | str, float]]) -> int:
        """Record last known job states in the catalog, in one transaction (best effort).

        Args:
            states: ``{(experiment_id, job_id): (state, updated)}``, ``updated`` in epoch
                seconds; an update older than the recorded one is ignored.

        Returns:
            How many jobs were updated.

        Raises:
            ValueError: A state is not a :class:`~nr_exec.JobState` (nothing is recorded).
        """
        return self.catalog.update_states(
            {key: (JobState(state).value, updated) for key, (state, updated) in states.items()}
        )

    def rebuild_catalog(self) -> RebuildReport:
        """Rebuild the catalog from the files, atomically, keeping newer last-known states.

        Returns:
            What was indexed, and every corrupt or incomplete experiment or job skipped.

        Raises:
            CatalogError: The catalog is locked, or was written by a newer version.
        """
        return self.catalog.rebuild(self._scan)

    def _scan(self) -> Scan:
        found = Scan([], [], [], [])
        if not self.experiments_root.is_dir():
            return found
        for title_dir in sorted(self.experiments_root.iterdir()):
            if title_dir.name.startswith(".") or not title_dir.is_dir():
                continue
            for path in sorted(title_dir.iterdir()):
                if not path.name.startswith(".") and path.is_dir():
                    self._scan_experiment(path, found)
        return found

    def _scan_experiment(self, path: Path, found: Scan) -> None:
        eid, title = path.name, path.parent.name
        if not is_experiment_id(eid) or title_of(eid) != title:
            found.skipped.append(Skipped(path, f"not an experiment of title {title!r}"))
            return
        file = path / EXPERIMENT_FILE
        try:
            experiment = _read_experiment(file)
            if (experiment.id, experiment.title) != (eid, title):
                raise CorruptMetadataError(file, "its 'id' and 'title' do not match its path")
        except FileNotFoundError:
            found.skipped.append(Skipped(path, f"no {EXPERIMENT_FILE} (creation interrupted?)"))
            return
        except CorruptMetadataError as error:
            found.skipped.append(Skipped(error.path, error.reason))
            return
        found.experiments.append(
            ExperimentRow(
                eid,
                title,
                experiment.created,
                self._relative(path),
                experiment.get("dryrun") is True,
            )
        )
        journals = self._journals.overlays(path)
        found.journals.extend((eid, name) for name, _ in journals)
        for job_dir in sorted(path.iterdir()):
            if job_dir.name.startswith(".") or not job_dir.is_dir():
                continue
            try:
                version = self._read_job(job_dir / JOB_FILE, eid, journals)
                job = version.record
            except FileNotFoundError:
                found.skipped.append(_skipped(IncompleteJobError(job_dir, _NO_JOB_FILE)))
                continue
            except CorruptMetadataError as error:
                found.skipped.append(Skipped(error.path, error.reason))
                continue
            if job.complete:
                found.jobs.append(self._job_row(job, job_dir / JOB_FILE, version.row_identity))
            else:
                found.skipped.append(_skipped(IncompleteJobError(job_dir, _NEVER_WRITTEN)))
