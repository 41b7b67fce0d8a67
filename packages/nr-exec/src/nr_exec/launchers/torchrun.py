"""Distributed launchers: ``torchrun`` and NVIDIA's fault-tolerant ``ft_launcher``."""

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from nr_exec.errors import ExecutorConfigError
from nr_exec.launchers.base import LaunchContext, Launcher, is_python

__all__ = ["FaultTolerance", "Torchrun"]


@dataclass(kw_only=True)
class Torchrun(Launcher):
    """Launch the task with ``torchrun`` (one launcher per node, which starts the workers).

    Attributes:
        rdzv_backend: Rendezvous backend.
        rdzv_port: Rendezvous port on the head node (multi-node jobs).
        rdzv_id: Rendezvous id; a random one in 1..10000 is drawn per command when None.
    """

    name: ClassVar[str] = "torchrun"
    spawns_workers: ClassVar[bool] = True
    #: The program started on each node.
    program: ClassVar[str] = "torchrun"

    rdzv_backend: str = "c10d"
    rdzv_port: int = 29500
    rdzv_id: int | None = None

    def validate(self) -> None:
        """Check the fields (types, port range).

        Raises:
            ExecutorConfigError: A field has a wrong type or value.
        """
        super().validate()
        if not 0 < self.rdzv_port < 65536:
            raise ExecutorConfigError(
                f"{type(self).__name__}.rdzv_port", "a port in 1..65535", self.rdzv_port
            )

    def leading_args(self) -> list[str]:
        """Arguments placed right after the program name (none for torchrun)."""
        return []

    def launch_command(
        self, entrypoint: str, args: Sequence[str], context: LaunchContext
    ) -> list[str]:
        """Return the ``torchrun`` command line (see the class docstring for the shapes)."""
        rdzv_id = self.rdzv_id if self.rdzv_id is not None else random.randint(1, 10000)  # noqa: S311
        if context.nnodes == 1:
            endpoint, node_rank = "localhost:0", "0"
        else:
            port = context.rdzv_port or self.rdzv_port
            endpoint, node_rank = f"{context.head_node}:{port}", context.node_rank
        command = [
            *context.prefix,
            self.program,
            *self.leading_args(),
            "--rdzv-backend",
            self.rdzv_backend,
            "--rdzv-endpoint",
            endpoint,
            "--rdzv-id",
            str(rdzv_id),
            "--nnodes",
            str(context.nnodes),
            "--nproc-per-node",
            str(context.nproc_per_node),
            "--node-rank",
            node_rank,
            "--tee",
            "3",
        ]
        if not is_python(entrypoint):
            command.append("--no-python")
        return [*command, *args]


@dataclass(kw_only=True)
class FaultTolerance(Torchrun):
    """Launch the task with NVIDIA's fault-tolerant launcher (``ft_launcher``).

    The command line is torchrun's, with ``ft_launcher`` as the program and the ``--ft-*``
    options that are set placed first (``--ignore-missing-fault-tol-cfg`` when none is).

    Attributes:
        cfg_path: Fault-tolerance config file (set by backends that manage it).
        finished_flag_file: File marking a finished workload (set by backends).
        job_results_file: File recording the results of restarts (set by backends).
        workload_check_interval: ``--ft-workload_check_interval``.
        initial_rank_heartbeat_timeout: ``--ft-initial_rank_heartbeat_timeout``.
        rank_heartbeat_timeout: ``--ft-rank_heartbeat_timeout``.
        rank_termination_signal: ``--ft-rank_termination_signal`` (e.g. ``"SIGKILL"``).
        log_level: ``--ft-log_level``.
        max_restarts: ``--max-restarts``.
    """

    name: ClassVar[str] = "ft"
    program: ClassVar[str] = "ft_launcher"

    cfg_path: str = ""
    finished_flag_file: str = ""
    job_results_file: str = ""
    workload_check_interval: float | None = None
    initial_rank_heartbeat_timeout: float | None = None
    rank_heartbeat_timeout: float | None = None
    rank_termination_signal: str | None = None
    log_level: str | None = None
    max_restarts: int | None = None

    def leading_args(self) -> list[str]:
        """The ``--ft-*`` and ``--max-restarts`` options that are set."""
        options = {
            "--ft-workload_check_interval": self.workload_check_interval,
            "--ft-initial_rank_heartbeat_timeout": self.initial_rank_heartbeat_timeout,
            "--ft-rank_heartbeat_timeout": self.rank_heartbeat_timeout,
            "--ft-rank_termination_signal": self.rank_termination_signal,
            "--ft-log_level": self.log_level,
            "--max-restarts": self.max_restarts,
        }
        args = [
            part
            for key, value in options.items()
            if value is not None
            for part in (key, str(value))
        ]
        return args or ["--ignore-missing-fault-tol-cfg"]
