"""Experiment ids, titles, job names and scheduler-safe backend job names.

An experiment id is ``<title>_<ns>`` where ``<ns>`` is a 19-digit ``time.time_ns()`` value, the
shape NeMo-Run uses. Titles may contain ``_``; :func:`title_of` splits on the last one. A title that
itself looks like an id is rejected, so a string is never both an id and a title.
"""

import re
import zlib
from typing import NamedTuple

from nr_experiment.store.errors import InvalidNameError

__all__ = [
    "BackendJobName",
    "backend_job_name",
    "is_experiment_id",
    "make_experiment_id",
    "parse_backend_job_name",
    "title_of",
    "validate_experiment_id",
    "validate_job_name",
    "validate_title",
]

MAX_NAME_BYTES = 200
_ID = re.compile(r"(.+)_([0-9]{19})", re.DOTALL)
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
_BACKEND = re.compile(r"nr\.([0-9]{19})\.([0-9a-f]{8})\.([A-Za-z0-9_-]*)\.([A-Za-z0-9_-]*)")
_SLUG_CHARS = 15
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _validate(kind: str, name: str) -> str:
    if not isinstance(name, str) or not name:
        raise InvalidNameError(kind, str(name), "it is empty or not a string")
    if len(name.encode(errors="surrogatepass")) > MAX_NAME_BYTES:
        raise InvalidNameError(kind, name, f"it is longer than {MAX_NAME_BYTES} bytes")
    if "/" in name:
        raise InvalidNameError(kind, name, "it contains '/'")
    if _CONTROL.search(name):
        raise InvalidNameError(kind, name, "it contains NUL or another control character")
    if name.startswith("."):
        raise InvalidNameError(kind, name, "it starts with '.' (reserved for store files)")
    return name


def validate_title(title: str) -> str:
    """Check that ``title`` can name an experiment (and its directory).

    Args:
        title: The proposed title.

    Returns:
        The title, unchanged.

    Raises:
        InvalidNameError: The title is empty, too long, contains ``/``, NUL or control
            characters, starts with ``.``, or ends with ``_`` and 19 digits (an id's shape).
    """
    _validate("title", title)
    if _ID.fullmatch(title):
        raise InvalidNameError("title", title, "it has the shape of an experiment id")
    return title


def validate_experiment_id(experiment_id: str, title: str) -> str:
    """Check that ``experiment_id`` can be the id of a new experiment titled ``title``.

    Args:
        experiment_id: The proposed id.
        title: The experiment's (valid) title.

    Returns:
        The id, unchanged.

    Raises:
        InvalidNameError: The id is not ``<title>_<19 digits>``.
    """
    if not is_experiment_id(experiment_id) or title_of(experiment_id) != title:
        raise InvalidNameError(
            "experiment id",
            str(experiment_id),
            f"an id is '<title>_<19 digits>' with the experiment's title, e.g. "
            f"f'{title}_{{time.time_ns()}}' (as NeMo-Run makes them)",
        )
    return experiment_id


def validate_job_name(name: str) -> str:
    """Check that ``name`` can name a job directory.

    Args:
        name: The proposed job name.

    Returns:
        The name, unchanged.

    Raises:
        InvalidNameError: The name is empty, too long, contains ``/``, NUL or control
            characters, or starts with ``.``.
    """
    return _validate("job name", name)


def make_experiment_id(title: str, ns: int) -> str:
    """Build the id of an experiment created at ``ns`` nanoseconds since the epoch.

    Args:
        title: A valid title.
        ns: Nanoseconds since the epoch (19 digits until the year 2286).

    Returns:
        ``"<title>_<ns>"``.
    """
    return f"{title}_{ns:019d}"


def is_experiment_id(value: str) -> bool:
    """Tell whether ``value`` has the shape of an experiment id with a valid title.

    Args:
        value: Any string.

    Returns:
        True for ``<valid title>_<19 digits>``.
    """
    match = _ID.fullmatch(value)
    if match is None:
        return False
    try:
        validate_title(match.group(1))
    except InvalidNameError:
        return False
    return True


def title_of(experiment_id: str) -> str:
    """Return the title part of an experiment id (everything before the last ``_``).

    Args:
        experiment_id: An id such as ``"my_run_1724150000000000000"``.

    Returns:
        The title, e.g. ``"my_run"``.

    Raises:
        InvalidNameError: ``experiment_id`` is not ``<valid title>_<19 digits>``.
    """
    match = _ID.fullmatch(experiment_id)
    if match is None:
        raise InvalidNameError("title", experiment_id, "this experiment id has no '_<19 digits>'")
    return validate_title(match.group(1))


class BackendJobName(NamedTuple):
    """The parts of a name made by :func:`backend_job_name`.

    Attributes:
        ns: The experiment's creation time in nanoseconds (the numeric part of its id).
        digest: 8 hex digits identifying the exact (experiment id, job id) pair.
        title_slug: The start of the title, with unsafe characters replaced (for humans).
        job_slug: The start of the job id, likewise.
    """

    ns: int
    digest: str
    title_slug: str
    job_slug: str

    def matches(self, experiment_id: str, job_id: str) -> bool:
        """Tell whether this name was made for ``(experiment_id, job_id)``.

        Args:
            experiment_id: A full experiment id.
            job_id: A job id (its directory name).

        Returns:
            True if the name's time and digest agree with the pair.
        """
        return backend_job_name(experiment_id, job_id) == (
            f"nr.{self.ns:019d}.{self.digest}.{self.title_slug}.{self.job_slug}"
        )


def _slug(text: str) -> str:
    return _UNSAFE.sub("-", text)[:_SLUG_CHARS]


def backend_job_name(experiment_id: str, job_id: str) -> str:
    """Name a job for a scheduler, so a launcher killed mid-submit can find it again.

    The name is at most 63 characters of ``[A-Za-z0-9_.-]``:
    ``nr.<ns>.<digest>.<title slug>.<job slug>``, where ``<ns>`` is the numeric part of the
    experiment id and ``<digest>`` a checksum of the exact pair, so
    :meth:`BackendJobName.matches` identifies the job even when the slugs were shortened.

    Args:
        experiment_id: A full experiment id.
        job_id: The job's id (its directory name).

    Returns:
        The scheduler-safe name.

    Raises:
        InvalidNameError: ``experiment_id`` is not a valid id.
    """
    title = title_of(experiment_id)
    ns = experiment_id[len(title) + 1 :]
    digest = zlib.crc32(f"{experiment_id}\0{job_id}".encode(errors="surrogatepass"))
    return f"nr.{ns}.{digest:08x}.{_slug(title)}.{_slug(job_id)}"


def parse_backend_job_name(name: str) -> BackendJobName | None:
    """Split a name made by :func:`backend_job_name` into its parts.

    Args:
        name: A job name reported by a scheduler.

    Returns:
        The parts, or None when ``name`` was not made by :func:`backend_job_name`.
    """
    match = _BACKEND.fullmatch(name)
    if match is None:
        return None
    ns, digest, title_slug, job_slug = match.groups()
    return BackendJobName(int(ns), digest, title_slug, job_slug)
