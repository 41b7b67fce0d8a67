"""Errors and warnings raised by the experiment store.

Every store error derives from :class:`StoreError`, itself an
:class:`~nr_experiment.errors.ExperimentError`, and keeps the facts it reports as attributes.
"""

from collections.abc import Sequence
from pathlib import Path

from nr_experiment.errors import ExperimentError

__all__ = [
    "CatalogError",
    "CorruptMetadataError",
    "ExperimentNotFoundError",
    "IncompleteJobError",
    "InvalidNameError",
    "JobNotFoundError",
    "LockTimeoutError",
    "NotAnIdError",
    "StoreError",
    "StoreWarning",
]


class StoreError(ExperimentError):
    """Base class of every error raised by the experiment store."""


class CorruptMetadataError(StoreError):
    """A metadata file exists but cannot be read as the JSON the store expects.

    The store never replaces or resets such a file; it reports it and leaves it for a human.

    Attributes:
        path: The unreadable file.
        reason: What is wrong with it.
    """

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"corrupt metadata file {path}: {reason}")


class IncompleteJobError(StoreError):
    """A job directory whose creation was interrupted: no ``job.json``, or one never written.

    A launcher killed inside ``Experiment.add()`` leaves such a directory; the job was never
    launched. The store skips it when it lists an experiment's jobs (with a
    :class:`StoreWarning`) and leaves it for a human to delete.

    Attributes:
        path: The job directory.
        reason: What is missing.
    """

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"incomplete job {path}: {self.explanation}")

    @property
    def explanation(self) -> str:
        """What is wrong and what to do, without the path."""
        return (
            f"{self.reason}; its creation did not finish, so it was never launched (a launcher "
            "killed inside Experiment.add() leaves this); once no launcher runs for the "
            "experiment, delete the directory to clear this, and add the job again if you need it"
        )


class InvalidNameError(StoreError, ValueError):
    """An experiment title or job name cannot be used as a directory name.

    Attributes:
        kind: ``"title"`` or ``"job name"``.
        name: The rejected value.
        reason: Which rule it breaks.
    """

    def __init__(self, kind: str, name: str, reason: str) -> None:
        self.kind = kind
        self.name = name
        self.reason = reason
        super().__init__(
            f"invalid experiment {kind} {name!r}: {reason}; a {kind} must be 1 to 200 bytes of "
            "UTF-8 without '/', NUL or control characters, must not start with '.', and a title "
            "must not end with '_' followed by 19 digits (that shape is reserved for ids)"
        )


class ExperimentNotFoundError(StoreError, LookupError):
    """No experiment matches an id or a title.

    Attributes:
        query: The id or title looked up.
        home: The NEMORUN_HOME searched.
        close_matches: Existing ids or titles that look similar, best first.
    """

    def __init__(self, query: str, home: Path, close_matches: Sequence[str] = ()) -> None:
        self.query = query
        self.home = home
        self.close_matches = list(close_matches)
        hint = (
            f"; did you mean {', '.join(map(repr, self.close_matches))}?" if close_matches else ""
        )
        super().__init__(f"no experiment with id or title {query!r} under {home}{hint}")


class NotAnIdError(ExperimentNotFoundError):
    """``Experiment.from_id`` got a string that is not an experiment id (a title, say).

    Attributes:
        newest: The newest experiment with that title, when there is one.
    """

    def __init__(
        self, query: str, home: Path, *, newest: str | None, close_matches: list[str]
    ) -> None:
        super().__init__(query, home, [newest] if newest else close_matches)
        self.newest = newest
        if newest is not None:
            message = (
                f"{query!r} is an experiment title, not an id (ids are <title>_<19 digits>); "
                f"use Experiment.from_title({query!r}) for its newest experiment, {newest!r}"
            )
        else:
            hint = f"; did you mean {', '.join(map(repr, close_matches))}?" if close_matches else ""
            message = (
                f"{query!r} is not an experiment id (ids are <title>_<19 digits>), and no "
                f"experiment has that title under {home}{hint}"
            )
        self.args = (message,)


class JobNotFoundError(StoreError, LookupError):
    """An experiment has no job with a given id.

    Attributes:
        experiment_id: The experiment searched.
        job_id: The job id looked up (a job directory name).
    """

    def __init__(self, experiment_id: str, job_id: str) -> None:
        self.experiment_id = experiment_id
        self.job_id = job_id
        super().__init__(f"experiment {experiment_id!r} has no job {job_id!r}")


class LockTimeoutError(StoreError, TimeoutError):
    """A store lock could not be taken in time (another process holds it).

    Attributes:
        path: The lock file.
        timeout: Seconds waited.
    """

    def __init__(self, path: Path, timeout: float) -> None:
        self.path = path
        self.timeout = timeout
        super().__init__(f"could not lock {path} within {timeout:g} s; another process holds it")


class CatalogError(StoreError):
    """The catalog cannot be used (locked for too long, or written by a newer version).

    Attributes:
        path: The catalog database.
        reason: What went wrong.
    """

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"catalog {path}: {reason}")


class StoreWarning(UserWarning):
    """Something was skipped: an incomplete job, or a file a catalog rebuild could not index."""
