"""The catalog: a SQLite index (``catalog.sqlite3``, WAL) of experiments, jobs and job states.

The catalog is derived data. The files under ``experiments/`` are the source of truth and
:meth:`Catalog.rebuild` recreates the index from them. Writers are serialised by an ``flock`` on
``catalog.lock`` (so a rebuild, which holds it while it scans the files, cannot miss a concurrent
write); readers take no lock and see a consistent snapshot thanks to WAL. A write that fails
(locked too long, corrupt database, disk full) never fails the caller: it leaves the marker file
``catalog.stale``, and the next listing rebuilds the index from the files.
"""

import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from nr_experiment.store.errors import CatalogError, LockTimeoutError
from nr_experiment.store.locks import file_lock

__all__ = [
    "CATALOG_NAME",
    "SCHEMA_VERSION",
    "Catalog",
    "ExperimentRow",
    "ExperimentSummary",
    "JobRow",
    "JobSummary",
    "RebuildReport",
    "Skipped",
]

CATALOG_NAME = "catalog.sqlite3"
SCHEMA_VERSION = 3
_MIGRATABLE = frozenset({2})
"""Older schemas a write migrates in place (2 lacks ``experiments.dryrun``); readers read them."""
_READABLE = _MIGRATABLE | {SCHEMA_VERSION}
_NEVER_SUBMITTED = frozenset({"UNSUBMITTED"})
"""The job states of a dry-run-only experiment (any other: it was launched after its dry run)."""
_T = TypeVar("_T")

_SCHEMA = (
    "CREATE TABLE schema_version (version INTEGER NOT NULL)",
    (
        "CREATE TABLE experiments (id TEXT PRIMARY KEY, title TEXT NOT NULL,"
        " created REAL NOT NULL, dir TEXT NOT NULL, dryrun INTEGER NOT NULL DEFAULT 0)"
        " WITHOUT ROWID"
    ),
    "CREATE INDEX experiments_by_title ON experiments (title, created)",
    (
        "CREATE TABLE jobs (experiment_id TEXT NOT NULL, job_id TEXT NOT NULL,"
        " name TEXT NOT NULL, dir TEXT NOT NULL, backend TEXT, handle TEXT, state TEXT NOT NULL,"
        " updated REAL NOT NULL, file TEXT, summary TEXT, PRIMARY KEY (experiment_id, job_id))"
        " WITHOUT ROWID"
    ),
)
_JOURNALS = (
    "CREATE TABLE IF NOT EXISTS journals (experiment_id TEXT NOT NULL, name TEXT NOT NULL,"
    " PRIMARY KEY (experiment_id, name)) WITHOUT ROWID"
)
"""The journals whose changes the job rows account for (see :meth:`Catalog.known_journals`).

An addition within schema 3: a write creates it when missing; older versions ignore it (a
journal they write is not listed, so a reader reads it).
"""
_UPSERT_EXPERIMENT = (
    "INSERT INTO experiments VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
    " title = excluded.title, created = excluded.created, dir = excluded.dir,"
    " dryrun = excluded.dryrun"
)
_MIGRATE_2 = (
    "ALTER TABLE experiments ADD COLUMN dryrun INTEGER NOT NULL DEFAULT 0",
    "DELETE FROM schema_version",
    "INSERT INTO schema_version VALUES (3)",
)
"""Schema 2 to 3: experiments gain ``dryrun`` (0 for all: no older file records a dry run)."""
_UPSERT_JOB = (
    "INSERT INTO jobs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (experiment_id, job_id)"
    " DO UPDATE SET name = excluded.name, dir = excluded.dir, backend = excluded.backend,"
    " handle = excluded.handle, file = excluded.file, summary = excluded.summary,"
    " state = CASE WHEN excluded.updated >= jobs.updated THEN excluded.state ELSE jobs.state END,"
    " updated = max(excluded.updated, jobs.updated)"
    " WHERE excluded.file IS NULL OR jobs.file IS NULL"
    " OR substr(jobs.file || '@', 1, instr(jobs.file || '@', '@')) !="
    " substr(excluded.file || '@', 1, instr(excluded.file || '@', '@'))"
    " OR excluded.file >= jobs.file"
)
"""Upsert a job row; a row made from an older journal over the same ``job.json`` does not
replace one made from a newer (the journals' names sort in the order written, and two
launchers' flushes may commit out of that order)."""
_KNOWN_JOURNAL = "INSERT OR IGNORE INTO journals VALUES (?, ?)"
_SUMMARIES = "SELECT job_id, dir, file, summary FROM jobs WHERE experiment_id = ?"
_LIST = (
    "SELECT e.id, e.title, e.created, e.dir, {dryrun}, j.state, count(j.job_id)"
    " FROM experiments AS e"
    " LEFT JOIN jobs AS j ON j.experiment_id = e.id {where}"
    " GROUP BY e.id, j.state ORDER BY e.created, e.id"
)
_KEEP_NEWER_STATES = (
    "UPDATE jobs SET (state, updated) = (SELECT o.state, o.updated FROM old_states AS o"
    " WHERE o.experiment_id = jobs.experiment_id AND o.job_id = jobs.job_id)"
    " WHERE EXISTS (SELECT 1 FROM old_states AS o WHERE o.experiment_id = jobs.experiment_id"
    " AND o.job_id = jobs.job_id AND o.updated > jobs.updated)"
)


