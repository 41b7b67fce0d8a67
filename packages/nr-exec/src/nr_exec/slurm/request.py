"""``SlurmRequest``: a ready-to-submit Slurm job (its sbatch script and the files it needs)."""

import os
from dataclasses import dataclass
from pathlib import PurePosixPath

from nr_exec.backend import Request
from nr_exec.spec import StagedFile

__all__ = ["SlurmRequest", "relative_to_root"]


def relative_to_root(path: str, root: str) -> str:
    """``path`` relative to the remote root (how files travel to the cluster).

    Raises:
        ValueError: ``path`` is not under ``root``.
    """
    prefix = root.rstrip("/") + "/"
    if path.startswith(prefix) and ".." not in path.split("/"):
        return path[len(prefix) :]  # the common case, without relpath's normalisation
    relative = os.path.relpath(path, root)
    if relative.startswith("..") or PurePosixPath(relative).is_absolute():
        raise ValueError(f"{path} is not under the remote root {root}")
    return relative


@dataclass(frozen=True)
class SlurmRequest(Request):
    """A ready-to-submit Slurm job, job group, heterogeneous job or job array.

    Attributes:
        script: The sbatch script (what :meth:`materialize` returns).
        script_path: Where the script goes on the cluster.
        stdout: The batch script's output file (Slurm patterns unexpanded).
        index_dir: Directory the backend's job index points to for this job (the job
            directory, or the array directory).
        files: Files to write on the cluster (the script included).
        links: ``(path, target)`` symbolic links to make on the cluster.
        bundle_path: Where the tar archive of ``bundled`` goes on the cluster (an array's
            elements unpack their own files from it when they start).
        bundled: Files sent inside that archive, not written at submission.
        code: ``(packager as nr-config JSON, job directory)`` pairs: the job directory gets
            its own ``code`` tree extracted from that packager's archive (or a link to the
            packager's ``symlink_from_remote_dir``).
        dependencies: Slurm job ids this job waits for.
        dependency_type: How it waits (``afterok``, ``afterany``, ...).
        array_size: Number of array elements, for array requests.
        retries: Requeues allowed after a failure.
        extra_options: Names of the ``additional_parameters`` sbatch options, checked
            against the cluster's ``sbatch`` before submission.
    """

    script: str = ""
    script_path: str = ""
    stdout: str = ""
    index_dir: str = ""
    files: tuple[StagedFile, ...] = ()
    links: tuple[tuple[str, str], ...] = ()
    bundle_path: str = ""
    bundled: tuple[StagedFile, ...] = ()
    code: tuple[tuple[str, str], ...] = ()
    dependencies: tuple[str, ...] = ()
    dependency_type: str = "afterok"
    array_size: int | None = None
    retries: int = 0
    extra_options: tuple[str, ...] = ()

    def materialize(self) -> str:
        """Return the sbatch script."""
        return self.script

    @property
    def job_ids(self) -> tuple[str, ...]:
        """The spec job ids the request carries: every element of an array, else the head."""
        if self.array_size is None:
            return (self.specs[0].job_id,)
        return tuple(spec.job_id for spec in self.specs)
