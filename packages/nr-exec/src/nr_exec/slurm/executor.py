"""``SlurmExecutor``: where and how a task runs on a Slurm cluster."""

import dataclasses
import itertools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from nr_package import GitArchivePackager, Packager
from nr_tunnel import LocalTunnel, SSHTunnel

from nr_exec._fs import nemorun_home
from nr_exec.executor import Executor
from nr_exec.launchers import LaunchContext, SlurmTemplate
from nr_exec.slurm.options import option_name
from nr_exec.spec import JobSpec, Resources

if TYPE_CHECKING:
    from nr_exec.slurm.backend import SlurmBackend

__all__ = ["DEPENDENCY_TYPES", "SlurmExecutor", "SlurmJobDetails"]

#: Dependency types accepted in ``dependency_type`` (see ``sbatch --dependency``).
DEPENDENCY_TYPES = frozenset({"after", "afterok", "afterany", "afternotok", "aftercorr"})

_OPTION_SYNTAX = re.compile(r"[a-z][a-z0-9-]*")
# Fields whose value is a plain sbatch option of the same name.
_SBATCH_FIELDS = (
    "account",
    "partition",
    "qos",
    "cpus_per_gpu",
    "gpus_per_task",
    "mem_per_gpu",
    "mem_per_cpu",
    "comment",
    "constraint",
    "exclude",
    "gres",
    "signal",
    "exclusive",
    "open_mode",
    "network",
    "segment",
)
# Fields that are not part of the settings the backend needs per job.
_NOT_OPTIONS = frozenset(
    {"packager", "launcher", "env_vars", "retries", "experiment_id", "job_dir", "tunnel"}
)


@dataclass(kw_only=True)
class SlurmJobDetails:
    """Where a job's logs go. Subclass or set the fields to customise the paths.

    ``%j`` (job id), ``%A``/``%a`` (array job id and index) and ``%x`` (job name) are expanded
    by Slurm.

    Attributes:
        job_name: Name used in the file names (default: the job's name).
        folder: Directory of the log files (default: ``<job dir>/logs``).
    """

    job_name: str | None = None
    folder: str | None = None

    def resolved(self, job_name: str, job_dir: str) -> "SlurmJobDetails":
        """Return a copy with the defaults filled in for one job."""
        return dataclasses.replace(
            self, job_name=self.job_name or job_name, folder=self.folder or f"{job_dir}/logs"
        )

    def stdout(self, *, array: bool = False) -> str:
        """The batch script's standard output file."""
        job = "%A_%a" if array else "%j"
        return f"{self.folder}/sbatch_{self.job_name}_{job}.out"

    def stderr(self, *, array: bool = False) -> str:
        """The batch script's standard error file (used when not merged into stdout)."""
        job = "%A_%a" if array else "%j"
        return f"{self.folder}/sbatch_{self.job_name}_{job}.err"


