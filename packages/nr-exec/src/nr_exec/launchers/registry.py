"""Launchers by name: torchrun, ft, slurm_template, slurm_ray, and registered ones."""

from nr_exec.errors import LauncherError
from nr_exec.launchers.base import Launcher
from nr_exec.launchers.slurm_ray import SlurmRay
from nr_exec.launchers.slurm_template import SlurmTemplate
from nr_exec.launchers.torchrun import FaultTolerance, Torchrun

__all__ = ["launcher_names", "register_launcher", "resolve_launcher"]

_LAUNCHERS: dict[str, type[Launcher]] = {
    "default": Launcher,
    Torchrun.name: Torchrun,
    FaultTolerance.name: FaultTolerance,
    SlurmTemplate.name: SlurmTemplate,
    SlurmRay.name: SlurmRay,
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
    return cls()
