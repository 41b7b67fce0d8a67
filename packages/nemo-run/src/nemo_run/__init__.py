"""The façade of the monorepo: ``import nemo_run as run`` exposes the documented API.

Names are resolved lazily (PEP 562): ``import nemo_run`` loads nothing but this module, and
``run.Config`` imports ``nr_config`` on first use. No backend SDK is ever imported here.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from nemo_run.__about__ import __version__
from nemo_run.errors import NemoRunError

if TYPE_CHECKING:
    from nr_config import Config, Partial, Script, autoconvert, build
    from nr_exec import (
        DockerExecutor,
        Executor,
        FaultTolerance,
        LocalExecutor,
        SlurmExecutor,
        SlurmTemplate,
        Torchrun,
    )
    from nr_experiment import Experiment, Plugin, run
    from nr_package import GitArchivePackager, HybridPackager, Packager, PatternPackager
    from nr_tunnel import LocalTunnel, SSHTunnel

    from nemo_run import cli

# public name -> module that defines it
_LAZY: dict[str, str] = {
    "Config": "nr_config",
    "Partial": "nr_config",
    "Script": "nr_config",
    "autoconvert": "nr_config",
    "build": "nr_config",
    "Executor": "nr_exec",
    "LocalExecutor": "nr_exec",
    "DockerExecutor": "nr_exec",
    "Torchrun": "nr_exec",
    "FaultTolerance": "nr_exec",
    "SlurmExecutor": "nr_exec",
    "SlurmTemplate": "nr_exec",
    "Packager": "nr_package",
    "GitArchivePackager": "nr_package",
    "PatternPackager": "nr_package",
    "HybridPackager": "nr_package",
    "SSHTunnel": "nr_tunnel",
    "LocalTunnel": "nr_tunnel",
    "Experiment": "nr_experiment",
    "Plugin": "nr_experiment",
    "run": "nr_experiment",
}

# submodules of the façade, imported on first attribute access
_SUBMODULES = frozenset({"cli"})

__all__ = [
    "Config",
    "DockerExecutor",
    "Executor",
    "Experiment",
    "FaultTolerance",
    "GitArchivePackager",
    "HybridPackager",
    "LocalExecutor",
    "LocalTunnel",
    "NemoRunError",
    "Packager",
    "Partial",
    "PatternPackager",
    "Plugin",
    "SSHTunnel",
    "Script",
    "SlurmExecutor",
    "SlurmTemplate",
    "Torchrun",
    "__version__",
    "autoconvert",
    "build",
    "cli",
    "run",
]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"nemo_run.{name}")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'nemo_run' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
