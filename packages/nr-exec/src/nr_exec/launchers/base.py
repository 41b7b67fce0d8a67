"""The launcher base class: how a task's command is started inside the job."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, ClassVar

from nr_exec.validation import check_fields

if TYPE_CHECKING:
    from nr_config import Script

__all__ = ["LaunchContext", "Launcher", "is_python"]


def is_python(entrypoint: str) -> bool:
    """Whether ``entrypoint`` names a Python interpreter (``python``, ``python3.11``, a path)."""
    return PurePosixPath(entrypoint).name.startswith("python")


@dataclass(frozen=True)
class LaunchContext:
    """What a launcher needs to know about the job it launches.

    Attributes:
        nnodes: Number of nodes.
        nproc_per_node: Worker processes per node.
        job_dir: The job directory, as the job sees it.
        head_node: Address of the rendezvous host in multi-node jobs: a literal, or a shell
            variable reference (``"$head_node_ip"``) the backend's job script defines.
        node_rank: This node's rank in multi-node jobs: a literal or a shell variable reference.
        rdzv_port: Rendezvous port overriding the launcher's own, if set.
        prefix: Words placed before the launched program (a profiler, ``nsys profile ...``;
            from :meth:`nr_exec.Executor.get_launcher_prefix`).
    """

    nnodes: int = 1
    nproc_per_node: int = 1
    job_dir: str = ""
    head_node: str = "localhost"
    node_rank: str = "0"
    rdzv_port: int | None = None
    prefix: tuple[str, ...] = ()


@dataclass(kw_only=True)
class Launcher:
    """Runs the task's command as is (optionally under Nsight Systems).

    Attributes:
        nsys_profile: Profile the job with ``nsys``.
        nsys_folder: Folder of the job directory receiving the profiles.
        nsys_filename: File name pattern of the profiles.
        nsys_trace: APIs traced by ``nsys``.
        nsys_extra_args: Further ``nsys profile`` arguments.
        nsys_gpu_metrics: Also collect GPU metrics (backends that support it).
    """

    #: Name in the launcher registry.
    name: ClassVar[str] = "default"
    #: Whether the launcher starts the worker processes itself (one launcher process per node).
    spawns_workers: ClassVar[bool] = False

    nsys_profile: bool = False
    nsys_folder: str = "nsys_profile"
    nsys_filename: str = "profile_%p"
    nsys_trace: list[str] = field(default_factory=lambda: ["nvtx", "cuda"])
    nsys_extra_args: list[str] = field(
        default_factory=lambda: [
            "--force-overwrite=true",
            "--capture-range=cudaProfilerApi",
            "--capture-range-end=stop",
            "--cuda-graph-trace=node",
            "--cuda-event-trace=false",
        ]
    )
    nsys_gpu_metrics: bool = False

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Check the fields; subclasses extend it.

        Raises:
            ExecutorConfigError: A field has a wrong type or value.
        """
        check_fields(self)

    def get_nsys_prefix(self, job_dir: str) -> list[str] | None:
        """Return the ``nsys`` arguments (``profile -s none ...``), or None when not profiling.

        Args:
            job_dir: The job directory as the job sees it; profiles go to its
                ``nsys_folder``.
        """
        if not self.nsys_profile:
            return None
        output = f"{job_dir}/{self.nsys_folder}/{self.nsys_filename}"
        trace = ",".join(self.nsys_trace)
        return ["profile", "-s", "none", "-t", trace, "-o", output, *self.nsys_extra_args]

    def launch_command(
        self, entrypoint: str, args: Sequence[str], context: LaunchContext
    ) -> list[str]:
        """Return the command line that starts ``entrypoint args...`` under this launcher.

        Args:
            entrypoint: The program (``python``, ``bash``, ...).
            args: Its arguments (``["-m", "pkg.mod", ...]`` for a module).
            context: Nodes, processes, rendezvous details and command prefix of the job.
        """
        return [*context.prefix, entrypoint, *args]

    def transform(self, command: Sequence[str]) -> "Script | None":
        """Turn the whole command into a script, for launchers that template the job.

        Returns:
            None: the command is used as is (the default).
        """
        del command
        return None
