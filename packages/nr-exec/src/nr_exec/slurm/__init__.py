"""Slurm execution: ``SlurmExecutor`` and its backend (sbatch through a local or SSH tunnel).

The executor describes (placement, :class:`SlurmSettings`, connection data); the backend,
registered under the ``slurm`` handle scheme, translates and submits.

Names are loaded on first access; the backend (the tunnels' SSH stack) only when used.
"""

from nr_exec._lazy import lazy_exports

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from nr_exec.slurm.backend import SlurmBackend, SlurmSubmitError, SubmitInFlightError
    from nr_exec.slurm.executor import ResourceRequest, SlurmExecutor, SlurmJobDetails
    from nr_exec.slurm.request import SlurmRequest
    from nr_exec.slurm.settings import SlurmContainer, SlurmSettings
    from nr_exec.slurm.transfer import Submission

__all__ = [
    "ResourceRequest",
    "SlurmBackend",
    "SlurmContainer",
    "SlurmExecutor",
    "SlurmJobDetails",
    "SlurmRequest",
    "SlurmSettings",
    "SlurmSubmitError",
    "Submission",
    "SubmitInFlightError",
]

_LAZY = {
    "ResourceRequest": "nr_exec.slurm.executor",
    "SlurmBackend": "nr_exec.slurm.backend",
    "SlurmSubmitError": "nr_exec.slurm.backend",
    "SubmitInFlightError": "nr_exec.slurm.backend",
    "SlurmContainer": "nr_exec.slurm.settings",
    "SlurmExecutor": "nr_exec.slurm.executor",
    "SlurmJobDetails": "nr_exec.slurm.executor",
    "SlurmRequest": "nr_exec.slurm.request",
    "SlurmSettings": "nr_exec.slurm.settings",
    "Submission": "nr_exec.slurm.transfer",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__)
