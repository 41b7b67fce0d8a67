"""``LocalExecutor``: run jobs as process groups on this machine."""

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from nr_exec.executor import Executor
from nr_exec.launchers import LaunchContext

if TYPE_CHECKING:
    from nr_exec.local.backend import LocalBackend

__all__ = ["LocalExecutor"]


@dataclass(kw_only=True)
class LocalExecutor(Executor):
    """Run the task in a new process group on this machine, from the current directory.

    Without a launcher, ``ntasks_per_node`` copies of the task run side by side (with
    ``RANK``, ``LOCAL_RANK`` and ``WORLD_SIZE`` set). With ``torchrun``/``ft``, one launcher
    starts ``ntasks_per_node`` workers; ``nodes > 1`` then means this machine is one node of a
    larger job whose rendezvous is given by ``MASTER_ADDR``/``MASTER_PORT`` and whose node rank
    is ``NODE_RANK`` (or ``SLURM_NODEID``) in the launching environment.

    Attributes:
        ntasks_per_node: Processes (or torchrun workers) on this machine.
        nodes: Nodes of the job (only meaningful with a launcher).
    """

    ntasks_per_node: int = 1
    nodes: int = 1

    def validate(self) -> None:
        """Check the fields (counts are at least 1).

        Raises:
            ExecutorConfigError: A field has a wrong type or value.
        """
        super().validate()
        self._require(
            self.ntasks_per_node >= 1, "ntasks_per_node", "an int >= 1", self.ntasks_per_node
        )
        self._require(self.nodes >= 1, "nodes", "an int >= 1", self.nodes)

    def nnodes(self) -> int:
        """Number of nodes (``nodes``)."""
        return self.nodes

    def nproc_per_node(self) -> int:
        """Processes per node (``ntasks_per_node``)."""
        return self.ntasks_per_node

    def python_executable(self) -> str:
        """The interpreter running this process, so jobs see the same environment."""
        return sys.executable

    def working_dir(self, job_dir: str) -> str:
        """The current directory at the time the job spec is made."""
        del job_dir
        return str(Path.cwd())

    def launch_context(self, job_dir: str) -> LaunchContext:
        """Sizes, plus the launching environment's rendezvous address and node rank, literally."""
        port = os.environ.get("MASTER_PORT")
        return LaunchContext(
            nnodes=self.nodes,
            nproc_per_node=self.ntasks_per_node,
            job_dir=job_dir,
            head_node=os.environ.get("MASTER_ADDR", "localhost"),
            node_rank=os.environ.get("NODE_RANK", os.environ.get("SLURM_NODEID", "0")),
            rdzv_port=int(port) if port else None,
        )

    def backend(self) -> "LocalBackend":
        """Return a :class:`~nr_exec.local.LocalBackend` rooted at ``$NEMORUN_HOME/jobs``."""
        from nr_exec.local.backend import LocalBackend  # noqa: PLC0415 - loaded on first use

        return LocalBackend()
