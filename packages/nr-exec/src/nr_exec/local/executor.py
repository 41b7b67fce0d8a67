"""``LocalExecutor``: run jobs as process groups on this machine."""

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from nr_exec.constants import EnvVar
from nr_exec.errors import ExecutorConfigError
from nr_exec.executor import Executor
from nr_exec.launchers import LaunchContext
from nr_exec.placement import Placement

__all__ = ["LocalExecutor"]


@dataclass(kw_only=True)
class LocalExecutor(Executor):
    """Run the task in a new process group on this machine, from ``working_dir``.

    Without a launcher, ``ntasks_per_node`` copies of the task run side by side (with
    ``RANK``, ``LOCAL_RANK`` and ``WORLD_SIZE`` set). With ``torchrun``/``ft``, one launcher
    starts ``ntasks_per_node`` workers; ``nodes > 1`` then means this machine is one node of a
    larger job whose rendezvous is given by ``MASTER_ADDR``/``MASTER_PORT`` and whose node rank
    is ``NODE_RANK`` (or ``SLURM_NODEID``) in the launching environment.

    Its backend is :class:`~nr_exec.local.LocalBackend` (scheme ``local``); build it with
    :func:`nr_exec.backend_for`.

    Attributes:
        ntasks_per_node: Processes (or torchrun workers) on this machine.
        nodes: Nodes of the job (only meaningful with a launcher).
        working_dir: Directory the task runs from (``~`` is expanded, a relative path is
            taken from the current directory); empty for the current directory. It must exist
            when the job starts.
    """

    backend_scheme: ClassVar[str] = "local"

    ntasks_per_node: int = 1
    nodes: int = 1
    working_dir: str = ""

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

    def placement(self, job_id: str, job_dir: str) -> Placement:
        """The job runs here: in ``job_dir``, from ``working_dir``, with this interpreter.

        The working directory is ``working_dir`` (made absolute), or the current one when the
        spec is made; the interpreter is the one running this process (so jobs see the same
        environment), and the launch context takes the rendezvous address, port and node rank
        literally from ``MASTER_ADDR``, ``MASTER_PORT`` and ``NODE_RANK`` (or
        ``SLURM_NODEID``).

        Raises:
            ExecutorConfigError: ``MASTER_PORT`` is set but is not a port number.
        """
        del job_id
        port = os.environ.get(EnvVar.MASTER_PORT.value)
        if port and not (port.isdigit() and 0 < int(port) < 65536):
            raise ExecutorConfigError(
                f"the environment's {EnvVar.MASTER_PORT.value} (read by {type(self).__name__})",
                "a port number (1-65535)",
                port,
            )
        rank = os.environ.get(EnvVar.NODE_RANK.value, os.environ.get(EnvVar.SLURM_NODEID.value))
        return Placement(
            job_dir=job_dir,
            workdir=str(Path(self.working_dir).expanduser().absolute())
            if self.working_dir
            else str(Path.cwd()),
            python=sys.executable,
            launch_context=LaunchContext(
                nnodes=self.nodes,
                nproc_per_node=self.ntasks_per_node,
                job_dir=job_dir,
                head_node=os.environ.get(EnvVar.MASTER_ADDR.value, "localhost"),
                node_rank=rank or "0",
                rdzv_port=int(port) if port else None,
            ),
        )
