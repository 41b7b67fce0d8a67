"""``SlurmExecutor``: where and how a task runs on a Slurm cluster.

The executor only describes: where a job lives on the cluster (:meth:`SlurmExecutor.placement`),
the settings its backend needs (:meth:`SlurmExecutor.settings`, a
:class:`~nr_exec.slurm.settings.SlurmSettings`) and how to reach the cluster
(:meth:`SlurmExecutor.connection`). It builds no backend; see :func:`nr_exec.backend_for`.
"""

import copy
import dataclasses
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, ClassVar

import nr_config
from nr_package import GitArchivePackager, Packager
from nr_tunnel import LocalTunnel, SSHTunnel

from nr_exec.errors import ExecutorConfigError
from nr_exec.executor import Executor
from nr_exec.launchers import LaunchContext
from nr_exec.macros import ExecutorMacros
from nr_exec.paths import nemorun_home
from nr_exec.placement import Placement
from nr_exec.slurm.cluster import cluster_name, connection_data
from nr_exec.slurm.options import option_name
from nr_exec.slurm.settings import SlurmContainer, SlurmSettings
from nr_exec.spec import Resources

__all__ = ["DEPENDENCY_TYPES", "ResourceRequest", "SlurmExecutor", "SlurmJobDetails"]

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


@dataclass(kw_only=True)
class SlurmJobDetails:
    """Where a job's logs go: ``<folder>/sbatch_<job name>_<%j, or %A_%a>.out`` (and ``.err``).

    Slurm expands ``%j`` (job id), ``%A``/``%a`` (array job id and index) and ``%x`` (job
    name) in the fields. With both fields set, the properties ``stdout``, ``stderr``,
    ``srun_stdout``, ``srun_stderr`` and ``ls_term`` give NeMo-Run's path shapes.

    Attributes:
        job_name: Name used in the file names (default: the job's name).
        folder: Directory of the log files (default: ``<job dir>/logs``).
    """

    job_name: str | None = None
    folder: str | None = None

    def _path(self, stem: str, suffix: str) -> str:
        if self.folder is None or self.job_name is None:
            raise ExecutorConfigError(
                "SlurmJobDetails.folder/job_name",
                "both set to read a log path",
                {"folder": self.folder, "job_name": self.job_name},
            )
        return str(PurePosixPath(self.folder) / f"{stem}{self.job_name}_%j{suffix}")

    @property
    def stdout(self) -> str:
        """The batch script's stdout: ``<folder>/sbatch_<job_name>_%j.out``."""
        return self._path("sbatch_", ".out")

    @property
    def stderr(self) -> str:
        """The batch script's stderr: ``<folder>/sbatch_<job_name>_%j.err``."""
        return self._path("sbatch_", ".err")

    @property
    def srun_stdout(self) -> str:
        """A step's stdout: ``<folder>/log-<job_name>_%j_${SLURM_RESTART_COUNT:-0}.out``."""
        return self._path("log-", "_${SLURM_RESTART_COUNT:-0}.out")

    @property
    def srun_stderr(self) -> str:
        """A step's stderr: ``<folder>/log-<job_name>_%j_${SLURM_RESTART_COUNT:-0}.err``."""
        return self._path("log-", "_${SLURM_RESTART_COUNT:-0}.err")

    @property
    def ls_term(self) -> str:
        """Glob of the job's log files: ``<folder>/log*``."""
        return str(PurePosixPath(self._path("", "")).parent / "log*")


@dataclass(kw_only=True)
class ResourceRequest:
    """What one task of a merged group asks for (see :meth:`SlurmExecutor.merge`).

    Attributes:
        packager: How the task's code is shipped.
        nodes: Nodes.
        ntasks_per_node: Tasks per node.
        container_image: Container image, if any.
        gpus_per_node: GPUs per node.
        gpus_per_task: GPUs per task.
        container_mounts: Container mounts.
        container_env: Names of variables passed into the container.
        env_vars: Environment of the task.
        srun_args: Extra ``srun`` arguments.
        job_details: Log paths.
        het_group_index: Heterogeneous component of the task, if set.
    """

    packager: Packager
    nodes: int
    ntasks_per_node: int
    container_image: str | None
    gpus_per_node: int | None
    gpus_per_task: int | None
    container_mounts: list[str]
    container_env: list[str] | None
    env_vars: dict[str, str]
    srun_args: list[str]
    job_details: SlurmJobDetails
    het_group_index: int | None = None


