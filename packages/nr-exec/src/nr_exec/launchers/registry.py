"""Launchers by name: torchrun, ft, slurm_template, slurm_ray, and registered ones."""

import importlib

from nr_exec.errors import LauncherError
from nr_exec.launchers.base import Launcher
from nr_exec.launchers.torchrun import FaultTolerance, Torchrun

__all__ = ["launcher_names", "register_launcher", "resolve_launcher"]

#: Launchers by name; the template launchers (templates, resources, temporary files) are
#: named by ``module:class`` and imported on first use, so that status and dry-runs of jobs
#: that do not use them skip their imports.
_LAUNCHERS: dict[str, type[Launcher] | str] = {
    "default": Launcher,
    Torchrun.name: Torchrun,
    FaultTolerance.name: FaultTolerance,
    "slurm_template": "nr_exec.launchers.slurm_template:SlurmTemplate",
    "slurm_ray": "nr_exec.launchers.slurm_ray:SlurmRay",
}


def register_launcher(name: str, cls: type[Launcher]) -> None:
    """Make ``cls`` available as ``launcher=name`` (e.g. a package's own launcher)."""
    _LAUNCHERS[name] = cls


def launcher_names() -> list[str]:
    """Return the registered launcher names, sorted."""
    return sorted(_LAUNCHERS)


def resolve_launcher(value: Launcher | str | None, *, field: str = "launcher") -> Launcher:
    """Turn an executor's ``launcher`` field into a launcher object.

    Args:
        value: A launcher, a registered name, or None for the default (direct) launcher.
        field: Name of the field holding ``value``, for the error message.

    Raises:
        LauncherError: ``value`` is an unknown name; the message lists the valid ones.
    """
    if isinstance(value, Launcher):
        return value
    if value is None:
        return Launcher()
    try:
        cls = _LAUNCHERS[value]
    except KeyError:
        raise LauncherError(field, f"a Launcher or one of {launcher_names()}", value) from None
    if isinstance(cls, str):
        module, _, name = cls.partition(":")
        cls = _LAUNCHERS[value] = getattr(importlib.import_module(module), name)
    return cls()