class ExperimentRow(NamedTuple):
    """One experiment as the catalog stores it (``dir`` is relative to the home)."""

    id: str
    title: str
    created: float
    dir: str
    dryrun: bool = False


class JobRow(NamedTuple):
    """One job as the catalog stores it (``dir`` is relative to the home).

    ``file`` identifies the ``job.json`` the row was made from (inode, mtime and size: every
    write replaces the file, so a newer write changes it) and ``summary`` is what a status
    needs of that file (JSON); a reader trusts ``summary`` only while ``file`` still matches.
    """

    experiment_id: str
    job_id: str
    name: str
    dir: str
    backend: str | None
    handle: str | None
    state: str
    updated: float
    file: str | None = None
    summary: str | None = None


class JobSummary(NamedTuple):
    """A job's status summary as the catalog holds it (see :class:`JobRow`)."""

    job_id: str
    dir: str
    file: str | None
    summary: str | None


class ExperimentSummary(NamedTuple):
    """One line of :meth:`Catalog.list_experiments`.

    Attributes:
        id: The experiment id.
        title: Its title.
        created: Creation time, seconds since the epoch.
        path: Its directory.
        jobs: How many jobs it has.
        states: Last known job states and how many jobs are in each, e.g. ``{"RUNNING": 2}``.
        dryrun: Only dry-run: ``Experiment.dryrun()`` kept it and no job was ever submitted
            (every job ``UNSUBMITTED``). A dry run followed by ``run()`` is not one.
    """

    id: str
    title: str
    created: float
    path: Path
    jobs: int
    states: dict[str, int]
    dryrun: bool = False


class Skipped(NamedTuple):
    """A file or directory a rebuild could not index, and why."""

    path: Path
    reason: str


class RebuildReport(NamedTuple):
    """What :meth:`Catalog.rebuild` did.

    Attributes:
        experiments: Experiments indexed.
        jobs: Jobs indexed.
        skipped: Corrupt or incomplete experiments and jobs left out, with the reason.
        corrupt_catalog: Where an unreadable old catalog was moved, if there was one.
    """

    experiments: int
    jobs: int
    skipped: list[Skipped]
    corrupt_catalog: Path | None


class Scan(NamedTuple):
    """Everything a rebuild found in the files (``journals``: ``(experiment id, name)``)."""

    experiments: list[ExperimentRow]
    jobs: list[JobRow]
    skipped: list[Skipped]
    journals: list[tuple[str, str]]


def _corrupt(error: sqlite3.Error) -> bool:
    """Tell a damaged database from a busy or locked one."""
    return isinstance(error, sqlite3.DatabaseError) and not isinstance(
        error, sqlite3.OperationalError
    )


