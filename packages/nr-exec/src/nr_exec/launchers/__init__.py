"""Launchers: how a job's command is started (directly, under torchrun, ft_launcher, a template)."""

from nr_exec.launchers.base import LaunchContext, Launcher, is_python
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
