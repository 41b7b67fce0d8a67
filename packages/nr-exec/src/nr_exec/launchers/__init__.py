"""Launchers: how a job's command is started (directly, under torchrun, ft_launcher, a template).

Only :mod:`nr_exec.launchers.base` is imported with the package; the other names load on first
use (PEP 562), so that processes that only read statuses skip the launchers' imports.
"""

from nr_exec._lazy import lazy_exports
from nr_exec.launchers.base import LaunchContext, Launcher, is_python

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from nr_exec.launchers.registry import launcher_names, register_launcher, resolve_launcher
    from nr_exec.launchers.slurm_ray import SlurmRay
    from nr_exec.launchers.slurm_template import SlurmTemplate
    from nr_exec.launchers.torchrun import FaultTolerance, Torchrun

__all__ = [
    "FaultTolerance",
    "LaunchContext",
    "Launcher",
    "SlurmRay",
    "SlurmTemplate",
    "Torchrun",
    "is_python",
    "launcher_names",
    "register_launcher",
    "resolve_launcher",
]

_LAZY = {
    "FaultTolerance": "nr_exec.launchers.torchrun",
    "Torchrun": "nr_exec.launchers.torchrun",
    "SlurmRay": "nr_exec.launchers.slurm_ray",
    "SlurmTemplate": "nr_exec.launchers.slurm_template",
    "launcher_names": "nr_exec.launchers.registry",
    "register_launcher": "nr_exec.launchers.registry",
    "resolve_launcher": "nr_exec.launchers.registry",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__)
