"""Launchers: how a job's command is started (directly, under torchrun, ft_launcher, a template).

Only :mod:`nr_exec.launchers.base` is imported with the package; the other names load on first
use (PEP 562), so that processes that only read statuses skip the launchers' imports.
"""

import importlib

from nr_exec.launchers.base import LaunchContext, Launcher, is_python

TYPE_CHECKING = False
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

_MODULES = {
    "FaultTolerance": "torchrun",
    "Torchrun": "torchrun",
    "SlurmRay": "slurm_ray",
    "SlurmTemplate": "slurm_template",
    "launcher_names": "registry",
    "register_launcher": "registry",
    "resolve_launcher": "registry",
}


def __getattr__(name: str) -> object:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