class Catalog:
    """The SQLite index under a store home.

    Args:
        home: The store home; the database is ``home / "catalog.sqlite3"``.
        timeout: Seconds a write waits for the catalog lock before giving up (best effort).
    """

    def __init__(self, home: Path, *, timeout: float = 10.0) -> None:
        self.home = home
        self.path = home / CATALOG_NAME
        self.lock_path = home / "catalog.lock"
        self.stale_path = home / "catalog.stale"
        self.timeout = timeout
        self._writer_lock = threading.Lock()
        self._writer: sqlite3.Connection | None = None
        self._writer_identity: tuple[int, int, int] | None = None
        self._writer_has_journals = False
        self._inherited: list[sqlite3.Connection] = []
        self._deferred_lock = threading.Lock()
        self._deferred: dict[tuple[str, str], JobRow] = {}
        self._deferred_journals: set[tuple[str, str]] = set()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        try:
            conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.OperationalError:
            conn.close()
            if os.access(self.home, os.W_OK) or not self.path.is_file():
                raise
            # A read-only home: SQLite cannot make the -shm file it needs to read a WAL
            # database there, and nobody can write the catalog, so reading it as immutable
            # is exact.
            uri = f"{self.path.as_uri()}?immutable=1"
            return sqlite3.connect(uri, uri=True, timeout=self.timeout, isolation_level=None)
        except BaseException:
            conn.close()
            raise
        return conn

    @staticmethod
    def _version(conn: sqlite3.Connection) -> int | None:
        if (
            conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
            ).fetchone()
            is None
        ):
            return None
        row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
        return None if row is None or row[0] is None else int(row[0])

    @staticmethod
    def _transaction(conn: sqlite3.Connection, work: Callable[[sqlite3.Connection], _T]) -> _T:
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = work(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return result

    @staticmethod
    def _create_schema(conn: sqlite3.Connection) -> None:
        for statement in _SCHEMA:
            conn.execute(statement)
        conn.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION,))

    @staticmethod
    def _migrate(conn: sqlite3.Connection) -> None:
        for statement in _MIGRATE_2:
            conn.execute(statement)

    def _mark_stale(self) -> None:
        # An unwritable home fails the file writes first, and those raise.
        with contextlib.suppress(OSError):
            self.stale_path.touch()

    def _writer_connection(self) -> sqlite3.Connection:
        """The connection writes go through, kept open between writes (under the lock).

        It is reopened when the database file was replaced (moved aside by a rebuild,
        deleted) or the process forked.
        """
        try:
            stat = self.path.stat()
            identity: tuple[int, int, int] | None = (os.getpid(), stat.st_dev, stat.st_ino)
        except FileNotFoundError:
            identity = None
        if self._writer is not None and identity == self._writer_identity:
            return self._writer
        self._close_writer()
        conn = sqlite3.connect(
            self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False
        )
        try:
            conn.execute("PRAGMA synchronous = NORMAL")
            stat = self.path.stat()
        except BaseException:
            conn.close()
            raise
        self._writer = conn
        self._writer_identity = (os.getpid(), stat.st_dev, stat.st_ino)
        self._writer_has_journals = False
        return conn

    def _close_writer(self) -> None:
        conn, identity = self._writer, self._writer_identity
        self._writer = self._writer_identity = None
        if conn is None or identity is None:
            return
        if identity[0] == os.getpid():
            with contextlib.suppress(sqlite3.Error):
                conn.close()
        else:  # inherited through fork: closing it here could checkpoint the parent's WAL
            self._inherited.append(conn)

    def close(self) -> None:
        """Close the connection kept open for writes (the next write opens a new one)."""
        with self._writer_lock:
            self._close_writer()

    def _write(self, work: Callable[[sqlite3.Connection], _T]) -> _T | None:
        """Run ``work`` in one write transaction; on any failure mark the catalog stale."""
        with self._writer_lock:
            try:
                self.home.mkdir(parents=True, exist_ok=True)
                with file_lock(self.lock_path, timeout=self.timeout):
                    conn = self._writer_connection()
                    version = self._version(conn)
                    if version is None:
                        conn.execute("PRAGMA journal_mode = WAL")
                        self._transaction(conn, self._create_schema)
                    elif version in _MIGRATABLE:
                        self._transaction(conn, self._migrate)
                    elif version != SCHEMA_VERSION:
                        self._mark_stale()
                        return None
                    if not self._writer_has_journals:
                        conn.execute(_JOURNALS)
                        self._writer_has_journals = True
                    return self._transaction(conn, work)
            except (sqlite3.Error, LockTimeoutError, OSError):
                self._close_writer()
                self._mark_stale()
                return None

    def record(
        self,
        experiments: Iterable[ExperimentRow] = (),
        jobs: Iterable[JobRow] = (),
        journals: Iterable[tuple[str, str]] = (),
    ) -> bool:
        """Insert or update experiments and jobs in one transaction (best effort).

        A job row does not overwrite a row with a newer ``updated`` time, nor one made from a
        newer journal over the same ``job.json``.

        Args:
            experiments: Experiment rows to upsert.
            jobs: Job rows to upsert.
            journals: ``(experiment id, journal name)`` of each journal whose changes ``jobs``
                account for (listed by :meth:`known_journals` from then on).

        Returns:
            True if written; False if the catalog was unusable and has been marked stale.
        """

        def work(conn: sqlite3.Connection) -> bool:
            conn.executemany(_UPSERT_EXPERIMENT, experiments)
            conn.executemany(_UPSERT_JOB, jobs)
            conn.executemany(_KNOWN_JOURNAL, journals)
            return True

        return self._write(work) is True

    def defer(self, jobs: Iterable[JobRow], journals: Iterable[tuple[str, str]] = ()) -> None:
        """Keep job rows for :meth:`commit_deferred` (a later row of a job replaces its earlier).

        A write group indexes its jobs so, in one transaction once its files are durable.

        Args:
            jobs: Job rows to upsert later.
            journals: The journals those rows account for, as :meth:`record` takes them.
        """
        with self._deferred_lock:
            for row in jobs:
                self._deferred[row.experiment_id, row.job_id] = row
            self._deferred_journals.update(journals)

    def commit_deferred(self) -> bool:
        """Write every deferred job row in one transaction (best effort, as :meth:`record`).

        Returns:
            True if written or nothing was deferred; False if the catalog was unusable and
            has been marked stale.
        """
        with self._deferred_lock:
            rows, self._deferred = list(self._deferred.values()), {}
            journals, self._deferred_journals = self._deferred_journals, set()
        return not (rows or journals) or self.record(jobs=rows, journals=sorted(journals))

    def forget(self, experiment_id: str) -> bool:
        """Remove an experiment and its jobs from the index (best effort), deferred rows too.

        Args:
            experiment_id: The experiment's id.

        Returns:
            True if written; False if the catalog was unusable and has been marked stale.
        """
        with self._deferred_lock:
            for key in [key for key in self._deferred if key[0] == experiment_id]:
                del self._deferred[key]
            self._deferred_journals = {
                key for key in self._deferred_journals if key[0] != experiment_id
            }

        def work(conn: sqlite3.Connection) -> bool:
            conn.execute("DELETE FROM jobs WHERE experiment_id = ?", (experiment_id,))
            conn.execute("DELETE FROM journals WHERE experiment_id = ?", (experiment_id,))
            conn.execute("DELETE FROM experiments WHERE id = ?", (experiment_id,))
            return True

        return self._write(work) is True

    def forget_journals(self, experiment_id: str, names: Iterable[str]) -> bool:
        """Stop listing journals that were deleted (best effort, as :meth:`record`).

        Args:
            experiment_id: The experiment's id.
            names: The deleted journals' file names.

        Returns:
            True if written; False if the catalog was unusable and has been marked stale.
        """
        rows = [(experiment_id, name) for name in names]

        def work(conn: sqlite3.Connection) -> bool:
            conn.executemany("DELETE FROM journals WHERE experiment_id = ? AND name = ?", rows)
            return True

        return not rows or self._write(work) is True

    def mark_dryrun(self, experiment_id: str, dryrun: bool = True) -> bool:
        """Record whether an experiment was dry-run (best effort, as :meth:`record`).

        Args:
            experiment_id: The experiment's id.
            dryrun: Whether ``Experiment.dryrun()`` kept it.

        Returns:
            True if written; False if the catalog was unusable and has been marked stale.
        """

        def work(conn: sqlite3.Connection) -> bool:
            conn.execute("UPDATE experiments SET dryrun = ? WHERE id = ?", (dryrun, experiment_id))
            return True

        return self._write(work) is True

    def update_states(self, states: Mapping[tuple[str, str], tuple[str, float]]) -> int:
        """Record last known job states in one transaction (best effort).

        An update older than the state already recorded is ignored.

        Args:
            states: ``{(experiment_id, job_id): (state, updated)}``, ``updated`` in epoch seconds.

        Returns:
            How many jobs were updated (0 if the catalog was unusable and is now marked stale).
        """
        rows = [
            (state, updated, eid, jid, updated) for (eid, jid), (state, updated) in states.items()
        ]

        def work(conn: sqlite3.Connection) -> int:
            cursor = conn.executemany(
                "UPDATE jobs SET state = ?, updated = ? WHERE experiment_id = ? AND job_id = ?"
                " AND updated <= ?",
                rows,
            )
            return cursor.rowcount

        return self._write(work) or 0

    def list_experiments(
        self, title: str | None = None, *, ignore_stale: bool = False
    ) -> list[ExperimentSummary] | None:
        """List experiments from the index, oldest first.

        Args:
            title: Only experiments with this title.
            ignore_stale: Read even if a failed write marked the catalog stale.

        Returns:
            The summaries, or None when the index is missing, stale, corrupt or of an older
            schema and must be rebuilt first.

        Raises:
            CatalogError: The catalog stays locked, or was written by a newer version.
        """
        if not self.path.is_file() or (not ignore_stale and self.stale_path.exists()):
            return None
        try:
            rows = self._read(title)
        except sqlite3.Error as error:
            if _corrupt(error):
                return None
            raise CatalogError(self.path, str(error)) from error
        if rows is None:
            return None
        summaries: dict[str, ExperimentSummary] = {}
        for eid, etitle, created, rel, dryrun, state, count in rows:
            summary = summaries.get(eid)
            if summary is None:
                summary = ExperimentSummary(eid, etitle, created, self.home / rel, 0, {})
            if state is not None:
                summary.states[state] = count
                summary = summary._replace(jobs=summary.jobs + count)
            summaries[eid] = summary._replace(dryrun=bool(dryrun))
        return [
            s._replace(dryrun=s.dryrun and set(s.states) <= _NEVER_SUBMITTED)
            for s in summaries.values()
        ]

    def job_summaries(self, experiment_id: str) -> list[JobSummary] | None:
        """The status summaries of an experiment's jobs, if the index can be trusted.

        Args:
            experiment_id: The experiment's id.

        Returns:
            One summary per indexed job, or None when the index is missing, stale, damaged,
            locked or of another schema (read the files instead).
        """
        if not self.path.is_file() or self.stale_path.exists():
            return None
        try:
            conn = self._connect()
            try:
                if self._version(conn) not in _READABLE:
                    return None
                rows = conn.execute(_SUMMARIES, (experiment_id,)).fetchall()
            finally:
                conn.close()
        except sqlite3.Error:
            return None
        return [JobSummary(*row) for row in rows]

    def known_journals(self, experiment_id: str) -> frozenset[str] | None:
        """The journals of an experiment whose changes its job rows account for.

        A row made from a journal names it (``<job.json identity>@<journal>``) and is written
        in the same transaction as the journal is listed here, so a reader that reads this
        first, then the rows, may trust a row whose ``job.json`` is unchanged without reading
        any journal listed here: no listed journal changes that job beyond what its row says.

        Args:
            experiment_id: The experiment's id.

        Returns:
            The journals' file names, or None when the index is missing, stale, damaged,
            locked, of another schema or does not list journals (read them instead).
        """
        if not self.path.is_file() or self.stale_path.exists():
            return None
        try:
            conn = self._connect()
            try:
                if self._version(conn) not in _READABLE:
                    return None
                rows = conn.execute(
                    "SELECT name FROM journals WHERE experiment_id = ?", (experiment_id,)
                ).fetchall()
            finally:
                conn.close()
        except sqlite3.Error:
            return None  # no such table: written by a version that did not list journals
        return frozenset(name for (name,) in rows)

    def _read(self, title: str | None) -> list[Any] | None:
        conn = self._connect()
        try:
            version = self._version(conn)
            if version is not None and version > SCHEMA_VERSION:
                raise CatalogError(
                    self.path, f"schema {version} is newer than this version ({SCHEMA_VERSION})"
                )
            if version not in _READABLE:
                return None
            where, args = ("WHERE e.title = ?", (title,)) if title is not None else ("", ())
            dryrun = "e.dryrun" if version == SCHEMA_VERSION else "0"  # an older catalog: none
            return conn.execute(_LIST.format(where=where, dryrun=dryrun), args).fetchall()
        finally:
            conn.close()

    def _open_for_rebuild(self) -> tuple[sqlite3.Connection, Path | None]:
        """Open the catalog, moving it aside first if it is damaged."""
        try:
            conn = self._connect()
        except sqlite3.Error as error:
            if not _corrupt(error):
                raise CatalogError(self.path, str(error)) from error
            return self._move_aside()
        try:
            check = conn.execute("PRAGMA quick_check").fetchone()
            version = self._version(conn)
            if check == ("ok",):
                if version is not None and version > SCHEMA_VERSION:
                    raise CatalogError(
                        self.path, f"schema {version} is newer than this version ({SCHEMA_VERSION})"
                    )
                return conn, None
        except sqlite3.Error as error:
            if not _corrupt(error):
                conn.close()
                raise CatalogError(self.path, str(error)) from error
        except BaseException:
            conn.close()
            raise
        conn.close()
        return self._move_aside()

    def _move_aside(self) -> tuple[sqlite3.Connection, Path]:
        moved = self.path.with_name(f"{CATALOG_NAME}.corrupt-{time.time_ns()}")
        for suffix in ("", "-wal", "-shm"):
            source = self.path.with_name(CATALOG_NAME + suffix)
            if source.exists():
                source.rename(moved.with_name(moved.name + suffix))
        return self._connect(), moved

    def rebuild(self, scan: Callable[[], Scan]) -> RebuildReport:
        """Recreate the index from the files, atomically, keeping newer last-known states.

        The catalog lock is held while ``scan`` runs, so no concurrent write is lost; the new
        content replaces the old in a single transaction, so readers see the old index or the
        new one. A damaged database is moved aside (never deleted) and replaced.

        Args:
            scan: Reads the files and returns what to index.

        Returns:
            What was indexed and skipped.

        Raises:
            CatalogError: The catalog is locked, or was written by a newer version.
        """
        self.home.mkdir(parents=True, exist_ok=True)
        try:
            with file_lock(self.lock_path, timeout=self.timeout):
                self.stale_path.unlink(missing_ok=True)
                conn, moved = self._open_for_rebuild()
                try:
                    conn.execute("PRAGMA journal_mode = WAL")
                    found = self._transaction(conn, lambda c: self._replace(c, scan))
                finally:
                    conn.close()
        except (sqlite3.Error, LockTimeoutError) as error:
            self._mark_stale()
            raise CatalogError(self.path, f"rebuild failed: {error}") from error
        return RebuildReport(len(found.experiments), len(found.jobs), found.skipped, moved)

    def _replace(self, conn: sqlite3.Connection, scan: Callable[[], Scan]) -> Scan:
        keep_states = self._version(conn) in _READABLE
        if keep_states:
            conn.execute(
                "CREATE TEMP TABLE old_states AS SELECT experiment_id, job_id, state, updated"
                " FROM jobs"
            )  # looked up per job below: indexed, or the rebuild is quadratic in the jobs
            conn.execute(
                "CREATE INDEX temp.old_states_by_job ON old_states (experiment_id, job_id)"
            )
        for table in ("schema_version", "experiments", "jobs", "journals"):
            conn.execute(f"DROP TABLE IF EXISTS {table}")
        self._create_schema(conn)
        conn.execute(_JOURNALS)
        found = scan()
        conn.executemany(_UPSERT_EXPERIMENT, found.experiments)
        conn.executemany(_UPSERT_JOB, found.jobs)
        conn.executemany(_KNOWN_JOURNAL, found.journals)
        if keep_states:
            conn.execute(_KEEP_NEWER_STATES)
            conn.execute("DROP TABLE temp.old_states")
        return found