@dataclass(kw_only=True)
class SlurmExecutor(Executor):
    """Run tasks as Slurm batch jobs, submitted through a local or SSH tunnel.

    The sbatch script is generated (see ``SlurmBackend.dryrun``); any ``sbatch`` option
    without a field of its own goes into ``additional_parameters``, whose names are checked
    against the options ``sbatch`` accepts.

    Attributes:
        account: Account to charge (omitted when None or empty).
        partition: Partition.
        job_name_prefix: Prefix of the Slurm job name (``<prefix><experiment>.<job id>``).
        time: Wall-time limit.
        nodes: Nodes.
        ntasks_per_node: Tasks per node (1 under torchrun/ft, which start the workers).
        ntasks: Total tasks; when set, ``--ntasks`` replaces ``--ntasks-per-node``.
        cpus_per_task: CPUs per task.
        cpus_per_gpu: CPUs per GPU.
        gpus_per_node: GPUs per node.
        gpus_per_task: GPUs per task.
        qos: Quality of service.
        mem: Memory per node (``"16G"``).
        mem_per_gpu: Memory per GPU.
        mem_per_cpu: Memory per CPU.
        comment: Job comment.
        constraint: Node features required.
        exclude: Nodes to exclude.
        gres: Generic resources.
        signal: ``--signal`` specification (e.g. ``"USR1@90"``).
        exclusive: True for ``--exclusive``, or its value (``"user"``, ``"mcs"``).
        array: Raw ``--array`` specification: run the same task as a job array.
        array_parallelism: Most array elements running at once (``%N``), for arrays made by
            the backend from many tasks.
        open_mode: ``append`` or ``truncate`` for the log files.
        network: ``--network`` specification.
        segment: ``--segment`` size.
        container_image: Run the tasks in this container (Pyxis ``--container-image``).
        container_mounts: Extra ``src:dst[:flags]`` mounts of the container.
        container_env: Names of variables passed into the container (``--container-env``).
        additional_parameters: Further sbatch options (``{"mail_type": "END"}``); they
            override the fields above. Names are checked against sbatch's options.
        srun_args: Extra ``srun`` arguments of every step.
        heterogeneous: Run a group of tasks as a heterogeneous job (one component per task).
        het_group_indices: Component of each task of a heterogeneous group (non-decreasing);
            default one component per task.
        job_details: Log paths.
        tunnel: Where ``sbatch`` runs: ``LocalTunnel`` (on a login node) or ``SSHTunnel``.
            Its ``job_dir`` is the remote root of job directories.
        dependencies: Handles (or Slurm job ids) of jobs this one waits for.
        dependency_type: How it waits for them (``afterok``, ``afterany``, ...).
        torchrun_nproc_per_node: Processes per node started by torchrun/ft.
        wait_time_for_group_job: Seconds between the starts of the steps of a group.
        monitor_group_job: In a group, stop the other steps when one ends.
        monitor_group_job_wait_time: Seconds between checks (and grace period) of the monitor.
        setup_lines: Shell lines run in the batch script before the steps.
        stderr_to_stdout: Merge the batch script's stderr into its stdout file.
    """

    packager: Packager = field(default_factory=GitArchivePackager)
    account: str | None = None
    partition: str | None = None
    job_name_prefix: str | None = None
    time: str = "00:10:00"
    nodes: int = 1
    ntasks_per_node: int = 1
    ntasks: int | None = None
    cpus_per_task: int | None = None
    cpus_per_gpu: int | None = None
    gpus_per_node: int | None = None
    gpus_per_task: int | None = None
    qos: str | None = None
    mem: str | None = None
    mem_per_gpu: str | None = None
    mem_per_cpu: str | None = None
    comment: str | None = None
    constraint: str | None = None
    exclude: str | None = None
    gres: str | None = None
    signal: str | None = None
    exclusive: bool | str | None = None
    array: str | None = None
    array_parallelism: int | None = None
    open_mode: str = "append"
    network: str | None = None
    segment: int | None = None
    container_image: str | None = None
    container_mounts: list[str] = field(default_factory=list)
    container_env: list[str] | None = None
    additional_parameters: dict[str, Any] = field(default_factory=dict)
    srun_args: list[str] = field(default_factory=list)
    heterogeneous: bool = False
    het_group_indices: list[int] | None = None
    job_details: SlurmJobDetails = field(default_factory=SlurmJobDetails)
    tunnel: LocalTunnel | SSHTunnel = field(default_factory=lambda: LocalTunnel(job_dir=""))
    dependencies: list[str] = field(default_factory=list)
    dependency_type: str = "afterok"
    torchrun_nproc_per_node: int | None = None
    wait_time_for_group_job: int = 30
    monitor_group_job: bool = True
    monitor_group_job_wait_time: int = 60
    setup_lines: str | None = None
    stderr_to_stdout: bool = True

    def validate(self) -> None:
        """Check the fields; errors name the field.

        Raises:
            ExecutorConfigError: A field has a wrong type or value.
        """
        super().validate()
        for name in ("nodes", "ntasks_per_node"):
            value = getattr(self, name)
            self._require(value >= 1, name, "an int >= 1", value)
        for name in (
            "ntasks",
            "cpus_per_task",
            "cpus_per_gpu",
            "gpus_per_node",
            "gpus_per_task",
            "torchrun_nproc_per_node",
            "array_parallelism",
        ):
            value = getattr(self, name)
            self._require(value is None or value >= 1, name, "None or an int >= 1", value)
        for name in ("wait_time_for_group_job", "monitor_group_job_wait_time"):
            value = getattr(self, name)
            self._require(value >= 0, name, "an int >= 0", value)
        self._require(
            self.dependency_type in DEPENDENCY_TYPES,
            "dependency_type",
            f"one of {sorted(DEPENDENCY_TYPES)}",
            self.dependency_type,
        )
        self._require(
            self.open_mode in ("append", "truncate"),
            "open_mode",
            "'append' or 'truncate'",
            self.open_mode,
        )
        for mount in self.container_mounts:
            self._require(
                "," not in mount and ":" in mount,
                "container_mounts",
                "'src:dst[:flags]' entries without commas",
                mount,
            )
        indices = self.het_group_indices
        if indices is not None:
            ordered = all(a <= b for a, b in itertools.pairwise(indices))
            self._require(
                ordered and all(i >= 0 for i in indices),
                "het_group_indices",
                "non-decreasing ints >= 0",
                indices,
            )
        if isinstance(self.tunnel, SSHTunnel):
            self._require(
                bool(self.tunnel.job_dir),
                "tunnel.job_dir",
                "a remote directory for job files",
                self.tunnel.job_dir,
            )
        for key in self.additional_parameters:
            self._require(
                bool(_OPTION_SYNTAX.fullmatch(option_name(key))),
                "additional_parameters",
                "sbatch long option names",
                key,
            )

    # -- sizes and launch context ----------------------------------------------------------------

    def info(self) -> str:
        """``"SlurmExecutor on <user@host>"``."""
        return f"{type(self).__qualname__} on {self.cluster_name()}"

    def cluster_name(self) -> str:
        """The handle's cluster part: ``user@host[:port]`` over SSH, ``local`` otherwise."""
        tunnel = self.tunnel
        if isinstance(tunnel, SSHTunnel):
            port = "" if tunnel.effective_port == 22 else f":{tunnel.effective_port}"
            return f"{tunnel.user}@{tunnel.host}{port}"
        return "local"

    def nnodes(self) -> int:
        """Number of nodes."""
        return self.nodes

    def nproc_per_node(self) -> int:
        """Processes per node.

        Torchrun's setting, else GPUs per node (with one task per node), else GPUs per task,
        else tasks per node.
        """
        if self.torchrun_nproc_per_node:
            return self.torchrun_nproc_per_node
        if self.gpus_per_node and self.ntasks_per_node == 1:
            return self.gpus_per_node
        return self.gpus_per_task or self.ntasks_per_node

    def resources(self) -> Resources:
        """Nodes, tasks per node, GPUs, CPUs, memory and time limit."""
        return Resources(
            nodes=self.nodes,
            ntasks_per_node=self.ntasks_per_node,
            gpus_per_node=self.gpus_per_node,
            cpus_per_task=self.cpus_per_task,
            mem=self.mem,
            time=self.time,
        )

    def launch_context(self, job_dir: str) -> LaunchContext:
        """Multi-node rendezvous context.

        The head node is ``${head_node_ip}`` and the node rank ``${SLURM_NODEID}``, both
        expanded inside each task by the generated script.
        """
        return LaunchContext(
            nnodes=self.nnodes(),
            nproc_per_node=self.nproc_per_node(),
            job_dir=job_dir,
            head_node="${head_node_ip}",
            node_rank="${SLURM_NODEID}",
        )

    def supports_launcher_transform(self) -> bool:
        """True when the launcher is a ``SlurmTemplate``."""
        return isinstance(self.get_launcher(), SlurmTemplate)

    def ships_code(self) -> bool:
        """Whether the job gets a ``code`` directory (an archive, or a remote symlink)."""
        return type(self.packager) is not Packager or bool(self.packager.symlink_from_remote_dir)

    def backend_writes_exit_marker(self) -> bool:
        """True: the generated batch script writes ``exit.json`` when the job ends."""
        return True

    def working_dir(self, job_dir: str) -> str:
        """``<job dir>/code`` when code is shipped, else the job directory."""
        return f"{job_dir}/code" if self.ships_code() else job_dir

    # -- job specs -------------------------------------------------------------------------------

    def remote_root(self) -> str:
        """Remote root of job directories: ``tunnel.job_dir``, else ``$NEMORUN_HOME/slurm``."""
        return self.tunnel.job_dir or str(nemorun_home() / "slurm")

    def remote_job_dir(self, job_id: str, experiment_id: str | None = None) -> str:
        """``<remote root>/<experiment id or "jobs">/<job id>``."""
        group = experiment_id or self.experiment_id or "jobs"
        return f"{self.remote_root()}/{group}/{job_id}"

    def backend_job_dir(self, local_job_dir: str) -> str:
        """The job's directory on the cluster: :meth:`remote_job_dir` of the local name."""
        return self.remote_job_dir(PurePosixPath(local_job_dir).name)

    def sbatch_options(self) -> dict[str, str | bool]:
        """The plain sbatch options of this executor (normalized names), extras last."""
        options: dict[str, str | bool] = {}
        for name in _SBATCH_FIELDS:
            value = getattr(self, name)
            if value is not None and value is not False and value != "":
                options[option_name(name)] = value if isinstance(value, bool) else str(value)
        for key, value in self.additional_parameters.items():
            options[option_name(key)] = value if isinstance(value, bool) else str(value)
        return options

    def backend_options(self, job_dir: str) -> dict[str, Any]:
        """The Slurm settings carried in ``JobSpec.backend_options`` (JSON-compatible).

        The packager is included as nr-config JSON text.
        """
        del job_dir
        import nr_config  # noqa: PLC0415 - only needed when making specs

        values = {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if f.init and f.name not in _NOT_OPTIONS
        }
        values["job_details"] = dataclasses.asdict(self.job_details)
        values["packager"] = nr_config.dumps_json(
            nr_config.dataclass_to_config(self.packager), indent=None
        )
        return json.loads(json.dumps(values))  # type: ignore[no-any-return]

    @classmethod
    def from_backend_options(cls, options: Mapping[str, Any]) -> "SlurmExecutor":
        """Rebuild an executor from :meth:`backend_options` (the tunnel is left at its default)."""
        import nr_config  # noqa: PLC0415 - only needed when reading specs

        values = dict(options)
        values["job_details"] = SlurmJobDetails(**values.get("job_details", {}))
        values["packager"] = nr_config.build(nr_config.loads_json(values["packager"]))
        return cls(**values)

    def to_job_spec(
        self,
        task: Any,
        *,
        name: str | None = None,
        job_dir: str | None = None,
        job_id: str | None = None,
    ) -> JobSpec:
        """Make the job spec of ``task``; its job directory is on the cluster.

        The default job directory is :meth:`remote_job_dir`; the executor's Slurm settings
        travel in ``spec.backend_options``.
        """
        from nr_exec.jobs import make_job_spec, new_job_id, safe_name, task_name  # noqa: PLC0415

        job_id = job_id or new_job_id(safe_name(name or task_name(task)))
        job_dir = job_dir or self.job_dir or self.remote_job_dir(job_id)
        return make_job_spec(task, self, name=name, job_dir=job_dir, job_id=job_id)

    def backend(self) -> "SlurmBackend":
        """Return a :class:`~nr_exec.slurm.SlurmBackend` on this executor's tunnel."""
        from nr_exec.slurm.backend import SlurmBackend  # noqa: PLC0415 - loaded on first use

        return SlurmBackend(self.tunnel, defaults=self)
