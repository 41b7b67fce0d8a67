"""``SlurmRay``: start a Ray cluster across the job's nodes, then run the command on its head."""

from dataclasses import dataclass
from typing import Any, ClassVar

from nr_exec.launchers.slurm_template import SlurmTemplate
from nr_exec.slurm.quoting import export_lines

__all__ = ["SlurmRay"]

_PORTS = (
    "gcs_server_port",
    "dashboard_port",
    "object_manager_port",
    "node_manager_port",
    "dashboard_agent_port",
    "dashboard_agent_grpc_port",
    "metrics_port",
)


@dataclass(kw_only=True)
class SlurmRay(SlurmTemplate):
    """Run the task on a Ray cluster made of the job's nodes (Slurm backend only).

    The job runs one task per node (``ntasks_per_node=1``): on node 0 the shipped template
    ``slurm_ray.sh.j2`` starts the Ray head (``ray start --head``), waits
    ``head_init_wait_time`` seconds and runs the command, then stops Ray; on the other nodes
    it waits ``worker_init_wait_time`` seconds at most for the head, joins, and leaves when
    the head stops. ``HEAD_NODE_ADDR`` (default: the job's head node) and ``SLURM_NNODES``
    are available to the command. ``ray`` must be installed on the nodes (or in the
    container image).

    Attributes:
        gcs_server_port: Port of the head's GCS server (the cluster address).
        dashboard_port: Port of the Ray dashboard.
        object_manager_port: Port of each node's object manager.
        node_manager_port: Port of each node's raylet.
        dashboard_agent_port: HTTP port of each node's dashboard agent.
        dashboard_agent_grpc_port: gRPC port of each node's dashboard agent.
        metrics_port: Port of each node's metrics export.
        display_nvidia_smi_output: Print ``nvidia-smi`` on each node first.
        head_setup: Shell lines run on the head node before Ray starts.
        head_init_wait_time: Seconds between starting the head and running the command.
        worker_init_wait_time: Seconds a worker waits for the head to come up.
        env_vars: Variables exported on every node before Ray starts.
    """

    name: ClassVar[str] = "slurm_ray"

    template_path: str | None = "slurm_ray.sh.j2"
    gcs_server_port: int = 6379
    dashboard_port: int = 8265
    object_manager_port: int = 8076
    node_manager_port: int = 8077
    dashboard_agent_port: int = 52365
    dashboard_agent_grpc_port: int = 52366
    metrics_port: int = 9002
    display_nvidia_smi_output: bool = False
    head_setup: str | None = None
    head_init_wait_time: int = 10
    worker_init_wait_time: int = 60
    env_vars: dict[str, str] | None = None

    def template_variables(self) -> dict[str, Any]:
        """Ports, waits, setup and ``env_vars`` exports, then ``template_vars`` (which win)."""
        own: dict[str, Any] = {name: getattr(self, name) for name in _PORTS}
        own.update(
            head_init_wait_time=self.head_init_wait_time,
            worker_init_wait_time=self.worker_init_wait_time,
            display_nvidia_smi_output=self.display_nvidia_smi_output,
            head_setup=self.head_setup or "",
            env_exports=export_lines(self.env_vars or {}),
        )
        return {**own, **self.template_vars}
