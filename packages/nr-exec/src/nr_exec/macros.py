"""``ExecutorMacros``: the shell variables that name a job's head node, sizes and node rank.

An executor whose target defines such variables (Slurm: ``$head_node_ip``, ``$SLURM_NNODES``
...) returns them from :meth:`nr_exec.Executor.macro_values`. Commands and environment values
of its jobs are then run through :meth:`ExecutorMacros.substitute`, so that a task written
for any backend can say ``$$${head_node_ip_var}`` and get ``$head_node_ip`` on Slurm.
"""

import dataclasses
import functools
import string
from dataclasses import dataclass
from typing import ClassVar

__all__ = ["ExecutorMacros"]


@dataclass(frozen=True)
class ExecutorMacros:
    """Names of the variables a backend's job script defines for distributed launchers.

    ``substitute`` replaces ``${head_node_ip_var}``, ``${nproc_per_node_var}``,
    ``${num_nodes_var}``, ``${node_rank_var}``, ``${het_group_host_var}`` and
    ``${ft_launcher_cfg_path_var}`` by the names below; ``$$`` becomes ``$``, so
    ``$$${head_node_ip_var}`` becomes a reference to the variable (``$head_node_ip``).

    Attributes:
        head_node_ip_var: Variable holding the head node's address.
        nproc_per_node_var: Variable holding the processes per node.
        num_nodes_var: Variable holding the number of nodes.
        node_rank_var: Variable holding this node's rank.
        het_group_host_var: Prefix of the variables holding each heterogeneous component's
            first host (``<prefix>_<index>``).
        ft_launcher_cfg_path_var: Variable holding the fault-tolerance config file.
    """

    HEAD_NODE_IP_VAR: ClassVar[str] = "${head_node_ip_var}"
    NPROC_PER_NODE_VAR: ClassVar[str] = "${nproc_per_node_var}"
    NUM_NODES_VAR: ClassVar[str] = "${num_nodes_var}"
    NODE_RANK_VAR: ClassVar[str] = "${node_rank_var}"
    FT_LAUNCHER_CFG_PATH_VAR: ClassVar[str] = "${ft_launcher_cfg_path_var}"

    head_node_ip_var: str
    nproc_per_node_var: str
    num_nodes_var: str
    node_rank_var: str
    het_group_host_var: str | None = None
    ft_launcher_cfg_path_var: str = "FAULT_TOL_CFG_PATH"

    @staticmethod
    def group_host(index: int) -> str:
        """Placeholder of heterogeneous component ``index``'s first host.

        After :meth:`substitute` it reads ``$<het_group_host_var>_<index>``.
        """
        return f"$$${{het_group_host_var}}_{index}"

    def substitute(self, text: str) -> str:
        """Replace the placeholders in ``text``; unknown ``$names`` are left as they are."""
        if "$" not in text:
            return text
        return string.Template(text).safe_substitute(self._values)

    @functools.cached_property
    def _values(self) -> dict[str, str]:
        """The set fields by name (read once: the record is frozen)."""
        named = ((f.name, getattr(self, f.name)) for f in dataclasses.fields(self))
        return {name: value for name, value in named if value is not None}

    def head_node_ref(self) -> str:
        """Shell reference to the head node's address (``${head_node_ip}``)."""
        return f"${{{self.head_node_ip_var}}}"

    def node_rank_ref(self) -> str:
        """Shell reference to this node's rank (``${SLURM_NODEID}``)."""
        return f"${{{self.node_rank_var}}}"