@dataclass(kw_only=True)
class SlurmExecutor(Executor):
    """Run tasks as Slurm batch jobs, submitted through a local or SSH tunnel.

    The sbatch script is generated by the backend (``SlurmBackend.dryrun``); any ``sbatch`` option
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
            Its ``job_dir`` is the remote root of job directories (required over SSH; a
            ``LocalTunnel`` without one uses ``$NEMORUN_HOME/slurm``).
        dependencies: Handles (or Slurm job ids) of jobs this one waits for.
        dependency_type: How it waits for them (``afterok``, ``afterany``, ...).
        torchrun_nproc_per_node: Processes per node started by torchrun/ft.
        wait_time_for_group_job: Seconds between the starts of the steps of a group.
        monitor_group_job: In a group, stop the other steps when one ends.
        monitor_group_job_wait_time: Seconds between checks (and grace period) of the monitor.
        setup_lines: Shell lines run in the batch script before the steps.
        stderr_to_stdout: Merge the batch script's stderr into its stdout file.
        job_name: Name of the job in its experiment (set by :meth:`assign`; not a
            constructor argument). The Slurm job name is still
            ``<job_name_prefix><experiment id>.<job id>``, which is how jobs are found again.
        run_as_group: Whether :meth:`merge` made this executor run a group of tasks.
        resource_group: What each task of a merged group asks for (:meth:`merge`).
    """

    backend_scheme: ClassVar[str] = "slurm"
    HEAD_NODE_IP_VAR: ClassVar[str] = "head_node_ip"
    NPROC_PER_NODE_VAR: ClassVar[str] = "SLURM_NTASKS_PER_NODE"
    NUM_NODES_VAR: ClassVar[str] = "SLURM_NNODES"
    NODE_RANK_VAR: ClassVar[str] = "SLURM_NODEID"
    HET_GROUP_HOST_VAR: ClassVar[str] = "het_group_host"

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
    job_name: str = field(default="nemo-job", init=False)
    run_as_group: bool = field(default=False, init=False)
    resource_group: list[ResourceRequest] = field(default_factory=list, init=False)

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

    # -- NeMo-Run's extension hooks --------------------------------------------------------------

    def assign(self, exp_id: str, exp_dir: str, task_id: str, task_dir: str) -> None:
        """Attach to a job of an experiment; also sets :attr:`job_name` to ``task_id``.

        The job's directory on the cluster follows from :meth:`placement`
        (``<remote root>/<experiment id>/<task_dir>``).
        """
        super().assign(exp_id, exp_dir, task_id, task_dir)
        self.job_name = task_id

    def macro_values(self) -> ExecutorMacros:
        """Slurm's variables (``head_node_ip``, ``SLURM_NODEID``, ...; see the class constants)."""
        return ExecutorMacros(
            head_node_ip_var=self.HEAD_NODE_IP_VAR,
            nproc_per_node_var=self.NPROC_PER_NODE_VAR,
            num_nodes_var=self.NUM_NODES_VAR,
            node_rank_var=self.NODE_RANK_VAR,
            het_group_host_var=self.HET_GROUP_HOST_VAR,
        )

    @classmethod
    def merge(cls, executors: Sequence["SlurmExecutor"], num_tasks: int) -> "SlurmExecutor":
        """Merge the executors of a group of ``num_tasks`` tasks into one (NeMo-Run's shape).

        One executor that is not heterogeneous is copied with ``run_as_group=True`` (all
        tasks share its allocation). Otherwise the copy of the first also lists one
        :class:`ResourceRequest` per task in ``resource_group`` (one executor is repeated).
        The experiment submits groups from the per-task executors itself; this is a view for
        code written against NeMo-Run.

        Raises:
            ExecutorConfigError: Neither 1 nor ``num_tasks`` executors, or
                ``het_group_indices`` of the wrong length.
        """
        if len(executors) not in (1, num_tasks) or num_tasks < 1:
            raise ExecutorConfigError(
                f"{cls.__name__}.merge(executors)",
                f"1 or {num_tasks} executors for {num_tasks} tasks",
                len(executors),
            )
        main = copy.deepcopy(executors[0])
        main.run_as_group = True
        if len(executors) == 1 and not main.heterogeneous:
            return main
        chosen = list(executors) if len(executors) == num_tasks else [executors[0]] * num_tasks
        indices = main.het_group_indices
        if indices is not None and len(indices) != num_tasks:
            raise ExecutorConfigError(
                f"{cls.__name__}.het_group_indices", f"{num_tasks} indices, one per task", indices
            )
        main.resource_group = [
            ResourceRequest(
                packager=copy.deepcopy(e.packager),
                nodes=e.nodes,
                ntasks_per_node=e.ntasks_per_node,
                container_image=e.container_image,
                gpus_per_node=e.gpus_per_node,
                gpus_per_task=e.gpus_per_task,
                container_mounts=list(e.container_mounts),
                container_env=None if e.container_env is None else list(e.container_env),
                env_vars=dict(e.env_vars),
                srun_args=list(e.srun_args),
                job_details=copy.deepcopy(e.job_details),
                het_group_index=None if indices is None else indices[position],
            )
            for position, e in enumerate(chosen)
        ]
        return main

    # -- sizes ---------------------------------------------------------------------------------

    def info(self) -> str:
        """``"SlurmExecutor on <user@host>"``."""
        return f"{type(self).__qualname__} on {cluster_name(self.tunnel)}"

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

    def ships_code(self) -> bool:
        """Whether the job gets a ``code`` directory (an archive, or a remote symlink)."""
        return type(self.packager) is not Packager or bool(self.packager.symlink_from_remote_dir)

    # -- what the backend is told -------------------------------------------------------------

    def remote_root(self) -> str:
        """Remote root of job directories: ``tunnel.job_dir``, else ``$NEMORUN_HOME/slurm``."""
        return self.tunnel.job_dir or str(nemorun_home() / "slurm")

    def placement(self, job_id: str, job_dir: str) -> Placement:
        """Where the job lives on the cluster.

        Args:
            job_id: The job's id.
            job_dir: The job's directory on the launching side (in the experiment store);
                its name names the job's directory on the cluster.

        Returns:
            The job directory: ``executor.job_dir`` when it is set and under the remote
            root (an explicit directory on the cluster), else
            ``<remote root>/<experiment id or "jobs">/<name of job_dir>``. The working
            directory ``<job dir>/code`` when code is shipped (the job's own copy of the
            code, extracted at submission; else the job directory). A
            launch context whose head node is ``${head_node_ip}`` and node rank
            ``${SLURM_NODEID}``, both expanded inside each task by the generated script.
        """
        del job_id
        macros = self.macro_values()
        root = self.remote_root()
        if self.job_dir and PurePosixPath(self.job_dir).is_relative_to(root):
            remote = self.job_dir
        else:
            group = self.experiment_id or "jobs"
            remote = f"{root}/{group}/{PurePosixPath(job_dir).name}"
        return Placement(
            job_dir=remote,
            workdir=f"{remote}/code" if self.ships_code() else remote,
            launch_context=LaunchContext(
                nnodes=self.nnodes(),
                nproc_per_node=self.nproc_per_node(),
                job_dir=remote,
                head_node=macros.head_node_ref(),
                node_rank=macros.node_rank_ref(),
            ),
        )

    def _chosen_log_paths(self, job_dir: str) -> tuple[str, str] | None:
        """The stdout/stderr paths of a ``SlurmJobDetails`` subclass overriding them, else None.

        Unset fields are filled as the backend would: ``<job dir on the cluster>/logs`` and
        the name of the job directory.
        """
        details = self.job_details
        cls = type(details)
        if cls.stdout is SlurmJobDetails.stdout and cls.stderr is SlurmJobDetails.stderr:
            return None
        filled = dataclasses.replace(
            details,
            folder=details.folder or f"{self.placement('', job_dir).job_dir}/logs",
            job_name=details.job_name or PurePosixPath(job_dir).name,
        )
        return (str(filled.stdout), str(filled.stderr))

    def settings(self, job_dir: str) -> SlurmSettings:
        """The Slurm settings of the job whose directory on the launching side is ``job_dir``.

        Args:
            job_dir: The job's directory on the launching side (names the log files when a
                ``SlurmJobDetails`` subclass chooses their paths).
        """
        container = None
        if self.container_image:
            container = SlurmContainer(
                image=self.container_image,
                mounts=tuple(self.container_mounts),
                env=None if self.container_env is None else tuple(self.container_env),
            )
        return SlurmSettings(
            packager=nr_config.dumps_json(
                nr_config.dataclass_to_config(self.packager), indent=None
            ),
            ships_code=self.ships_code(),
            job_name_prefix=self.job_name_prefix,
            ntasks=self.ntasks,
            sbatch_options={
                option_name(name): _option_value(value)
                for name in _SBATCH_FIELDS
                if (value := getattr(self, name)) is not None and value is not False and value != ""
            },
            additional_parameters={
                option_name(key): _option_value(value)
                for key, value in self.additional_parameters.items()
            },
            array=self.array,
            array_parallelism=self.array_parallelism,
            container=container,
            srun_args=tuple(self.srun_args),
            heterogeneous=self.heterogeneous,
            het_group_indices=None
            if self.het_group_indices is None
            else tuple(self.het_group_indices),
            log_name=self.job_details.job_name,
            log_folder=self.job_details.folder,
            log_paths=self._chosen_log_paths(job_dir),
            stderr_to_stdout=self.stderr_to_stdout,
            setup_lines=self.setup_lines,
            wait_time_for_group_job=self.wait_time_for_group_job,
            monitor_group_job=self.monitor_group_job,
            monitor_group_job_wait_time=self.monitor_group_job_wait_time,
            dependencies=tuple(self.dependencies),
            dependency_type=self.dependency_type,
        )

    def connection(self) -> dict[str, Any]:
        """The tunnel's settings and the remote root, as JSON data (saved with each job).

        Any process rebuilds the backend from it (``nr_exec.create_backend("slurm", cluster,
        context=BackendContext.default(connection=...))``) without this executor.
        """
        return connection_data(self.tunnel, self.remote_root())


def _option_value(value: object) -> str | bool:
    """An sbatch option's value: a flag (True on, False off) or text."""
    return value if isinstance(value, bool) else str(value)
