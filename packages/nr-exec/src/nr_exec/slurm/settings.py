"""``SlurmSettings``: what the Slurm backend needs about one spec beyond the spec itself.

``SlurmExecutor.settings`` makes the record and the spec carries it as JSON
(``JobSpec.backend_options``), so a request can be made again from a saved spec, in any
process, without the executor. Resources (nodes, tasks, GPUs, CPUs, memory, time) are not
here: they are the spec's own.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

from nr_exec.settings import BackendSettings
from nr_exec.slurm.quoting import log_path_text

__all__ = ["SlurmContainer", "SlurmSettings"]


@dataclass(frozen=True, kw_only=True)
class SlurmContainer(BackendSettings):
    """The container every ``srun`` step runs in (Pyxis flags).

    Attributes:
        image: ``--container-image``.
        mounts: Extra ``src:dst[:flags]`` mounts (the remote root is always mounted).
        env: Names of variables passed into the container (``--container-env``), or None.
    """

    image: str
    mounts: tuple[str, ...] = ()
    env: tuple[str, ...] | None = None


@dataclass(frozen=True, kw_only=True)
class SlurmSettings(BackendSettings):
    """Everything the Slurm backend needs about one spec beyond the spec itself.

    Attributes:
        packager: The packager, as nr-config JSON text.
        ships_code: Whether the job gets a ``code`` directory (an archive, or a remote link).
        job_name_prefix: Prefix of the Slurm job name.
        ntasks: Total tasks; when set, ``--ntasks`` replaces ``--ntasks-per-node``.
        sbatch_options: Plain sbatch options of the executor's fields (normalized names).
        additional_parameters: Further sbatch options (normalized names); they override
            everything else and are checked against the cluster's ``sbatch`` at submission.
        array: Raw ``--array`` specification, or None.
        array_parallelism: Most array elements running at once, for arrays made by the
            backend from many specs.
        container: The container of the steps, or None.
        srun_args: Extra ``srun`` arguments of every step.
        heterogeneous: Run a group of specs as a heterogeneous job.
        het_group_indices: Component of each spec of a heterogeneous group, or None.
        log_name: Name used in the log file names (default: the job's name).
        log_folder: Directory of the log files (default: ``<job dir>/logs``).
        log_paths: The batch script's stdout and stderr paths, when a ``SlurmJobDetails``
            subclass chose them (its ``stdout``/``stderr`` properties); written as given.
        stderr_to_stdout: Merge the batch script's stderr into its stdout file.
        setup_lines: Shell lines run in the batch script before the steps.
        wait_time_for_group_job: Seconds between the starts of the steps of a group.
        monitor_group_job: In a group, stop the other steps when one ends.
        monitor_group_job_wait_time: Seconds between checks (and grace period) of the monitor.
        dependencies: Handles (or Slurm job ids) the job waits for.
        dependency_type: How it waits for them (``afterok``, ``afterany``, ...).
    """

    packager: str
    ships_code: bool = False
    job_name_prefix: str | None = None
    ntasks: int | None = None
    sbatch_options: Mapping[str, str | bool] = field(default_factory=dict)
    additional_parameters: Mapping[str, str | bool] = field(default_factory=dict)
    array: str | None = None
    array_parallelism: int | None = None
    container: SlurmContainer | None = None
    srun_args: tuple[str, ...] = ()
    heterogeneous: bool = False
    het_group_indices: tuple[int, ...] | None = None
    log_name: str | None = None
    log_folder: str | None = None
    log_paths: tuple[str, str] | None = None
    stderr_to_stdout: bool = True
    setup_lines: str | None = None
    wait_time_for_group_job: int = 30
    monitor_group_job: bool = True
    monitor_group_job_wait_time: int = 60
    dependencies: tuple[str, ...] = ()
    dependency_type: str = "afterok"

    def options(self) -> dict[str, str | bool]:
        """The sbatch options of these settings, ``additional_parameters`` last (they win)."""
        return {**self.sbatch_options, **self.additional_parameters}

    def log_files(self, name: str, job_dir: str, *, array: bool = False) -> tuple[str, str]:
        """The batch script's stdout and stderr files, with Slurm's ``%j`` (or ``%A_%a``).

        A ``%`` of the folder or name (an experiment title, a job name) is written ``%%``,
        so that Slurm does not expand it (see :func:`~nr_exec.slurm.quoting.log_path_text`).

        Args:
            name: The job's name (used unless ``log_name`` is set).
            job_dir: The job (or array) directory on the cluster.
            array: Whether the files belong to array elements.
        """
        if self.log_paths is not None:
            return self.log_paths
        folder = log_path_text(self.log_folder or f"{job_dir}/logs")
        job = "%A_%a" if array else "%j"
        base = f"{folder}/sbatch_{log_path_text(self.log_name or name)}_{job}"
        return f"{base}.out", f"{base}.err"
