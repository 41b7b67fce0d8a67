"""Printable, parseable job handles: ``<backend>://<cluster-or-host>/<job-id>``."""

import re
from dataclasses import dataclass

from nr_exec.errors import HandleError

__all__ = ["Handle"]

_BACKEND = re.compile(r"[a-z][a-z0-9_+.-]*")
_HANDLE = re.compile(r"(?P<backend>[^:/]+)://(?P<cluster>[^/]*)/(?P<job_id>.+)")
_SPACE = re.compile(r"\s")  # the characters str.isspace() accepts


@dataclass(frozen=True)
class Handle:
    """Names one submitted job on one backend.

    ``str(handle)`` and :meth:`Handle.parse` round-trip. The job id may contain ``/``; the
    cluster (or host) may not.

    Attributes:
        backend: Backend name, e.g. ``"local"`` or ``"slurm"``.
        cluster: Cluster or host the job runs on.
        job_id: The backend's id of the job.
    """

    backend: str
    cluster: str
    job_id: str

    def __post_init__(self) -> None:
        if not _BACKEND.fullmatch(self.backend):
            raise HandleError(f"invalid backend name {self.backend!r} in a handle")
        if "/" in self.cluster:
            raise HandleError(f"a handle's cluster may not contain '/': {self.cluster!r}")
        if not self.job_id or _SPACE.search(self.job_id):
            raise HandleError(f"invalid job id {self.job_id!r} in a handle")

    def __str__(self) -> str:
        return f"{self.backend}://{self.cluster}/{self.job_id}"

    @classmethod
    def parse(cls, text: str) -> "Handle":
        """Parse ``<backend>://<cluster-or-host>/<job-id>``.

        Raises:
            HandleError: ``text`` is not a handle.
        """
        match = _HANDLE.fullmatch(text.strip())
        if match is None:
            raise HandleError(
                f"not a job handle: {text!r} (expected <backend>://<cluster-or-host>/<job-id>)"
            )
        return cls(match["backend"], match["cluster"], match["job_id"])
