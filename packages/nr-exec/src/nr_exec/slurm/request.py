"""``SlurmRequest``: a ready-to-submit Slurm job (its sbatch script and the files it needs)."""

from dataclasses import dataclass

from nr_exec.backend import Request
from nr_exec.spec import StagedFile

__all__ = ["SlurmRequest"]


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
